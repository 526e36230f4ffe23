"""The Advisor and Exports pages: least-privilege policies per service account, and the
export of the input's policies to Pod Security Admission labels, each proved (or not) by
podgate's engines (`podgate advise`, `podgate export`)."""

from __future__ import annotations

from collections.abc import Mapping

from podgate.export import DEFAULT_KUBERNETES_VERSION, TARGETS, ExportError
from podgate.ui.changes import to_yaml
from podgate.ui.model import Model
from podgate.ui.pages import Page
from podgate.ui.tables import Cell, Column, Filter, Row, Table

# --- Advisor ---------------------------------------------------------------------------------


def advisor(model: Model, params: Mapping[str, str]) -> Page:
    advice, report = model.advice
    page = Page("advisor.html.j2", "Advisor", "advisor")
    page.add(
        Table(
            "a",
            "Least-privilege policies generated from what runs, one per service account "
            "(each checked: every observed pod is admitted unchanged)",
            (
                Column("policy", "Policy"),
                Column("sas", "Service accounts"),
                Column("notes", "Notes"),
            ),
            tuple(
                Row(
                    (
                        Cell(p.name, href=f"#advice-{p.name}"),
                        Cell(", ".join(f"{ns}/{sa}" for ns, sa in p.service_accounts)),
                        Cell("; ".join(p.notes)),
                    )
                )
                for p in advice.policies
            ),
            empty="No workloads to advise on.",
        ),
        params,
    )
    page.add(
        Table(
            "ex",
            "Narrow exceptions: privileges only some service accounts of a namespace need",
            (
                Column("severity", "Severity"),
                Column("namespace", "Namespace"),
                Column("control", "Control"),
                Column("value", "Value"),
                Column("sas", "Service accounts"),
                Column("workloads", "Workloads"),
            ),
            tuple(
                Row(
                    (
                        Cell(e.severity, cls=f"sev {e.severity}", badge=True),
                        Cell(e.namespace),
                        Cell(e.key, code=True),
                        Cell(e.value),
                        Cell(", ".join(e.service_accounts)),
                        Cell(", ".join(e.workloads)),
                    )
                )
                for e in report.exceptions
            ),
            empty="None.",
        ),
        params,
    )
    page.context.update(
        advised=[(p, to_yaml(p.policy)) for p in advice.policies],
        manifests=to_yaml(*advice.manifests) if advice.policies else "",
        checked=advice.checked,
    )
    return page


def exports(model: Model, params: Mapping[str, str]) -> Page | str:
    version = params.get("kubernetes-version", "").strip() or DEFAULT_KUBERNETES_VERSION
    target = params.get("to", "psa")
    if target not in TARGETS:
        return f"--to: unknown target {target!r} (known: {', '.join(TARGETS)})"
    try:
        result = model.export_to(target, version)
    except ExportError as e:
        return str(e)
    page = Page("exports.html.j2", "Exports", "exports")
    rows = []
    for o in (*result.policies, *result.namespaces):
        cls = {"proved": "good", "partial": "warn"}.get(o.verdict.value, "bad")
        rows.append(
            Row(
                (
                    Cell(o.name),
                    Cell(o.verdict.value, cls=cls),
                    Cell(f"{o.agreed} of {o.pods}", sort=o.pods - o.agreed),
                    Cell(str(len(o.gaps)), sort=len(o.gaps)),
                    Cell(o.engine or "(none ran it)"),
                ),
                facets={"verdict": o.verdict.value},
            )
        )
    page.add(
        Table(
            "x",
            f"The export to {target} for Kubernetes {result.kubernetes_version}, per policy or "
            "namespace, each compared with PSP's own decisions (where an engine here can run "
            "it) on the input's workloads and on generated pods near every policy's boundary",
            (
                Column("name", "Policy or namespace"),
                Column("verdict", "Verdict"),
                Column("agreed", "Pods agreed"),
                Column("gaps", "Gaps"),
                Column("engine", "Proved by"),
            ),
            tuple(rows),
            filters=(
                Filter(
                    "verdict",
                    "Verdict",
                    (("proved", "proved"), ("partial", "partial"), ("unproved", "unproved")),
                ),
            ),
            empty="Nothing to export (no PodSecurityPolicies in the input).",
        ),
        params,
    )
    gap_rows = tuple(
        Row(
            (
                Cell(o.name),
                Cell(g.field, code=True),
                Cell(g.direction.value, cls="bad" if g.direction.value == "looser" else "warn"),
                Cell(g.detail, cls="msg"),
                Cell(", ".join(g.workloads)),
            ),
            facets={"direction": g.direction.value},
        )
        for o in (*result.policies, *result.namespaces)
        for g in o.gaps
    )
    page.add(
        Table(
            "g",
            "Gaps: where the export decides differently from PSP (looser: admits what PSP "
            "denied; stricter: denies what PSP admitted)",
            (
                Column("name", "Policy or namespace"),
                Column("field", "Field"),
                Column("direction", "Direction"),
                Column("detail", "Detail"),
                Column("workloads", "Input workloads affected"),
            ),
            gap_rows,
            filters=(
                Filter("direction", "Direction", (("looser", "looser"), ("stricter", "stricter"))),
            ),
            empty="No gaps: the export decides as PSP did on every pod tried.",
        ),
        params,
    )
    page.context.update(
        x=result,
        k8s_version=version,
        target=target,
        targets=TARGETS,
        objects_yaml=to_yaml(*result.objects) if result.objects else "",
    )
    return page
