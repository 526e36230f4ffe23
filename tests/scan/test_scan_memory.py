"""The scan runs with Python's cyclic collector off (its collections would walk every result
built so far, again and again): that is sound only because judging makes no reference cycles,
which would otherwise stay in memory until the collector runs again. Every engine runs here:
both PSS levels, PSP with the example policies and RBAC, owned objects folded and apart."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import pytest

from podgate.io.catalog import load_catalog
from podgate.io.loader import load_documents
from podgate.io.prepare import prepare
from podgate.pss import Level
from podgate.scan import ScanOptions, scan

ROOT = Path(__file__).resolve().parents[2]
INPUTS = [
    str(ROOT / "tests" / "corpus" / name)
    for name in ("cluster-dump-api", "istio", "kube-prometheus", "rook")
] + [str(ROOT / "examples" / d) for d in ("cluster", "pods", "policies", "rbac")]


@pytest.mark.usefixtures("collector_on")
@pytest.mark.parametrize("level", [None, Level.BASELINE, Level.RESTRICTED])
def test_a_scan_makes_no_reference_cycles_and_turns_the_collector_back_on(
    level: Level | None,
) -> None:
    docs = prepare(load_documents(INPUTS))
    options = ScanOptions(level=level, psp=True, today=dt.date(2026, 1, 1))
    gc.collect()
    gc.disable()  # what the scan leaves unreachable stays for the count below
    result = scan(docs, load_catalog(), options)
    assert result.workloads and any(r.psp is not None and r.psp.allowed for r in result.workloads)
    assert any(r.violations for r in result.workloads)
    gc.enable()
    assert gc.collect() == 0  # nothing unreachable: the scan made no cycles


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_back_on_after_a_scan_even_when_it_fails() -> None:
    docs = prepare(load_documents([str(ROOT / "examples" / "pods")]))

    def fail(done: int, total: int) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        scan(docs, load_catalog(), ScanOptions(today=dt.date(2026, 1, 1)), on_workload=fail)
    assert gc.isenabled()
