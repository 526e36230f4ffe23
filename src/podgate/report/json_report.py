"""The scan result as plain JSON values: the shape `podgate scan -o json` prints, and the one
every other writer starts from."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import orjson

from podgate.k8s.field import FieldPath, render
from podgate.k8s.source import Source
from podgate.scan.controls import Control, at_least
from podgate.scan.findings import Finding
from podgate.scan.inventory import WorkloadRef
from podgate.scan.rejections import (
    Group,
    PolicyErrors,
    Rejection,
    by_reason,
    mutated_by_policy,
    pss_failing_by_control,
    rejections,
)
from podgate.scan.scan import ScanResult, WorkloadResult


def source(src: Source | None) -> dict[str, Any] | None:
    if src is None:
        return None
    out: dict[str, Any] = {"file": src.file, "document": src.document, "line": src.line}
    if src.item is not None:
        out["item"] = src.item
    return out


def ref(r: WorkloadRef) -> dict[str, str]:
    return {"kind": r.kind, "namespace": r.namespace, "name": r.name}


def workload(r: WorkloadResult, found: Rejection | None) -> dict[str, Any]:
    """One workload's result; `found` is its rejection (`rejection(r)`), computed once."""
    out: dict[str, Any] = {
        **ref(r.workload.ref),
        "apiVersion": r.workload.api_version,
        "serviceAccount": r.workload.service_account,
        "source": source(r.workload.source),
        "pods": list(r.workload.pods),
        "duplicates": [source(d) for d in r.workload.duplicates],
        "owner": ref(r.workload.owner) if r.workload.owner is not None else None,
        "reportedApart": r.workload.apart or None,
        "pss": {
            "level": str(r.level.level),
            "version": str(r.level.version),
            "levelSource": r.level_source,
            "allowed": not r.violations,
            "highestLevel": str(r.highest),
            "violations": [
                {"check": v.check, "reason": v.reason, "detail": v.detail} for v in r.violations
            ],
        },
        "psp": None,
    }
    if r.psp is not None:
        out["psp"] = {
            "requester": r.psp.requester,
            "allowed": r.psp.allowed,
            "policy": r.psp.policy,
            "mutated": r.psp.mutated,
            "patch": r.psp.patch,
            "message": r.psp.message,
            "errorsByPolicy": errors_by_policy(found.by_policy) if found else [],
            # explain(r): a denial is a rejection, and an admission has no explanation
            "explanation": found.explanation if found else None,
            "unauthorized": list(r.psp.decision.unauthorized),
        }
    return out


def errors_by_policy(by_policy: tuple[PolicyErrors, ...]) -> list[dict[str, Any]]:
    """Each policy's field errors, in upstream's order, with the control of each."""
    return [
        {
            "policy": p.policy,
            "errors": [{"control": c.key, "message": text} for c, text in p.errors],
        }
        for p in by_policy
    ]


def _rejected(
    entries: tuple[tuple[WorkloadRef, str], ...], found: tuple[Rejection, ...]
) -> Iterator[dict[str, Any]]:
    """Readiness entries, each with its rejection's details (matched in order, so two
    workloads that share a name keep their own)."""
    queue: dict[WorkloadRef, list[Rejection]] = {}
    for rj in found:
        queue.setdefault(rj.result.workload.ref, []).append(rj)
    for r, m in entries:
        item: dict[str, Any] = {"workload": ref(r), "message": m}
        pending = queue.get(r)
        if pending:
            rj = pending.pop(0)
            item["source"] = source(rj.result.workload.source)
            item["requester"] = rj.result.psp.requester if rj.result.psp else None
            item["reasons"] = list(rj.reasons)
            item["errorsByPolicy"] = errors_by_policy(rj.by_policy)
            item["explanation"] = rj.explanation
        yield item


