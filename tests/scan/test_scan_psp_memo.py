"""A scan answers pods of a shape it met before from its PSP memo (psp/memo.py) and works out
each distinct PSP field error's finding once (`psp_findings`' `seen`): its results are those
of a scan that reviews every pod afresh, decisions (objects and patches in key order),
findings and all, on a generated cluster and on a corpus of odd shapes."""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from podgate.io.catalog import load_catalog
from podgate.io.loader import load_documents
from podgate.io.prepare import prepare
from podgate.k8s.identity import requesting_user
from podgate.k8s.source import documents
from podgate.psp import PolicySet, Request, review
from podgate.pss import Level
from podgate.scan import ControllerIdentity, ScanOptions, ScanResult, scan
from podgate.scan import findings as findings_module
from tests.psp.test_psp_reads import ordered

TODAY = dt.date(2026, 11, 28)
scan_module = importlib.import_module("podgate.scan.scan")  # the package's `scan` is the function


class Afresh:
    """A memo that remembers nothing: every pod reviewed anew."""

    def __init__(self, policies: PolicySet, authorizer: Any) -> None:
        self.policies, self.authorizer = policies, authorizer

    def review(self, request: Request) -> Any:
        return review(self.policies, request, self.authorizer)


def _scans(docs: Any, options: ScanOptions, monkeypatch: pytest.MonkeyPatch) -> list[ScanResult]:
    catalog = load_catalog()
    remembered = scan(docs, catalog, options)
    with monkeypatch.context() as m:
        m.setattr(scan_module, "ReviewMemo", Afresh)
        unseen = findings_module.psp_findings
        m.setattr(scan_module, "psp_findings", lambda w, d, c, seen: unseen(w, d, c))
        afresh = scan(docs, catalog, options)
    return [remembered, afresh]


def assert_same_results(remembered: ScanResult, afresh: ScanResult) -> None:
    assert remembered.findings == afresh.findings
    assert remembered.workloads == afresh.workloads
    assert remembered.notes == afresh.notes
    pairs = zip(remembered.workloads, afresh.workloads, strict=True)
    for got, want in pairs:
        assert (got.psp is None) == (want.psp is None)
        if got.psp is not None and want.psp is not None:
            assert ordered(got.psp.decision.object) == ordered(want.psp.decision.object)
            assert ordered(got.psp.patch) == ordered(want.psp.patch)


OPTIONS = [
    ScanOptions(today=TODAY),
    ScanOptions(today=TODAY, level=Level.RESTRICTED, user=requesting_user("alice", ("dev",))),
    ScanOptions(today=TODAY, controller_identity=ControllerIdentity.CONTROLLER_MANAGER),
]


@pytest.mark.e2e
@pytest.mark.shared
@pytest.mark.parametrize("options", OPTIONS, ids=["default", "restricted-user", "manager"])
def test_a_generated_cluster_scans_alike_with_and_without_the_memo(
    shared_dir: Path, tmp_path: Path, options: ScanOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cluster.json"
    gen = shared_dir / "bench" / "gen_cluster.py"
    cmd = [sys.executable, str(gen), "--pods", "300", "--seed", "3", "-o", str(path)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    docs = prepare(load_documents([str(path)]))
    remembered, afresh = _scans(docs, options, monkeypatch)
    assert_same_results(remembered, afresh)
    assert any(r.psp is not None and not r.psp.allowed for r in afresh.workloads)
    assert any(r.psp is not None and r.psp.mutated for r in afresh.workloads)


CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.mark.parametrize(
    "folder", sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
)
def test_each_corpus_scans_alike_with_and_without_the_memo(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the builtin policies (the mutating restricted one among them) and no RBAC."""
    docs = prepare([*load_documents([str(folder)]), *documents(LIBRARY)])
    remembered, afresh = _scans(docs, replace(OPTIONS[0], psp=True), monkeypatch)
    assert_same_results(remembered, afresh)


LIBRARY = [
    yaml.safe_load(resources.files("podgate.library").joinpath(f"{name}.yaml").read_text())
    for name in ("privileged", "baseline", "restricted")
]
