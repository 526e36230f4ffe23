"""The read pages: Overview, Namespaces, Exceptions (Workloads and one workload in
pages_workloads.py), and the cells and links they share. Each builds its tables and context from
the model (the scanner's results); templates only lay them out."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from podgate.k8s.field import FieldPath
from podgate.k8s.source import Source
from podgate.pss import Level
from podgate.pss import namespaces as ns_policy
from podgate.pss.labels import LABEL_KEYS
from podgate.scan.controls import SEVERITIES, SEVERITY_RANK
from podgate.scan.inventory import WorkloadRef
from podgate.scan.preview import psp_state
from podgate.scan.scan import WorkloadResult
from podgate.ui.model import Model
from podgate.ui.tables import Cell, Column, Filter, Row, Table

LEVELS = (Level.PRIVILEGED, Level.BASELINE, Level.RESTRICTED)


@dataclass
class Page:
    template: str
    title: str
    nav: str
    context: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)

    def add(self, table: Table, params: Mapping[str, str]) -> Table:
        applied = table.apply(params)
        self.tables[table.id] = applied
        return applied


def workload_href(ref: WorkloadRef, at: int = 0) -> str:
    """The workload's page; `at` picks one of several definitions of the same identity."""
    parts = (ref.namespace, ref.kind, ref.name)
    path = "/workloads/" + "/".join(quote(p or "-", safe="") for p in parts)
    return f"{path}?at={at}" if at else path


def definition_index(model: Model, r: WorkloadResult) -> int:
    """Which definition of its identity `r` is (0 for the first, or the only one)."""
    same = [x for x in model.result.workloads if x.workload.ref == r.workload.ref]
    return next(i for i, x in enumerate(same) if x is r)


def where(source: Source | None, model: Model, path: FieldPath = ()) -> str:
    """`file:line` of a field (or of the object) in the input."""
    if source is None:
        return ""
    line = source.line
    if path:
        found = model.locate(source, path)
        if found is not None:
            line = found[0]
    name = source.file
    if os.path.isabs(name) and not os.path.relpath(name).startswith(".."):
        name = os.path.relpath(name)  # as the user would type it, from where podgate ui runs
    return f"{name}:{line}" if line > 0 else name


def worst(r: WorkloadResult) -> str:
    open_sev = [f.severity for f in r.findings if not f.accepted]
    return max(open_sev, key=lambda s: SEVERITY_RANK.get(s, -1)) if open_sev else ""


def psp_cell(r: WorkloadResult) -> Cell:
    state = psp_state(r)
    cls = {"rejected": "bad", "changed": "warn", "admitted": "good"}.get(state, "")
    return Cell(state, cls=cls)


def sev_cell(sev: str) -> Cell:
    return Cell(
        sev or "none",
        cls=f"sev {sev}" if sev else "good",
        sort=SEVERITY_RANK.get(sev, -1),
        badge=bool(sev),
    )


def level_cell(level: Level) -> Cell:
    return Cell(str(level), cls=f"level {level}", sort=level.strictness)


# --- Overview ---------------------------------------------------------------------------------


def overview(model: Model, params: Mapping[str, str]) -> Page:
    r = model.result
    page = Page("overview.html.j2", "Overview", "overview")
    by_cat = r.summary("category")
    titles = {f.category: f.control.category_title for f in r.findings}
    risk_rows = []
    for cat, counts in sorted(by_cat.items(), key=lambda kv: -sum(kv[1][s] for s in SEVERITIES)):
        cells = [Cell(titles.get(cat, cat))]
        cells += [
            Cell(str(counts[s]), sort=counts[s], cls=f"n {s}" if counts[s] else "n")
            for s in SEVERITIES
        ]
        cells.append(Cell(str(counts["accepted"]), sort=counts["accepted"]))
        risk_rows.append(Row(tuple(cells)))
    page.add(
        Table(
            "risk",
            "Findings per category and severity (open), and those accepted by an exception",
            (
                Column("category", "Category"),
                *(Column(s, s) for s in SEVERITIES),
                Column("accepted", "accepted"),
            ),
            tuple(risk_rows),
            empty="No findings.",
        ),
        params,
    )
    page.add(namespace_grid(model), params)
    page.context.update(
        rd=r.readiness,
        notes=r.notes,
        restricted_previews=[
            (ns, enforce_preview_href(model, ns, Level.RESTRICTED)) for ns in model.namespaces
        ],
        expired=sum(1 for e in r.exceptions if e.state == "expired"),
        coverage=r.coverage,
    )
    return page


