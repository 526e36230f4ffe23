"""`podgate scan -o json` leaves Python's cyclic collector off from the scan to the end of the
command: turned back on after the scan, it would walk everything the scan made at the next
allocation, finding nothing (the scan and the JSON report make no cycles:
tests/scan/test_scan_memory.py). In a caller's process the collector is as it was after."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import podgate.cli.scan as scan_command
from tests.conftest import RunScan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def after_the_scan(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The generations of the collections started from the scan's return to the command's
    end (`finish`)."""
    scanned: list[bool] = []
    started: list[int] = []
    scan = scan_command._scan_with_progress
    finish = scan_command.finish

    def scanning(*args: Any) -> Any:
        result = scan(*args)
        scanned.append(True)
        gc.set_threshold(1)  # any allocation of a tracked object starts a collection if on
        return result

    def finishing(code: int) -> Any:
        scanned.clear()
        return finish(code)

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and scanned:
            started.append(info["generation"])

    monkeypatch.setattr(scan_command, "_scan_with_progress", scanning)
    monkeypatch.setattr(scan_command, "finish", finishing)
    threshold = gc.get_threshold()
    gc.callbacks.append(watch)
    try:
        yield started
    finally:
        gc.callbacks.remove(watch)
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_on")
def test_no_collection_from_the_scan_to_the_end_of_a_json_scan(
    run_scan: RunScan, after_the_scan: list[int]
) -> None:
    ran = run_scan(str(EXAMPLES / "cluster"), "-o", "json")
    assert ran.exit_code in (0, 1), ran.stderr
    assert '"workloads"' in ran.stdout
    assert after_the_scan == []
    assert gc.isenabled()  # as it was, in this process


@pytest.mark.usefixtures("collector_on")
def test_other_formats_keep_the_collector_on(run_scan: RunScan, after_the_scan: list[int]) -> None:
    ran = run_scan(str(EXAMPLES / "cluster"), "-o", "text")
    assert ran.exit_code in (0, 1), ran.stderr
    assert after_the_scan  # (the watch sees collections when there are any)
    assert gc.isenabled()


def test_a_collector_off_before_stays_off(run_scan: RunScan) -> None:
    enabled = gc.isenabled()
    gc.disable()
    try:
        ran = run_scan(str(EXAMPLES / "cluster"), "-o", "json")
        assert ran.exit_code in (0, 1), ran.stderr
        assert not gc.isenabled()
    finally:
        if enabled:
            gc.enable()
