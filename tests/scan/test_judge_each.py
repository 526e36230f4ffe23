"""`scan`'s `judge_each` seam (how the workloads are judged: here, or on every core): the results
and notes of each workload are taken in order, and a workload left unjudged is a bug found, not
a workload that silently passes."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pytest

from podgate.errors import InternalError
from podgate.io.prepare import prepare
from podgate.k8s.source import Document, Source
from podgate.pss import Level
from podgate.scan import ScanOptions, scan
from podgate.scan.controls import Catalog
from podgate.scan.inventory import Workload
from podgate.scan.scan import Judged

OPTIONS = ScanOptions(level=Level.RESTRICTED, today=dt.date(2026, 12, 6))


def _pod(name: str, privileged: bool) -> dict[str, object]:
    # `drop: [all]` (lower case) earns the workload a note of its own
    context = {"privileged": privileged, "capabilities": {"drop": ["all"]}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "app"},
        "spec": {"containers": [{"name": "c", "securityContext": context}]},
    }


DOCS = prepare(
    Document(obj, Source("pods.yaml", i, 1 + 9 * i))
    for i, obj in enumerate([_pod("a", False), _pod("b", True), _pod("c", False)])
)


def test_judging_through_the_seam_gives_what_judging_here_gives(catalog: Catalog) -> None:
    def in_reverse_then_back(
        judge: Callable[[Workload], Judged], workloads: Sequence[Workload]
    ) -> Iterable[Judged]:
        return reversed([judge(w) for w in reversed(workloads)])

    here = scan(DOCS, catalog, OPTIONS)
    seam = scan(DOCS, catalog, OPTIONS, judge_each=in_reverse_then_back)
    assert seam == here
    assert [r.workload.ref.name for r in seam.workloads] == ["a", "b", "c"]
    said = [n.split(":")[0] for n in seam.notes if "all" in n]
    assert said == ["Pod app/a", "Pod app/b", "Pod app/c"]


def test_a_workload_the_seam_leaves_unjudged_is_an_internal_error(catalog: Catalog) -> None:
    def drops_the_last(
        judge: Callable[[Workload], Judged], workloads: Sequence[Workload]
    ) -> Iterable[Judged]:
        return map(judge, workloads[:-1])

    with pytest.raises(InternalError, match="3 workloads, 2 judged"):
        scan(DOCS, catalog, OPTIONS, judge_each=drops_the_last)


@pytest.fixture
def catalog() -> Catalog:
    from podgate.io.catalog import load_catalog

    return load_catalog()


def test_what_needs_no_verdict_is_made_once_when_the_first_workload_is_judged(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lockouts, the coverage and the use-policy overview need no verdict: they are made
    once the first workload's results are taken (with a pool, while the workers judge the
    rest), once, and the result is the same."""
    want = scan(DOCS, catalog, OPTIONS)
    module = sys.modules["podgate.scan.scan"]
    taken: list[str] = []
    made: dict[str, list[int]] = {}

    def counted(name: str) -> Callable[..., Any]:
        real = getattr(module, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            made.setdefault(name, []).append(len(taken))
            return real(*args, **kwargs)

        return call

    for name in ("lockouts", "coverage", "overview"):
        monkeypatch.setattr(module, name, counted(name))

    def one_at_a_time(
        judge: Callable[[Workload], Judged], workloads: Sequence[Workload]
    ) -> Iterator[Judged]:
        for w in workloads:
            taken.append(w.ref.name)
            yield judge(w)

    assert scan(DOCS, catalog, OPTIONS, judge_each=one_at_a_time) == want
    assert made == {"lockouts": [1], "coverage": [1], "overview": [1]}
    taken.clear()
    made.clear()
    none = scan([], catalog, OPTIONS, judge_each=one_at_a_time)  # no workload: after
    assert made == {"lockouts": [0], "coverage": [0], "overview": [0]}
    assert none == scan([], catalog, OPTIONS)
