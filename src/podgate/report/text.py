"""The scan for a person: readiness first and loud, then risk per category, the findings per
workload, who may use which policy, and the exceptions. Colour only on a terminal."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from podgate.report.context import ReportContext
from podgate.scan.controls import SEVERITIES
from podgate.scan.scan import ScanResult

STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def render(result: ScanResult, context: ReportContext) -> str:
    buf = io.StringIO()
    out = Console(
        file=buf,
        force_terminal=context.color,
        no_color=not context.color,
        width=120,
        highlight=False,
        soft_wrap=True,
    )
    _readiness(out, result)
    _risk(out, result)
    _workloads(out, result)
    _overview(out, result)
    _exceptions(out, result)
    for note in result.notes:
        out.print(Text(f"note: {note}", style="yellow"))
    failing = len(result.failing)
    accepted = sum(1 for f in result.findings if f.accepted)
    verdict = (
        f"{len(result.workloads)} workloads, {len(result.findings)} findings "
        f"({accepted} accepted); {failing} at or above --fail-on {result.options.fail_on}"
    )
    out.print(Text(verdict, style="bold red" if failing else "bold green"))
    return buf.getvalue()


def _readiness(out: Console, result: ScanResult) -> None:
    rd = result.readiness
    out.rule("Enablement readiness")
    if not rd.psp_enabled:
        out.print(
            "PodSecurityPolicies: none given (--policy) or found in the input; "
            "only the Pod Security Standards were checked."
        )
    else:
        if not rd.rbac_from_input:
            out.print(
                Text(
                    "No RBAC in the input: every policy taken as usable by everyone.",
                    style="yellow",
                )
            )
        if rd.lockouts:
            out.print(
                Text(
                    f"LOCKOUT: {len(rd.lockouts)} service account(s) could run no pod "
                    "at all once PSP admission is enabled:",
                    style="bold red",
                )
            )
            for ns, sa, _ in rd.lockouts:
                out.print(f"  - {ns}/{sa}")
        if rd.rejected_system:
            out.print(
                Text(
                    f"SYSTEM COMPONENTS REJECTED: {len(rd.rejected_system)} (kube-system "
                    "or DaemonSets):",
                    style="bold red",
                )
            )
            for ref, msg in rd.rejected_system:
                out.print(f"  - {ref}: {msg}")
        out.print(
            f"Would be rejected by PSP: {len(rd.rejected)} workload(s); "
            f"would be mutated: {len(rd.mutated)}."
        )
        for ref, policy in rd.mutated:
            out.print(f"  - {ref} (mutated by {policy!r})")
    out.print(f"Failing their Pod Security Standards level: {len(rd.pss_failing)} workload(s).")


def _risk(out: Console, result: ScanResult) -> None:
    table = Table(title="Risk per category", show_lines=False)
    table.add_column("category")
    for s in SEVERITIES:
        table.add_column(s, justify="right")
    table.add_column("accepted", justify="right")
    by_cat = result.summary("category")
    titles = {f.category: f.control.category_title for f in result.findings}
    for cat, counts in sorted(by_cat.items(), key=lambda kv: -sum(kv[1][s] for s in SEVERITIES)):
        table.add_row(
            titles.get(cat, cat),
            *(str(counts[s] or "") for s in SEVERITIES),
            str(counts["accepted"] or ""),
        )
    out.print(table)


def _workloads(out: Console, result: ScanResult) -> None:
    out.rule("Workloads")
    for r in result.workloads:
        ok = not r.violations and (r.psp is None or r.psp.allowed)
        src = r.workload.source
        where = ""
        if src is not None:
            where = f" ({src.file}:{src.line})" if src.line > 0 else f" ({src.file})"
        head = Text(f"{'PASS' if ok else 'FAIL'}  {r.workload.ref}", style="green" if ok else "red")
        head.append(f"  {r.level} [{r.level_source}], meets {r.highest}{where}", style="dim")
        out.print(head)
        if r.psp is not None:
            psp = (
                f"admitted by {r.psp.policy!r}" + (" with changes" if r.psp.mutated else "")
                if r.psp.allowed
                else "denied"
            )
            out.print(f"      PSP (requested by {r.psp.requester}): {psp}")
        for f in r.findings:
            mark = "accepted" if f.accepted else f.severity
            style = "dim" if f.accepted else STYLE.get(f.severity, "")
            line = Text(f"      [{mark}] {f.rule}", style=style)
            line.append(f"  {f.message}")
            out.print(line)


def _overview(out: Console, result: ScanResult) -> None:
    if not result.overview:
        return
    out.rule("Who may use which PodSecurityPolicy")
    table = Table()
    table.add_column("namespace/serviceaccount")
    table.add_column("policies (through)")
    for u in result.overview:
        text = "; ".join(f"{p} ({', '.join(b)})" for p, b in u.policies) or "NONE"
        table.add_row(f"{u.namespace}/{u.service_account}", text)
    out.print(table)
    for b in result.broad_bindings:
        out.print(
            Text(
                f"broad grant: {b.binding} gives {', '.join(b.policies)} to {b.subject}: "
                f"{b.blast_radius}",
                style="yellow",
            )
        )


def _exceptions(out: Console, result: ScanResult) -> None:
    if not result.exceptions:
        return
    out.rule("Exceptions (accepted risks)")
    states = Counter(s.state for s in result.exceptions)
    for s in result.exceptions:
        e = s.exception
        style = {"active": "", "expired": "red", "unused": "yellow"}[s.state]
        out.print(
            Text(
                f"  {s.state:8} {e.id}: {s.matched} finding(s); owner {e.owner}, expires "
                f"{e.expires.isoformat()}: {e.justification}",
                style=style,
            )
        )
    out.print(
        f"  {states['active']} active, {states['expired']} expired, "
        f"{states['unused']} matching nothing"
    )
