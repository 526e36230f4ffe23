"""`-o json` written in pieces (`json_bytes`): byte for byte what orjson writes for the whole
report (`to_json`) at once, for results with every part full and every part empty; and an
output file is never left holding part of a report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from podgate.cli.common import write_output
from podgate.report.json_report import json_bytes, to_json
from tests.report.conftest import ScanForReport

ROOT = Path(__file__).resolve().parents[2]
WHOLE = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


@pytest.mark.parametrize(
    ("paths", "level"),
    [
        # PSP on with RBAC: rejections, mutations, overview, broad bindings, lockouts
        (["examples/cluster", "examples/policies", "examples/rbac"], None),
        (["examples/pods"], "restricted"),
        (["tests/corpus/istio", "tests/corpus/rook"], "baseline"),
        # no workload at all: every list empty
        (["examples/rbac"], None),
    ],
)
def test_the_report_in_pieces_is_the_report_written_at_once(
    scan_for_report: ScanForReport, paths: list[str], level: str | None
) -> None:
    result, _ = scan_for_report([str(ROOT / p) for p in paths], level=level)
    pieces = list(json_bytes(result))
    assert b"".join(pieces) == orjson.dumps(to_json(result), option=WHOLE)
    assert len(pieces) > 10  # written a part at a time


def test_a_report_that_fails_midway_leaves_an_empty_output_file(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_bytes(b"an old report\n")

    def pieces() -> Iterator[bytes]:
        yield b'{\n  "workloads": [\n'
        raise RuntimeError("a bug while writing")

    with pytest.raises(RuntimeError, match="a bug while writing"):
        write_output(pieces(), str(out))
    assert out.read_bytes() == b""


def test_pieces_are_written_to_the_output_file_in_order(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    write_output(iter([b"a", b"b", b"c\n"]), str(out))
    assert out.read_bytes() == b"abc\n"
