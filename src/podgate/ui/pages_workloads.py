"""The Workloads page (every workload once: its Pod Security Standards result, PodSecurityPolicy
outcome and findings) and one workload's page (its findings, where they are in the input, and the
exceptions that accept them)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from podgate.scan.controls import SEVERITIES
from podgate.scan.inventory import WorkloadRef
from podgate.scan.preview import psp_state
from podgate.ui.model import Model
from podgate.ui.pages import (
    LEVELS,
    Page,
    definition_index,
    level_cell,
    psp_cell,
    sev_cell,
    where,
    workload_href,
    worst,
)
from podgate.ui.tables import Cell, Column, Filter, Row, Table, options

# --- Workloads --------------------------------------------------------------------------------


def workloads(model: Model, params: Mapping[str, str]) -> Page:
    page = Page("workloads.html.j2", "Workloads", "workloads")
    rows = []
    for r in model.result.workloads:
        ref = r.workload.ref
        dup = bool(r.workload.duplicates)
        sev = worst(r)
        opened = sum(1 for f in r.findings if not f.accepted)
        accepted = len(r.findings) - opened
        cells = (
            Cell(
                ref.name + (f" (definition {definition_index(model, r) + 1})" if dup else ""),
                href=workload_href(ref, definition_index(model, r)),
                cls="name",
            ),
            Cell(ref.namespace),
            Cell(ref.kind),
            Cell(r.workload.service_account),
            Cell(
                f"{'fail' if r.violations else 'pass'} at {r.level.level}:{r.level.version}",
                cls="bad" if r.violations else "good",
            ),
            level_cell(r.highest),
            psp_cell(r),
            Cell((r.psp.policy or "") if r.psp else ""),
            sev_cell(sev),
            Cell(f"{opened} open" + (f", {accepted} accepted" if accepted else ""), sort=opened),
            Cell(where(r.workload.source, model), code=True, cls="file"),
        )
        rows.append(
            Row(
                cells,
                facets={
                    "namespace": ref.namespace,
                    "kind": ref.kind,
                    "level": str(r.highest),
                    "pss": "fail" if r.violations else "pass",
                    "psp": psp_state(r),
                    "severity": sev or "none",
                },
            )
        )
    ws = model.result.workloads
    page.add(
        Table(
            "w",
            "Every workload once: its Pod Security Standards result, the PodSecurityPolicy "
            "outcome and its findings",
            (
                Column("name", "Workload"),
                Column("namespace", "Namespace"),
                Column("kind", "Kind"),
                Column("sa", "Service account"),
                Column("pss", "PSS (its level)"),
                Column("level", "Meets"),
                Column("psp", "PSP"),
                Column("policy", "Admitted by"),
                Column("severity", "Worst open"),
                Column("findings", "Findings"),
                Column("file", "File"),
            ),
            tuple(rows),
            filters=(
                Filter("namespace", "Namespace", options([w.workload.ref.namespace for w in ws])),
                Filter("kind", "Kind", options([w.workload.ref.kind for w in ws])),
                Filter("level", "Meets", tuple((str(lv), str(lv)) for lv in LEVELS)),
                Filter("pss", "PSS", (("pass", "pass"), ("fail", "fail"))),
                Filter(
                    "psp",
                    "PSP",
                    tuple((s, s) for s in ("admitted", "changed", "rejected", "not checked")),
                ),
                Filter(
                    "severity", "Severity", tuple((s, s) for s in (*reversed(SEVERITIES), "none"))
                ),
            ),
            empty="No workload matches.",
        ),
        params,
    )
    return page


def workload(model: Model, params: Mapping[str, str], ref: WorkloadRef) -> Page | None:
    found = model.definitions(ref)
    at = params.get("at", "0")
    if not found or not at.isdigit() or int(at) >= len(found):
        return None
    r = found[int(at)]
    page = Page("workload.html.j2", f"{ref.kind} {ref.namespace}/{ref.name}", "workloads")
    rows = []
    for f in r.findings:
        rows.append(
            Row(
                (
                    sev_cell(f.severity),
                    Cell(f"{f.engine.upper()} {f.control.key}", code=True),
                    Cell(f.container or "(pod)"),
                    Cell(f.message, cls="msg"),
                    Cell(f.field, code=True, cls="file"),
                    Cell(where(f.source, model, f.path), code=True, cls="file"),
                    Cell(
                        f.accepted_by or "",
                        href=f"/exceptions#{quote(f.accepted_by)}" if f.accepted_by else None,
                    ),
                ),
                cls="accepted" if f.accepted else "",
            )
        )
    page.add(
        Table(
            "f",
            "Findings with upstream's text, where they are in the input, and the exception "
            "that accepts them",
            (
                Column("severity", "Severity"),
                Column("control", "Engine and control"),
                Column("container", "Container"),
                Column("message", "Message"),
                Column("field", "Field"),
                Column("where", "File:line"),
                Column("accepted", "Accepted by"),
            ),
            tuple(rows),
            empty="No findings: it meets its level and PodSecurityPolicy admits it.",
        ),
        params,
    )
    others = [
        (workload_href(ref, i), where(x.workload.source, model))
        for i, x in enumerate(found)
        if x is not r
    ]
    page.context.update(
        r=r, where=where(r.workload.source, model), psp_state=psp_state(r), others=others
    )
    return page
