"""scan's two size caps: a file that is one JSON value (a cluster snapshot) may be as large as
`max_bytes`; anything else (YAML, which costs about ten times its size in memory, or a JSON
stream read partly as YAML) only as large as `max_yaml_bytes`. Every other command keeps one
cap; scan's defaults are 1 GiB and 64 MiB, and a --max-bytes given applies to both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podgate.cli import common
from podgate.errors import LoadError
from podgate.io.loader import load_documents
from tests.conftest import RunScan

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}


def _padded_yaml(size: int) -> str:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n"
    return text + "#" * (size - len(text) - 1) + "\n"


def _padded_json(size: int, *, ascii_only: bool = True) -> str:
    pod = {**POD, "metadata": {"name": "p", "annotations": {"pad": ""}}}
    pad = size - len(json.dumps(pod, ensure_ascii=ascii_only).encode())
    pod["metadata"]["annotations"]["pad"] = "x" * pad if ascii_only else "é" * (pad // 2)  # type: ignore[index]
    return json.dumps(pod, ensure_ascii=ascii_only)


@pytest.mark.parametrize("trim", [False, True])
@pytest.mark.parametrize("ascii_only", [True, False])
def test_a_json_file_over_the_yaml_cap_is_read(
    tmp_path: Path, trim: bool, ascii_only: bool
) -> None:
    f = tmp_path / "big.json"
    f.write_text(_padded_json(1000, ascii_only=ascii_only), encoding="utf-8")
    docs = load_documents([str(f)], max_bytes=2000, max_yaml_bytes=500, trim=trim)
    assert [d.obj["metadata"]["name"] for d in docs] == ["p"]


@pytest.mark.parametrize("trim", [False, True])
def test_a_snapshot_list_over_the_yaml_cap_is_read(tmp_path: Path, trim: bool) -> None:
    f = tmp_path / "snap.json"
    items = [{**POD, "metadata": {"name": f"p{i}"}} for i in range(20)]
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    assert f.stat().st_size > 500
    docs = load_documents([str(f)], max_bytes=5000, max_yaml_bytes=500, trim=trim)
    assert len(docs) == 20


@pytest.mark.parametrize(
    "text",
    [
        _padded_yaml(1000),
        # JSON then YAML after it (kubectl reads the rest as YAML): not one JSON value
        json.dumps(POD) + "\n" + _padded_yaml(900),
    ],
    ids=["yaml", "json-then-yaml"],
)
def test_a_file_that_is_not_one_json_value_is_refused_over_the_yaml_cap(
    tmp_path: Path, text: str
) -> None:
    f = tmp_path / "big.yaml"
    f.write_text(text)
    size = f.stat().st_size
    with pytest.raises(LoadError) as e:
        load_documents([str(f)], max_bytes=2000, max_yaml_bytes=500)
    assert str(e.value) == (
        f"{f}: file is {size} bytes and not one JSON value: over the limit of 500 for YAML "
        "(a JSON file may have up to 2000; --max-bytes)"
    )
    assert len(load_documents([str(f)], max_bytes=2000, max_yaml_bytes=size)) >= 1


def test_a_json_file_over_the_json_cap_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "big.json"
    f.write_text(_padded_json(1000))
    with pytest.raises(LoadError, match="over the limit of 999"):
        load_documents([str(f)], max_bytes=999, max_yaml_bytes=500)


def test_scan_defaults_are_1_gib_for_json_and_64_mib_for_the_rest() -> None:
    assert common.scan_caps(None) == (1024**3, 64 * 1024**2)
    assert common.scan_caps(1234) == (1234, 1234)


def test_scan_refuses_a_yaml_file_over_its_default_cap_and_reads_json_of_that_size(
    workdir: Path, run_scan: RunScan, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "MAX_BYTES", 500)  # the YAML default, made small
    (workdir / "big.yaml").write_text(_padded_yaml(1000))
    (workdir / "big.json").write_text(_padded_json(1000))
    ran = run_scan("big.yaml", "--quiet", "-o", "json")
    assert ran.exit_code == 2
    assert "over the limit of 500 for YAML (a JSON file may have up to 1073741824" in ran.stderr
    assert run_scan("big.json", "--quiet", "-o", "json").exit_code == 0
    # --max-bytes given: one cap for both
    assert run_scan("big.yaml", "--quiet", "-o", "json", "--max-bytes", "2000").exit_code == 0
    assert run_scan("big.json", "--quiet", "-o", "json", "--max-bytes", "999").exit_code == 2


def test_scan_live_responses_keep_the_64_mib_cap(
    run_scan: RunScan, monkeypatch: pytest.MonkeyPatch
) -> None:
    from podgate.cli import scan as scan_cli

    asked: list[Any] = []

    def read_live(*args: Any, **kwargs: Any) -> list[Any]:
        asked.append(args[4])  # max_bytes, as scan passes it
        return []

    monkeypatch.setattr(scan_cli, "read_live", read_live)
    run_scan("--live", "--quiet", "-o", "json")
    assert asked == [64 * 1024**2]


def test_a_snapshot_scanned_with_live_objects_is_decoded_whole(
    tmp_path: Path, run_scan: RunScan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An object read from the file and again from the cluster is compared whole ("identical"
    or "they differ"): the file is then not trimmed, or a pod would differ from itself."""
    from podgate.cli import scan as scan_cli

    pod = {**POD, "metadata": {"name": "p", "namespace": "ns"}, "status": {"phase": "Running"}}
    f = tmp_path / "snap.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod]}))
    monkeypatch.setattr(scan_cli, "read_live", lambda *a, **k: load_documents([str(f)]))
    ran = run_scan(str(f), "--live", "--quiet", "-o", "json")
    notes = json.loads(ran.stdout)["notes"]
    assert any("Pod ns/p is defined 2 times" in n and "identical" in n for n in notes), notes