def namespace_grid(model: Model) -> Table:
    """Per namespace: pass/fail at its enforce level, at baseline and restricted, and what PSP
    does with its workloads."""
    by_ns: dict[str, list[WorkloadResult]] = {}
    for w in model.result.workloads:
        by_ns.setdefault(w.workload.ref.namespace, []).append(w)
    rows = []
    for ns, ws in sorted(by_ns.items()):
        enforce = ws[0].level
        fail_enforce = sum(1 for w in ws if w.violations)
        cells = [
            Cell(ns or "(cluster)", href=f"/namespaces/{quote(ns, safe='')}"),
            Cell(f"{enforce.level}:{enforce.version}"),
            _pass_fail(len(ws) - fail_enforce, fail_enforce, f"/workloads?w.namespace={quote(ns)}"),
        ]
        for level in (Level.BASELINE, Level.RESTRICTED):
            failing = sum(1 for w in ws if w.highest.strictness < level.strictness)
            href = enforce_preview_href(model, ns, level) if ns in model.namespaces else None
            cells.append(_pass_fail(len(ws) - failing, failing, href))
        states = Counter(psp_state(w) for w in ws)
        psp_text = ", ".join(
            f"{states[s]} {s}" for s in ("admitted", "changed", "rejected") if states[s]
        )
        cells.append(
            Cell(
                psp_text or "not checked",
                cls="bad" if states["rejected"] else "",
                sort=states["rejected"],
            )
        )
        open_findings = sum(1 for w in ws for f in w.findings if not f.accepted)
        cells.append(Cell(str(open_findings), sort=open_findings))
        rows.append(Row(tuple(cells), facets={"result": "fail" if fail_enforce else "pass"}))
    return Table(
        "grid",
        "Pass/fail per namespace: workloads that meet each level, and the PodSecurityPolicy "
        "outcome",
        (
            Column("namespace", "Namespace"),
            Column("enforce", "Enforce label"),
            Column("at-enforce", "At its enforce level"),
            Column("baseline", "At baseline"),
            Column("restricted", "At restricted"),
            Column("psp", "PodSecurityPolicy"),
            Column("open", "Open findings"),
        ),
        tuple(rows),
        filters=(Filter("result", "At its level", (("pass", "pass"), ("fail", "fail"))),),
    )


def enforce_preview_href(model: Model, namespace: str, level: Level) -> str:
    """The preview of enforcing `level` (latest) on a namespace, its other labels kept."""
    labels = labels_of(model.namespaces[namespace])
    params = {}
    for mode in ("audit", "warn"):
        key = f"pod-security.kubernetes.io/{mode}"
        if key in labels:
            params[mode] = labels[key]
            if f"{key}-version" in labels:
                params[f"{mode}-version"] = labels[f"{key}-version"]
    params.update({"enforce": str(level), "enforce-version": "latest"})
    return f"/namespaces/{quote(namespace, safe='')}/preview?{urlencode(params)}"


def _pass_fail(passed: int, failed: int, href: str | None) -> Cell:
    return Cell(
        f"{passed} pass, {failed} fail",
        href=href,
        cls="fail-cell" if failed else "pass-cell",
        sort=-failed,
    )


# --- Namespaces -------------------------------------------------------------------------------


def namespace_levels(model: Model) -> dict[str, tuple[Level, int]]:
    """The strictest level every workload of each namespace meets, and how many there are."""
    out: dict[str, tuple[Level, int]] = {}
    for w in model.result.workloads:
        ns = w.workload.ref.namespace
        level, n = out.get(ns, (Level.RESTRICTED, 0))
        if w.highest.strictness < level.strictness:
            level = w.highest
        out[ns] = (level, n + 1)
    return out


def suggestions(model: Model) -> dict[str, Any]:
    _, report = model.advice
    return {n.namespace: n for n in report.namespaces}


def labels_of(obj: Any) -> dict[str, str]:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return {k: str(v) for k, v in labels.items() if k in LABEL_KEYS}