def _groups(groups: tuple[Group[Any], ...], name: str) -> list[dict[str, Any]]:
    out = []
    # a workload under several groups is written alike in each (its entry is built once)
    entries: dict[int, dict[str, Any]] = {}
    for g in groups:
        workloads = []
        for item in g.items:
            w = item.result if isinstance(item, Rejection) else item
            entry = entries.get(id(w))
            if entry is None:
                entry = entries[id(w)] = {
                    **ref(w.workload.ref),
                    "source": source(w.workload.source),
                }
            workloads.append(entry)
        out.append(
            {
                name: g.key,
                "title": g.title,
                "severity": g.severity or None,
                "count": g.count,
                "workloads": workloads,
            }
        )
    return out


def control_fields(c: Control) -> dict[str, Any]:
    """What a finding says of its control, in the order every writer gives it."""
    return {
        "control": c.key,
        "category": c.category,
        "severity": c.severity,
        "cis": list(c.cis),
        "msThreatMatrix": list(c.ms_threat_matrix),
        "mitre": list(c.mitre),
    }


class _Findings:
    """`finding(f)` for many findings: the parts that depend only on the control, the workload,
    the source or the field path are built once and shared (the JSON is written, never
    changed)."""

    def __init__(self) -> None:
        self._controls: dict[int, tuple[Control, dict[str, Any]]] = {}
        self._refs: dict[WorkloadRef, dict[str, str]] = {}
        self._sources: dict[Source | None, dict[str, Any] | None] = {}
        self._fields: dict[FieldPath, str] = {}
        # the findings of one workload come together: its ref and source, as last written
        self._last: tuple[WorkloadRef | None, Source | None] = (None, None)
        self._last_parts: tuple[dict[str, str], dict[str, Any] | None] = ({}, None)

    def finding(self, f: Finding) -> dict[str, Any]:
        c = f.control
        kept = self._controls.get(id(c))
        if kept is None:
            # the control is kept with its parts, so that its id stays its own
            kept = self._controls[id(c)] = (c, control_fields(c))
        parts = kept[1]
        src = f.source
        last_ref, last_src = self._last
        if f.workload is last_ref and src is last_src:
            workload, where = self._last_parts
        else:
            workload, where = self._workload_parts(f.workload, src)
        field = self._fields.get(f.path)
        if field is None:
            if len(self._fields) >= _FIELDS_KEPT:
                self._fields.clear()
            field = self._fields[f.path] = render(f.path)
        return {
            "rule": f.rule,
            "engine": f.engine,
            "check": f.check,
            "workload": workload,
            "serviceAccount": f.service_account,
            "container": f.container,
            "control": parts["control"],
            "category": parts["category"],
            "severity": parts["severity"],
            "title": f.title,
            "message": f.message,
            "field": field,
            "source": where,
            "cis": parts["cis"],
            "msThreatMatrix": parts["msThreatMatrix"],
            "mitre": parts["mitre"],
            "accepted": f.accepted_by is not None,
            "acceptedBy": f.accepted_by,
        }

    def _workload_parts(
        self, r: WorkloadRef, src: Source | None
    ) -> tuple[dict[str, str], dict[str, Any] | None]:
        workload = self._refs.get(r)
        if workload is None:
            workload = self._refs[r] = ref(r)
        if src in self._sources:
            where = self._sources[src]
        else:
            where = self._sources[src] = source(src)
        self._last = (r, src)
        self._last_parts = (workload, where)
        return workload, where


_FIELDS_KEPT = 4096  # distinct field paths rendered once per report, up to this many at a time


