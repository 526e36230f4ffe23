"""PolicyReport objects (wgpolicyk8s.io/v1alpha2, spec/outputs.md section 3): a PolicyReport per
namespace and a ClusterPolicyReport for cluster-scoped objects, as a YAML stream ready for
`kubectl apply -f -`. Each report aggregates many workloads, so every result names its resource
in `resources` (as `kyverno apply --policy-report` does) and no `scope` is set.

Results follow the JUnit writer's evaluation matrix: a `pass` for every Pod Security Standards
check a workload meets and for an admitting PodSecurityPolicy, a `fail` per open finding, a
`skip` per accepted finding (and for exempt namespaces). `properties.line` is the line of the
resource's document (`fieldPath` says where in it): reports are mostly of cluster snapshots, where
locating each field would mean composing the whole file again.

A report for a big namespace would exceed what the API server stores in one object (etcd's
request limit, 1.5 MiB by default; `kubectl apply` also copies the object into its
last-applied-configuration annotation, doubling it). A report whose JSON would pass
MAX_REPORT_BYTES is split into parts, each under it, the results of one resource kept
together where they fit: the first part keeps the name `podgate-scan`, the next ones are
`podgate-scan-2`, `podgate-scan-3`, ... in the same (deterministic) order of results, each
annotated with `podgate.io/part: "N of M"`. Parts left over from an earlier, larger report
are not deleted by `kubectl apply`; `--prune -l app.kubernetes.io/managed-by=podgate` does."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson
import yaml

from podgate.k8s.source import where
from podgate.report.context import ReportContext
from podgate.report.junit import Case, cases
from podgate.scan.exceptions import AcceptedRisk
from podgate.scan.findings import Finding
from podgate.scan.scan import ScanResult, WorkloadResult

API_VERSION = "wgpolicyk8s.io/v1alpha2"
NAME = "podgate-scan"
SOURCE = "podgate"
LABELS = {"app.kubernetes.io/managed-by": "podgate"}
SEVERITIES = ("critical", "high", "medium", "low", "info")
OUTCOMES = ("pass", "fail", "warn", "error", "skip")
# The JSON size a report may reach: with kubectl's last-applied-configuration annotation (the
# object again, as an escaped string: at most about 2.2 times) it stays under etcd's 1.5 MiB.
MAX_REPORT_BYTES = 600 * 1024


def _family(case: Case) -> str:
    if case.engine == "pss":
        return f"Pod Security Standards ({case.workload.level.level.value.capitalize()})"
    return "PodSecurityPolicy"


def _resource(r: WorkloadResult) -> dict[str, str]:
    ref = r.workload.ref
    out = {"apiVersion": r.workload.api_version, "kind": ref.kind}
    if ref.namespace:
        out["namespace"] = ref.namespace
    out["name"] = ref.name
    meta = r.workload.obj.get("metadata")
    uid = meta.get("uid") if isinstance(meta, Mapping) else None
    if isinstance(uid, str) and uid:
        out["uid"] = uid
    return out


def _policy_rule(case: Case) -> tuple[str, str]:
    if case.whole:
        return case.rule, "admission" if case.engine == "psp" else "level"
    policy, _, rule = case.rule.rpartition("/")
    return policy, rule


def _base_properties(case: Case, full: bool = True) -> dict[str, str]:
    """Properties of a result; a passing check's (`full=False`) leave out what its resource
    and its failing siblings already say, as passes are most of a report."""
    r = case.workload
    props = {"ruleId": case.rule, "engine": case.engine}
    if full:
        props["serviceAccount"] = r.workload.service_account
    if case.engine == "pss":
        props |= {"level": r.level.level.value, "version": str(r.level.version)}
        if full:
            props["levelSource"] = r.level_source
    elif r.psp is not None:
        props["requester"] = r.psp.requester
        if r.psp.allowed:
            props["mutated"] = str(r.psp.mutated).lower()
    if full and r.workload.source is not None:
        props["file"] = r.workload.source.file
        props["line"] = str(r.workload.source.line)
    if r.workload.duplicates:  # the same resource read elsewhere too: its results differ
        props["duplicates"] = ", ".join(where(d) for d in r.workload.duplicates)
        if r.workload.source is not None:
            props["file"] = r.workload.source.file
            props["line"] = str(r.workload.source.line)
    return props


def _finding_result(
    case: Case,
    f: Finding,
    risks: Mapping[str, AcceptedRisk],
    stamp: dict[str, int],
) -> dict[str, Any]:
    policy, rule = _policy_rule(case)
    c = f.control
    props = _base_properties(case) | {
        "control": c.key,
        "category": c.category,
        "fieldPath": f.field,
    }
    if f.container is not None:
        props["container"] = f.container
    for key, ids in (("cis", c.cis), ("msThreatMatrix", c.ms_threat_matrix), ("mitre", c.mitre)):
        if ids:
            props[key] = ",".join(ids)
    message = f.message
    if f.container and f'"{f.container}"' not in message:
        message += f' [container "{f.container}"]'
    if f.accepted_by is not None:
        props["acceptedBy"] = f.accepted_by
        risk = risks.get(f.accepted_by)
        message = f"accepted by exception {f.accepted_by!r}: {message}"
        if risk is not None:
            props |= {
                "justification": risk.justification,
                "owner": risk.owner,
                "expires": risk.expires.isoformat(),
            }
    return {
        "source": SOURCE,
        "policy": policy,
        "rule": rule,
        "category": c.category_title,
        "severity": f.severity if f.severity in SEVERITIES else "info",
        "result": "skip" if f.accepted else "fail",
        "scored": True,
        "message": message,
        "resources": [_resource(case.workload)],
        "timestamp": dict(stamp),
        "properties": props,
    }


def _case_result(case: Case, stamp: dict[str, int]) -> dict[str, Any]:
    policy, rule = _policy_rule(case)
    if case.whole:
        message = case.detail or case.title
    elif case.engine == "pss":
        message = f"{rule}: passed, {case.detail}"
    else:
        message = case.detail or case.title
    return {
        "source": SOURCE,
        "policy": policy,
        "rule": rule,
        "category": _family(case),
        "result": case.outcome,
        "scored": True,
        "message": message,
        "resources": [_resource(case.workload)],
        "timestamp": dict(stamp),
        "properties": _base_properties(case, full=case.whole or case.outcome != "pass"),
    }


def to_reports(result: ScanResult, context: ReportContext) -> list[dict[str, Any]]:
    """The reports as JSON values: PolicyReports in namespace order, then the
    ClusterPolicyReport (when cluster-scoped objects have results, or nothing else does, so
    the stream is never empty)."""
    risks = {s.exception.id: s.exception for s in result.exceptions}
    generated = context.generated
    stamp = {"seconds": int(generated.timestamp()), "nanos": generated.microsecond * 1000}
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for case in cases(result):
        bucket = by_namespace.setdefault(case.workload.workload.ref.namespace, [])
        if case.findings:
            bucket.extend(_finding_result(case, f, risks, stamp) for f in case.findings)
        else:
            bucket.append(_case_result(case, stamp))
    annotations = {
        "podgate.io/version": context.version,
        "podgate.io/generated": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "podgate.io/command": context.command,
    }
    if result.notes:
        annotations["podgate.io/notes"] = "\n".join(result.notes)
    reports = []
    for namespace in sorted(n for n in by_namespace if n):
        reports.extend(parts("PolicyReport", namespace, by_namespace[namespace], annotations))
    if "" in by_namespace or not reports:
        reports.extend(parts("ClusterPolicyReport", "", by_namespace.get("", []), annotations))
    return reports


def _size(value: Any) -> int:
    return len(orjson.dumps(value))


def parts(
    kind: str,
    namespace: str,
    results: list[dict[str, Any]],
    annotations: Mapping[str, str],
    limit: int = MAX_REPORT_BYTES,
) -> list[dict[str, Any]]:
    """One report, or several named parts each under `limit` bytes of JSON (a single result
    larger than a part can hold gets a part of its own)."""
    whole = _report(kind, namespace, results, annotations)
    if _size(whole) <= limit:
        return [whole]
    # room for the results in one part: the empty report, a longer name, the part annotation
    room = limit - _size(_report(kind, namespace, [], annotations)) - 64
    runs: list[list[dict[str, Any]]] = []  # results of one resource, in order
    for r in results:
        if runs and runs[-1][0]["resources"] == r["resources"]:
            runs[-1].append(r)
        else:
            runs.append([r])
    chunks: list[list[dict[str, Any]]] = [[]]
    used = 0
    for run in runs:
        sizes = [_size(r) + 1 for r in run]
        if chunks[-1] and used + sum(sizes) > room:
            chunks.append([])
            used = 0
        for r, size in zip(run, sizes, strict=True):
            if chunks[-1] and used + size > room:  # one resource larger than a part
                chunks.append([])
                used = 0
            chunks[-1].append(r)
            used += size
    out = []
    for i, chunk in enumerate(chunks, 1):
        part = {**annotations, "podgate.io/part": f"{i} of {len(chunks)}"}
        name = NAME if i == 1 else f"{NAME}-{i}"
        out.append(_report(kind, namespace, chunk, part, name))
    return out


def _report(
    kind: str,
    namespace: str,
    results: list[dict[str, Any]],
    annotations: Mapping[str, str],
    name: str = NAME,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta |= {"labels": dict(LABELS), "annotations": dict(annotations)}
    summary = dict.fromkeys(OUTCOMES, 0)
    for r in results:
        summary[r["result"]] += 1
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": meta,
        "summary": summary,
        "results": results,
    }


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic GC off while the YAML is built: dumping allocates many short-lived objects
    beside a large scan result, and collections then cost three times the dump."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render(result: ScanResult, context: ReportContext) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with _gc_paused():
        text: str = yaml.dump_all(
            to_reports(result, context),
            Dumper=dumper,
            explicit_start=True,
            sort_keys=False,
            allow_unicode=True,
            width=10_000,
        )
    return text
