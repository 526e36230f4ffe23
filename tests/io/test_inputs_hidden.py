"""kubectl reads what a directory walk that skips hidden paths would miss: `kubectl apply -f DIR`
applies a hidden file directly in DIR (`.priv.yaml`), and `kubectl apply -R -f DIR` also the
files under hidden directories (`.cache/`); its filepath.Walk skips nothing for its name.
podgate judges hidden files, and names every file it leaves out under a hidden directory
(`.git`, `.github`, `.venv`: tools' state), so no privileged pod kubectl would create is
missing from the report without a word."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from podgate.io.inputs import expand
from tests.conftest import RunScan

_PRIVILEGED = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n"
    "  - name: c\n    image: x\n    securityContext:\n      privileged: true\n"
)


def test_a_hidden_file_kubectl_applies_is_judged_or_named(
    tmp_path: Path, run_scan: RunScan
) -> None:
    (tmp_path / "a.yaml").write_text(_PRIVILEGED.format(name="visible"))
    (tmp_path / ".b.yaml").write_text(_PRIVILEGED.format(name="hidden"))
    ran = run_scan(str(tmp_path), "--level", "baseline", "-o", "json")
    report = json.loads(ran.stdout)
    judged = {w["name"] for w in report["workloads"]}
    assert "hidden" in judged or any(".b.yaml" in note for note in report["notes"])


def test_a_hidden_file_is_judged_as_kubectl_apply_reads_it(
    tmp_path: Path, run_scan: RunScan
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".c.yml").write_text(_PRIVILEGED.format(name="deep-hidden"))
    ran = run_scan(str(tmp_path), "--level", "baseline", "-o", "json")
    assert ran.exit_code == 1
    assert [w["name"] for w in json.loads(ran.stdout)["workloads"]] == ["deep-hidden"]


def test_files_under_a_hidden_directory_are_named_in_a_note_and_on_stderr(
    tmp_path: Path, run_scan: RunScan
) -> None:
    (tmp_path / "a.yaml").write_text(_PRIVILEGED.format(name="visible"))
    for i in range(5):
        (tmp_path / f".cache{i}").mkdir()
        (tmp_path / f".cache{i}" / "p.yaml").write_text(_PRIVILEGED.format(name=f"h{i}"))
    ran = run_scan(str(tmp_path), "--level", "baseline", "-o", "json")
    report = json.loads(ran.stdout)
    assert [w["name"] for w in report["workloads"]] == ["visible"]
    note = next(n for n in report["notes"] if "hidden directories" in n)
    assert note.startswith("5 files under hidden directories left out, not judged: ")
    assert str(tmp_path / ".cache0" / "p.yaml") in note and "and 2 more" in note
    assert "podgate: note: 5 files under hidden directories left out" in ran.stderr


def test_a_hidden_directory_given_by_its_path_is_read(tmp_path: Path, run_scan: RunScan) -> None:
    (tmp_path / ".k8s").mkdir()
    (tmp_path / ".k8s" / "p.yaml").write_text(_PRIVILEGED.format(name="given"))
    ran = run_scan(str(tmp_path / ".k8s"), "--level", "baseline", "-o", "json")
    assert [w["name"] for w in json.loads(ran.stdout)["workloads"]] == ["given"]


def test_a_file_named_only_by_its_extension_is_judged_as_kubectl_applies_it(
    tmp_path: Path, run_scan: RunScan
) -> None:
    # kubectl takes the extension from the last dot (Go's filepath.Ext): `.yaml` is a YAML
    # file to it, and `kubectl apply -f DIR` applies it; pathlib gives `.yaml` no suffix
    (tmp_path / ".yaml").write_text(_PRIVILEGED.format(name="only-extension"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".json").write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "json-only-extension"},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "x", "securityContext": {"privileged": True}}
                    ]
                },
            }
        )
    )
    ran = run_scan(str(tmp_path), "--level", "baseline", "-o", "json")
    assert ran.exit_code == 1
    names = sorted(w["name"] for w in json.loads(ran.stdout)["workloads"])
    assert names == ["json-only-extension", "only-extension"]


def _expand_as_nobody(top: Path) -> tuple[list[str], list[str]]:
    """`expand(top)` (its files, and its refusals as text) by a user who may not list the
    directories only root may (a forked child that drops root, when running as root)."""

    def summary() -> tuple[list[str], list[str]]:
        found = expand(str(top))
        return found.files, [str(e) for e in found.refused]

    if os.geteuid() != 0:
        return summary()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(write, json.dumps(summary()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    files, refused = json.loads(data)
    return files, refused


@pytest.mark.e2e
def test_a_directory_that_cannot_be_listed_is_refused_not_passed_over() -> None:
    # kubectl's walk stops with "permission denied" there; pathlib's rglob passed over it
    # without a word, and the privileged pod inside was never judged
    top = Path(tempfile.mkdtemp(prefix="podgate-unlisted-"))
    sub = top / "sub"
    try:
        top.chmod(0o755)
        (top / "ok.yaml").write_text(_PRIVILEGED.format(name="ok"))
        sub.mkdir()
        (sub / "p.yaml").write_text(_PRIVILEGED.format(name="unseen"))
        sub.chmod(0o700 if os.geteuid() == 0 else 0)
        files, refused = _expand_as_nobody(top)
        assert files == [str(top / "ok.yaml")]
        assert len(refused) == 1
        assert str(sub) in refused[0]
        assert "Permission denied" in refused[0]
    finally:
        sub.chmod(0o755)
        shutil.rmtree(top)
