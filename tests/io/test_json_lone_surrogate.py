"""A JSON string may hold the escape of half a surrogate pair (`"\\ud800"`): no encoder writes
one, but Go's encoding/json reads it as U+FFFD and kubectl applies the file (`kubectl label
--local -f` prints the name as "p\\ufffd"). orjson refuses it, so such a file is read by the
loader's other decoder, which kept the lone surrogate: the scan then ended in an internal
error (exit 3) writing its JSON or text report. It is read as Go reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import RunScan

POD = (
    '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "NAME", "namespace": "ns"}, '
    '"spec": {"containers": [{"name": "c", "image": "nginx"}]}}'
)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        pytest.param("p\\ud800", "p\ufffd", id="high-alone"),
        pytest.param("p\\udc00\\ud800x", "p\ufffd\ufffdx", id="low-then-high"),
        pytest.param("p\\ud83d\\ude00\\udc00", "p\U0001f600\ufffd", id="pair-then-low"),
    ],
)
@pytest.mark.parametrize("listed", [False, True], ids=["pod", "list"])
def test_half_a_surrogate_pair_is_read_as_go_reads_it(
    tmp_path: Path, run_scan: RunScan, written: str, read: str, listed: bool
) -> None:
    pod = POD.replace("NAME", written)
    text = '{"apiVersion": "v1", "kind": "List", "items": [' + pod + "]}" if listed else pod
    path = tmp_path / "pod.json"
    path.write_text(text)
    ran = run_scan(str(path), "-o", "json")
    assert ran.exit_code == 0, ran.stderr
    (workload,) = json.loads(ran.stdout)["workloads"]
    assert workload["name"] == read
    assert run_scan(str(path), "-o", "text").exit_code == 0
