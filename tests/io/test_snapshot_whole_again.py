"""Items of a JSON snapshot decoded whole again because they share an identity (the scan
compares those whole): a value msgspec cannot read where the trimmed decode skipped it (a
dropped field) is read as the loader's usual path reads it, never an internal error: a number
beyond a float's range is refused there as kubectl refuses it (io/gojson.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.io import loader


def _pod(extra: str) -> str:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "same", "namespace": "ns"},
        "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {}}]},
    }
    return json.dumps(pod)[:-1] + extra + "}"


def _scan(args: list[str]) -> tuple[int, str, str, str]:
    result = CliRunner().invoke(cli, ["scan", *args])
    escaped = "" if isinstance(result.exception, SystemExit | None) else repr(result.exception)
    return result.exit_code, result.stdout, result.stderr, escaped


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(', "status": {"x": 1e400}', id="infinite-float-in-status"),
    ],
)
def test_an_item_read_twice_with_an_odd_value_where_nothing_reads_scans_as_the_full_decode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, extra: str
) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        '{"apiVersion": "v1", "kind": "List", "items": [' + _pod(extra) + ", " + _pod("") + "]}"
    )
    trimmed = _scan([str(path), "-o", "json"])
    with monkeypatch.context() as m:
        m.setattr(loader, "_load_snapshot", lambda *args: None)
        full = _scan([str(path), "-o", "json"])
    assert full[0] == 2 and not full[1] and not full[3]
    assert "items[0].status.x: number 1e400 is beyond a 64-bit float's range" in full[2]
    assert trimmed == full
