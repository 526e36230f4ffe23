"""`podgate scan` settles the options that need the Pod Security Standards (--level, --version,
--group, --config) once its workers parse the files (with a pool) or before any input is read
(without): a bad option is still said first, alone, before any input error or note, on one
process or several."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from tests.conftest import RunScan, count_forks

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}\n"


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A directory of two pods, one file --exclude leaves out and one that cannot be read."""
    (tmp_path / "a.yaml").write_text(POD)
    (tmp_path / "c.yaml").write_text(POD.replace("name: a", "name: c"))
    (tmp_path / "skip.yaml").write_text(POD)
    (tmp_path / "b.yaml").write_text("kind: Pod\nspec: [unclosed\n")
    return tmp_path


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--level", "bogus"], "--level: must be one of privileged, baseline, restricted"),
        (["--version", "v2"], '--version: must be "latest" or "v1.x"'),
        (["--level", "bogus", "--version", "v2"], "--level: must be one of privileged, b"),
        (["--version", "v2", "--group", "g"], '--version: must be "latest" or "v1.x"'),
        (["--group", "g", "--config", "/nonexistent"], "--group needs --user"),
        (["--config", "/nonexistent"], "/nonexistent: No such file or directory"),
    ],
)
def test_a_bad_option_is_said_alone_before_bad_input(
    run_scan: RunScan,
    monkeypatch: pytest.MonkeyPatch,
    inputs: Path,
    jobs: str,
    args: list[str],
    said: str,
) -> None:
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    forks = count_forks(monkeypatch)
    ran = run_scan(str(inputs), "--exclude", "skip.yaml", *args, "--jobs", jobs)
    assert bool(forks) is (jobs == "2")
    assert ran.exit_code == 2
    assert ran.stderr.startswith(f"podgate: error: {said}")
    assert ran.stderr.count("\n") == 1


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_with_good_options_the_note_and_the_input_error_are_said(
    run_scan: RunScan, monkeypatch: pytest.MonkeyPatch, inputs: Path, jobs: str
) -> None:
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    (inputs / "b.yaml").unlink()
    ran = run_scan(str(inputs), "--exclude", "skip.yaml", "-o", "json", "--jobs", jobs)
    assert ran.exit_code == 0
    assert ran.stderr == "podgate: note: 1 file left out by --exclude\n"
    (inputs / "b.yaml").write_text("kind: Pod\nspec: [unclosed\n")
    ran = run_scan(str(inputs), "--exclude", "skip.yaml", "--jobs", jobs)
    assert ran.exit_code == 2
    assert ran.stderr.startswith(f"podgate: error: {inputs}/b.yaml: document 0 (line 3)")


SETTLED = textwrap.dedent(
    """
    import sys
    import podgate.io.pool as pool
    from podgate.cli.main import cli

    ordered_map, seen = pool.ordered_map, []

    def spy(*args, meanwhile=None, **kwargs):
        if meanwhile is not None:
            seen.append("podgate.pss" in sys.modules)
        return ordered_map(*args, meanwhile=meanwhile, **kwargs)

    pool.ordered_map = spy
    sys.argv = ["podgate", "scan", *sys.argv[1:]]
    try:
        cli.main(standalone_mode=False)
    except SystemExit:
        pass
    print(seen, "podgate.pss" in sys.modules)
    """
)


@pytest.mark.e2e
def test_with_a_pool_the_standards_are_imported_once_the_workers_parse(inputs: Path) -> None:
    """Start-up: nothing of the Pod Security Standards is imported before the workers are
    started (the import overlaps their parsing)."""
    (inputs / "b.yaml").unlink()
    args = [str(inputs), "--level", "restricted", "-o", "json", "--output-file", "/dev/null"]
    done = subprocess.run(
        [sys.executable, "-c", SETTLED, *args, "--jobs", "2"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PODGATE_POOL_MIN": "0"},
    )
    assert done.stdout.splitlines()[-1] == "[False] True"


SNAPSHOT = (
    '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", '
    '"metadata": {"name": "a"}, "spec": {"containers": [{"name": "c"}]}}]}\n'
)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the input files read from now on (each is still read)."""
    from podgate.io import loader

    seen: list[str] = []
    read = loader._read

    def spied(path: str, max_bytes: int) -> bytes:
        seen.append(path)
        return read(path, max_bytes)

    monkeypatch.setattr(loader, "_read", spied)
    return seen


@pytest.mark.parametrize(
    ("given", "jobs"),
    [
        ("dir", "1"),  # several files, one process
        ("dir", "2"),  # several files, too few bytes for a pool
        ("pod.yaml", "2"),  # one file
        ("snapshot.json", "2"),  # one JSON snapshot (its items read on every core)
        ("snapshot.json", "1"),
    ],
)
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--level", "bogus"], "--level: must be one of privileged, baseline, restricted"),
        (["--version", "v2"], '--version: must be "latest" or "v1.x"'),
        (["--group", "g"], "--group needs --user"),
        (["--config", "/nonexistent"], "/nonexistent: No such file or directory"),
    ],
)
def test_without_a_pool_a_bad_option_is_said_before_any_input_is_read(
    run_scan: RunScan,
    reads: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    given: str,
    jobs: str,
    args: list[str],
    said: str,
) -> None:
    """(A typo in an option used to cost the whole read first: seconds on a large snapshot.)"""
    (tmp_path / "dir").mkdir()
    for name in ("a", "b"):
        (tmp_path / "dir" / f"{name}.yaml").write_text(POD.replace("name: a", f"name: {name}"))
    (tmp_path / "pod.yaml").write_text(POD)
    (tmp_path / "snapshot.json").write_text(SNAPSHOT)
    forks = count_forks(monkeypatch)
    ran = run_scan(str(tmp_path / given), *args, "--jobs", jobs)
    assert (ran.exit_code, ran.stderr) == (2, f"podgate: error: {said}\n")
    assert reads == []
    assert forks == []
    ran = run_scan(str(tmp_path / given), "--level", "restricted", "-o", "json", "--jobs", jobs)
    assert ran.exit_code == 1
    assert reads  # (the same options read the input once they are good)


class _Recorded(io.BytesIO):
    """Standard input that records each read of it (but click's probe, `read(0)`)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += size != 0
        return super().read(size)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_bad_option_is_said_before_standard_input_is_read(jobs: str) -> None:
    stdin = _Recorded(POD.encode())
    ran = CliRunner().invoke(
        cli, ["scan", "-", "--level", "bogus", "--jobs", jobs], input=stdin, catch_exceptions=False
    )
    assert ran.exit_code == 2
    assert ran.stderr.startswith("podgate: error: --level: must be one of")
    assert stdin.reads == 0
    stdin = _Recorded(POD.encode())
    ran = CliRunner().invoke(
        cli, ["scan", "-", "--level", "restricted", "--jobs", jobs], input=stdin
    )
    assert ran.exit_code == 1
    assert stdin.reads > 0