def _counts(table: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {k: dict(sorted(v.items())) for k, v in sorted(table.items())}


def summary(result: ScanResult) -> dict[str, Any]:
    """The report's `summary`: the counts `result.failing` and `result.summary(by)` give, from
    one pass over the findings (each finding counted under its category, severity, namespace
    and whether it is accepted; the tables are made from those counts)."""
    tally = Counter(
        (f.control.category, f.control.severity, f.workload.namespace, f.accepted_by is None)
        for f in result.findings
    )
    fail_on = result.options.fail_on
    accepted = failing = 0
    by_category: dict[str, Counter[str]] = {}
    by_namespace: dict[str, Counter[str]] = {}
    by_severity: dict[str, Counter[str]] = {}
    for (category, severity, namespace, open_), n in tally.items():
        state = "open" if open_ else "accepted"
        if not open_:
            accepted += n
        elif fail_on != "none" and at_least(severity, fail_on):
            failing += n
        for table, key in ((by_category, category), (by_namespace, namespace)):
            bucket = table.get(key)
            if bucket is None:
                bucket = table[key] = Counter()
            bucket[state] += n
            bucket[severity] += n
        by_severity.setdefault(severity, Counter())[state] += n
    return {
        "workloads": len(result.workloads),
        "findings": len(result.findings),
        "accepted": accepted,
        "failing": failing,
        "failOn": fail_on,
        "byCategory": _counts(by_category),
        "byNamespace": _counts(by_namespace),
        "bySeverity": _counts(by_severity),
    }


class _Lazy:
    """A JSON list built only as it is written (`json_bytes`): the items of the largest parts
    of a report (workloads, findings, rejections) need not all be alive at once."""

    __slots__ = ("_items",)

    def __init__(self, items: Callable[[], Iterable[Any]]) -> None:
        self._items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())


def _built(value: Any) -> Any:
    """`value` with every lazy list in it built (plain JSON values)."""
    if isinstance(value, _Lazy):
        return list(value)
    if isinstance(value, dict) and any(isinstance(v, _Lazy | dict) for v in value.values()):
        return {k: _built(v) for k, v in value.items()}
    return value


def to_json(result: ScanResult) -> dict[str, Any]:
    """The scan result as JSON values. Python's cyclic GC is suspended meanwhile: the values are
    acyclic, and the collections that building them sets off would walk the whole result
    again and again (on 10,000 pods: 0.67-1.18 s with it, 0.31 s without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        built: dict[str, Any] = _built(_to_json(result))
        return built
    finally:
        if enabled:
            gc.enable()


_INDENT = orjson.OPT_INDENT_2

_CHUNK = 256
"""How many items of a lazy list are written by one `orjson.dumps`: a call per item costs more
than the item's own writing; a report's largest lists are never whole in memory."""


def _nested(value: Any, depth: int) -> Any:
    """`value` as the one item of lists `depth` deep: orjson writes it as it would `depth`
    levels deep in any value."""
    for _ in range(depth):
        value = [value]
    return value


def _items(value: _Lazy, pad: bytes, chunk: int) -> Iterator[bytes]:
    """The items of the lazy list `value`, which stands `pad` deep, as orjson writes them with
    OPT_INDENT_2 after the list's `[`, then its `]`: `chunk` items at a time, each batch
    written as a list that stands as deep as `value` (`_nested`), without the brackets and
    indentation around its items (a list of n items is `[` + each item after `\n` and its
    indentation, `,` between them, + `\n<pad>]`)."""
    depth = len(pad) // 2
    before, _, after = orjson.dumps(_nested([0], depth), option=_INDENT).partition(b"0")
    head, tail = before.rindex(b"[") + 1, -len(after)
    batch: list[Any] = []
    lead = b""
    for item in value:
        batch.append(item)
        if len(batch) == chunk:
            yield lead + orjson.dumps(_nested(batch, depth), option=_INDENT)[head:tail]
            batch.clear()
            lead = b","
    if batch:
        yield lead + orjson.dumps(_nested(batch, depth), option=_INDENT)[head:tail]
        lead = b","
    yield b"\n" + pad + b"]" if lead else b"]"


def _pieces(value: Any, pad: bytes, chunk: int = _CHUNK) -> Iterator[bytes]:
    """`value` written as orjson writes it with OPT_INDENT_2 when it stands `pad` deep."""
    if isinstance(value, _Lazy):
        yield b"["
        yield from _items(value, pad, chunk)
    elif isinstance(value, dict) and value and any(isinstance(v, _Lazy) for v in value.values()):
        inner = pad + b"  "
        lead = b"{\n" + inner
        for key, item in value.items():
            yield lead + orjson.dumps(key) + b": "
            yield from _pieces(item, inner, chunk)
            lead = b",\n" + inner
        yield b"\n" + pad + b"}"
    else:
        yield orjson.dumps(value, option=_INDENT).replace(b"\n", b"\n" + pad)


def json_bytes(result: ScanResult, *, chunk: int = _CHUNK) -> Iterator[bytes]:
    """`orjson.dumps(to_json(result), option=OPT_INDENT_2 | OPT_APPEND_NEWLINE)`, byte for
    byte, in pieces: each workload, finding and rejection is built, written and let go in
    turn, so the report of a large snapshot is never whole in memory, as values or as bytes.
    Python's cyclic GC is suspended meanwhile (see `to_json`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield from _pieces(_to_json(result), b"", chunk)
        yield b"\n"
    finally:
        if enabled:
            gc.enable()


