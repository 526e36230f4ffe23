"""The parts of `-o json` made the cheap way hold to the ways they are defined: the summary
counted in one pass gives what `ScanResult.failing` and `ScanResult.summary` give; lists
written many items to an `orjson.dumps` are what orjson writes for the whole report, however
the items fall into batches; rejections that share what they made of each field error are
the rejections made one by one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from podgate.report.json_report import json_bytes, summary, to_json
from podgate.scan.controls import invalid_control, psp_control
from podgate.scan.rejections import rejection, rejections
from tests.report.conftest import ScanForReport

ROOT = Path(__file__).resolve().parents[2]
WHOLE = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
# PSP on with RBAC, and accepted risks: rejections, mutations, accepted and open findings
CLUSTER = [str(ROOT / p) for p in ("examples/cluster", "examples/policies", "examples/rbac")]
EXCEPTIONS = str(ROOT / "examples/exceptions.yaml")


@pytest.mark.parametrize("fail_on", ["low", "medium", "high", "critical", "none"])
def test_the_summary_counted_in_one_pass_is_what_the_result_counts(
    scan_for_report: ScanForReport, fail_on: str
) -> None:
    result, _ = scan_for_report(CLUSTER, exceptions=EXCEPTIONS)
    result = replace(result, options=replace(result.options, fail_on=fail_on))
    accepted = sum(1 for f in result.findings if f.accepted)
    assert 0 < accepted < len(result.findings)  # both kinds are counted
    counted = summary(result)
    assert counted["accepted"] == accepted
    assert counted["failing"] == len(result.failing)
    assert counted["findings"] == len(result.findings)
    assert counted["workloads"] == len(result.workloads)
    assert counted["failOn"] == fail_on
    for key, by in (
        ("byCategory", "category"),
        ("byNamespace", "namespace"),
        ("bySeverity", "severity"),
    ):
        table = result.summary(by)
        want = {k: dict(sorted(v.items())) for k, v in sorted(table.items())}
        assert counted[key] == want
        assert orjson.dumps(counted[key]) == orjson.dumps(want)  # keys in the same order


def _privileged_pods(path: Path, namespace: str, count: int) -> Path:
    """`count` pods in `namespace`, each with one privileged container."""
    pods = (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: {namespace}}}\n"
        "spec:\n  containers:\n"
        "    - {name: c, image: nginx, securityContext: {privileged: true}}\n"
        for i in range(count)
    )
    path.write_text("---\n".join(pods))
    return path


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 10_000])
def test_lists_written_in_batches_of_any_size_are_the_report_written_at_once(
    scan_for_report: ScanForReport, tmp_path: Path, chunk: int
) -> None:
    pods = _privileged_pods(tmp_path / "shop.yaml", "shop", 9)
    result, _ = scan_for_report([str(pods), *CLUSTER], exceptions=EXCEPTIONS)
    whole = orjson.dumps(to_json(result), option=WHOLE)
    data = to_json(result)
    # the lazy lists stand at depths 1 (workloads, findings) and 2 (readiness), with more
    # items than the smaller batches hold, or none
    assert len(data["findings"]) > 7
    assert len(data["readiness"]["rejected"]) > 7
    assert data["readiness"]["rejectedSystemComponents"] == []
    assert b"".join(json_bytes(result, chunk=chunk)) == whole


def test_rejections_sharing_what_they_made_of_each_error_say_each_error_as_it_is(
    scan_for_report: ScanForReport, tmp_path: Path
) -> None:
    pods = _privileged_pods(tmp_path / "shop.yaml", "shop", 3)
    result, _ = scan_for_report([str(pods), *CLUSTER])
    found = rejections(result)
    assert found == tuple(r for w in result.workloads if (r := rejection(w)) is not None)
    said: list[str] = []
    for rj in found:
        psp = rj.result.psp
        assert psp is not None
        want: dict[str, list[tuple[str, str]]] = {}
        for policy, err in psp.decision.violations:
            want.setdefault(policy, []).append((psp_control(err.field), str(err)))
        for err in psp.decision.invalid:
            by = psp.decision.mutated_by or ""
            want.setdefault(by, []).append((invalid_control(err), str(err)))
        got = {p.policy: [(c.key, text) for c, text in p.errors] for p in rj.by_policy}
        assert got == want and list(got) == list(want)
        said.extend(text for errors in got.values() for _, text in errors)
    assert len(said) > len(set(said))  # errors met more than once