def namespaces(model: Model, params: Mapping[str, str]) -> Page:
    page = Page("namespaces.html.j2", "Namespaces", "namespaces")
    levels = namespace_levels(model)
    suggested = suggestions(model)
    rows = []
    for name, obj in model.namespaces.items():
        policy = ns_policy.resolve(labels_of(obj), model.options.config).policy
        meets, count = levels.get(name, (Level.RESTRICTED, 0))
        sug = suggested.get(name)
        enforce_cls = "bad" if count and meets.strictness < policy.enforce.level.strictness else ""
        rows.append(
            Row(
                (
                    Cell(name, href=f"/namespaces/{quote(name, safe='')}"),
                    Cell(str(policy.enforce), cls=enforce_cls),
                    Cell(str(policy.audit)),
                    Cell(str(policy.warn)),
                    Cell(str(count), sort=count),
                    level_cell(meets) if count else Cell("(no workloads)"),
                    Cell(
                        f"{sug.level}:{sug.version}" if sug else "",
                        cls=f"level {sug.level}" if sug else "",
                    ),
                ),
                facets={"meets": str(meets) if count else ""},
            )
        )
    page.add(
        Table(
            "ns",
            "Pod Security labels (effective level:version per mode; red: some workloads fail "
            "it), the level every workload meets, and the suggested enforce level (the "
            "strictest they all meet)",
            (
                Column("namespace", "Namespace"),
                Column("enforce", "Enforce"),
                Column("audit", "Audit"),
                Column("warn", "Warn"),
                Column("workloads", "Workloads"),
                Column("meets", "All workloads meet"),
                Column("suggested", "Suggested enforce"),
            ),
            tuple(rows),
            filters=(
                Filter("meets", "Workloads meet", tuple((str(lv), str(lv)) for lv in LEVELS)),
            ),
        ),
        params,
    )
    return page


def namespace(model: Model, params: Mapping[str, str], name: str) -> Page | None:
    obj = model.namespaces.get(name)
    if obj is None:
        return None
    page = Page("namespace.html.j2", f"Namespace {name}", "namespaces")
    policy = ns_policy.resolve(labels_of(obj), model.options.config)
    mine = [w for w in model.result.workloads if w.workload.ref.namespace == name]
    rows = tuple(
        Row(
            (
                Cell(
                    f"{w.workload.ref.kind} {w.workload.ref.name}",
                    href=workload_href(w.workload.ref),
                ),
                Cell("fail" if w.violations else "pass", cls="bad" if w.violations else "good"),
                level_cell(w.highest),
                psp_cell(w),
                sev_cell(worst(w)),
            )
        )
        for w in mine
    )
    page.add(
        Table(
            "nw",
            f"Workloads of {name}",
            (
                Column("workload", "Workload"),
                Column("pss", f"At {policy.policy.enforce}"),
                Column("level", "Highest level met"),
                Column("psp", "PSP outcome"),
                Column("severity", "Worst open severity"),
            ),
            rows,
            empty="No workloads in the input for this namespace.",
        ),
        params,
    )
    levels = namespace_levels(model)
    page.context.update(
        name=name,
        labels=labels_of(obj),
        policy=policy.policy,
        label_errors=[str(e) for e in policy.errors],
        meets=levels.get(name),
        suggested=suggestions(model).get(name),
        exempt=ns_policy.is_exempt(name, model.options.config),
    )
    return page


# --- Exceptions -------------------------------------------------------------------------------


def exceptions(model: Model, params: Mapping[str, str]) -> Page:
    page = Page("exceptions.html.j2", "Exceptions", "exceptions")
    rows = []
    for s in model.result.exceptions:
        e = s.exception
        rows.append(
            Row(
                (
                    Cell(e.id),
                    Cell(s.state, cls=f"state {s.state}"),
                    Cell(str(s.matched), sort=s.matched),
                    Cell(" ".join(f"{k}={v}" for k, v in e.scope.items()), code=True),
                    Cell(e.owner),
                    Cell(e.expires.isoformat(), cls="date"),
                    Cell(e.ticket),
                    Cell(e.justification),
                ),
                facets={"state": s.state},
                cls=f"state-{s.state}",
            )
        )
    page.add(
        Table(
            "e",
            f"Accepted risks as of {model.options.today.isoformat()}: expired ones cover "
            f"nothing, unused ones match no finding",
            (
                Column("id", "Exception"),
                Column("state", "State"),
                Column("matched", "Findings covered"),
                Column("scope", "Scope"),
                Column("owner", "Owner"),
                Column("expires", "Expires"),
                Column("ticket", "Ticket"),
                Column("justification", "Justification"),
            ),
            tuple(rows),
            filters=(
                Filter(
                    "state",
                    "State",
                    (("active", "active"), ("expired", "expired"), ("unused", "unused")),
                ),
            ),
            empty="No exceptions given (podgate ui ... --exceptions FILE).",
        ),
        params,
    )
    states = Counter(s.state for s in model.result.exceptions)
    page.context.update(states=states, today=model.options.today)
    return page