def _to_json(result: ScanResult) -> dict[str, Any]:
    rd = result.readiness
    found = rejections(result)
    rejected = {id(rj.result): rj for rj in found}
    findings = _Findings()
    return {
        "summary": summary(result),
        "readiness": {
            "pspEnabled": rd.psp_enabled,
            "rbacFromInput": rd.rbac_from_input,
            "lockouts": [
                {"namespace": ns, "serviceAccount": sa, "reason": why}
                for ns, sa, why in rd.lockouts
            ],
            "rejectedSystemComponents": _Lazy(
                lambda: _rejected(rd.rejected_system, tuple(r for r in found if r.system))
            ),
            "rejected": _Lazy(lambda: _rejected(rd.rejected, found)),
            "mutated": [{"workload": ref(r), "policy": p} for r, p in rd.mutated],
            "pssFailing": [ref(r) for r in rd.pss_failing],
            "rejectedByReason": _groups(by_reason(found), "reason"),
            "mutatedByPolicy": _groups(mutated_by_policy(result), "policy"),
            "pssFailingByControl": _groups(pss_failing_by_control(result), "control"),
            "pspMode": {None: "auto", True: "on", False: "off"}[result.options.psp],
            "pspEnabledBy": list(rd.psp_files),
        },
        "overview": [
            {
                "namespace": u.namespace,
                "serviceAccount": u.service_account,
                "policies": [{"policy": p, "bindings": list(b)} for p, b in u.policies],
            }
            for u in result.overview
        ],
        "broadBindings": [
            {
                "binding": b.binding,
                "role": b.role,
                "subject": b.subject,
                "policies": list(b.policies),
                "blastRadius": b.blast_radius,
            }
            for b in result.broad_bindings
        ],
        "exceptions": [
            {
                "id": s.exception.id,
                "scope": dict(s.exception.scope),
                "justification": s.exception.justification,
                "owner": s.exception.owner,
                "expires": s.exception.expires.isoformat(),
                "state": s.state,
                "matched": s.matched,
                "source": s.exception.source,
            }
            for s in result.exceptions
        ],
        "workloads": _Lazy(lambda: (workload(r, rejected.get(id(r))) for r in result.workloads)),
        "findings": _Lazy(lambda: (findings.finding(f) for f in result.findings)),
        "notes": list(result.notes),
        "warnings": list(result.warnings),
        "notEvaluated": {
            "byKind": dict(result.coverage.not_evaluated),
            "podCreatingResources": [
                {
                    "kind": p.kind,
                    "apiVersion": p.api_version,
                    "namespace": p.namespace,
                    "name": p.name,
                    "source": source(p.source),
                    "evidence": p.evidence,
                }
                for p in result.coverage.pod_creators
            ],
        },
    }
