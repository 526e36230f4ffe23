"""The scan for a person: readiness first and loud, then risk per category, the findings per
workload, who may use which policy, and the exceptions. Colour only on a terminal."""

from __future__ import annotations

import io
import textwrap
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from podgate.k8s.source import where as source_text
from podgate.report.context import ReportContext
from podgate.report.shown import text_console
from podgate.scan.controls import SEVERITIES
from podgate.scan.model import requested_by
from podgate.scan.rejections import (
    NO_USABLE_POLICY,
    Group,
    Rejection,
    by_reason,
    explain,
    lockouts_by_namespace,
    mutated_by_policy,
    pss_failing_by_control,
    rejections,
)
from podgate.scan.scan import ScanResult, WorkloadResult

MAX_NAMED = 12  # workloads named per readiness group; -o json and -o html name them all
STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def render(result: ScanResult, context: ReportContext) -> str:
    buf = io.StringIO()
    out = text_console(
        file=buf,
        force_terminal=context.color,
        no_color=not context.color,
        width=120,
        highlight=False,
        soft_wrap=True,
    )
    _readiness(out, result, context)
    _risk(out, result)
    _workloads(out, result, context)
    _overview(out, result)
    _exceptions(out, result)
    for note in result.notes:
        _wrapped(out, "note: ", note, "      ", "yellow", whole=True)
    failing = len(result.failing)
    accepted = sum(1 for f in result.findings if f.accepted)
    verdict = (
        f"{len(result.workloads)} workloads, {len(result.findings)} findings "
        f"({accepted} accepted); {failing} at or above --fail-on {result.options.fail_on}"
    )
    out.print(Text(verdict, style="bold red" if failing else "bold green"))
    return buf.getvalue()


def _readiness(out: Console, result: ScanResult, context: ReportContext) -> None:
    rd = result.readiness
    out.rule("Enablement readiness")
    if not rd.psp_enabled:
        if result.options.psp is False:
            out.print("PodSecurityPolicies: not simulated (--psp off).")
        else:
            out.print(
                "PodSecurityPolicies: none given (--policy) or found in the input; "
                "only the Pod Security Standards were checked."
            )
    else:
        _wrapped(out, "", f"PodSecurityPolicy simulation: on ({result.psp_enabled_by}).", "  ")
        if not rd.rbac_from_input:
            out.print(
                Text(
                    "No RBAC in the input: every policy taken as usable by everyone.",
                    style="yellow",
                )
            )
        _lockouts(out, rd.lockouts)
        found = rejections(result)
        system = [r for r in found if r.system]
        if system:
            out.print(
                Text(
                    f"SYSTEM COMPONENTS REJECTED: {len(system)} (kube-system or DaemonSets):",
                    style="bold red",
                )
            )
            for rj in system:
                _rejection(out, rj, context)
        out.print(
            f"Would be rejected by PSP: {len(rd.rejected)} workload(s); "
            f"would be mutated: {len(rd.mutated)}."
        )
        if found:
            out.print(
                "  Rejected, by reason (a workload counts under each of its reasons; "
                "each one's errors per policy follow below):"
            )
            _groups(out, by_reason(found))
        if rd.mutated:
            out.print("  Mutated, by the policy that would change them:")
            _groups(out, mutated_by_policy(result))
    out.print(f"Failing their Pod Security Standards level: {len(rd.pss_failing)} workload(s).")
    if rd.pss_failing:
        out.print("  By control (a workload counts under each control it fails):")
        _groups(out, pss_failing_by_control(result))


def _lockouts(out: Console, lockouts: tuple[tuple[str, str, str], ...]) -> None:
    if not lockouts:
        return
    out.print(
        Text(
            f"LOCKOUT: {len(lockouts)} service account(s) could run no pod at all once PSP "
            "admission is enabled:",
            style="bold red",
        )
    )
    whys = dict.fromkeys(why for _, _, why in lockouts)
    for why in whys:
        if why:
            _wrapped(out, "  ", f"{why}:" if len(whys) > 1 else f"({why})", "   ")
        chosen = tuple(x for x in lockouts if x[2] == why)
        for ns, accounts in lockouts_by_namespace(chosen):
            _items(out, list(accounts), f"    {ns}: ", "      ")


def _where(w: WorkloadResult, context: ReportContext) -> str:
    """(file:line) of the workload's object, as read; "" when not from a file."""
    src = w.workload.source
    if src is None:
        return ""
    found = context.locate(src, ("metadata",))
    line = found[0] if found is not None else src.line
    return f" ({src.file}:{line})" if line > 0 else f" ({src.file})"


def _rejection(out: Console, rj: Rejection, context: ReportContext) -> None:
    """One rejected workload, its errors per policy one per line (upstream's aggregate message
    runs them together on one line)."""
    w = rj.result
    requester = w.psp.requester if w.psp is not None else "(none)"
    _wrapped(out, "  - ", f"{w.workload.ref}{_where(w, context)}, requested by {requester}", "    ")
    if rj.explanation:
        _wrapped(out, "      ", rj.explanation, "      ")
        out.print(Text(f"      upstream: {rj.message}", style="dim"))
    for p in rj.by_policy:
        out.print(Text(f"      policy {p.policy!r}:", style="bold"))
        for _, text in p.errors:
            _wrapped(out, "        - ", text, "          ")


def _groups(out: Console, groups: tuple[Group[Any], ...]) -> None:
    for g in groups:
        results = [i.result if isinstance(i, Rejection) else i for i in g.items]
        mark = f"[{g.severity}] " if g.severity else ""
        text = ""
        if g.key == NO_USABLE_POLICY:
            text = (
                "(upstream: 'unable to admit pod: []': neither the requester nor the pod's "
                "service account may use any policy, so none was tried)"
            )
        head = f"    {mark}{g.title}: {g.count} workload(s) "
        _wrapped(out, head, text, "      ", STYLE.get(g.severity, "bold"))
        names = [str(w.workload.ref) for w in results]
        if len(names) > MAX_NAMED:
            more = len(names) - MAX_NAMED
            names = [*names[:MAX_NAMED], f"and {more} more (each is listed with its errors below)"]
        _items(out, names, "      ")


def _wrapped(
    out: Console, first: str, text: str, rest: str, style: str = "", whole: bool = False
) -> None:
    """Text wrapped at the console's width after `first` (drawn in `style`, or all of it
    when `whole`), breaking long words only where it must."""
    lines = textwrap.wrap(
        text,
        width=max(out.width - 1, 40),
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
    )
    for i, line in enumerate(lines or [first.rstrip()]):
        if whole:
            out.print(Text(line, style=style))
        elif i == 0 and style:
            head = Text(line[: len(first)], style=style)
            head.append(line[len(first) :])
            out.print(head)
        else:
            out.print(Text(line))


def _items(out: Console, items: list[str], first: str, rest: str | None = None) -> None:
    """Items separated by commas after `first`, as many on a line as fit, never broken
    inside one; later lines start with `rest` (`first` by default)."""
    indent = first if rest is None else rest
    line, fresh = first, True
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if not fresh and len(line) + 1 + len(piece) > out.width - 1:
            out.print(Text(line))
            line, fresh = indent, True
        line += piece if fresh else " " + piece
        fresh = False
    if not fresh:
        out.print(Text(line))


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


def _workloads(out: Console, result: ScanResult, context: ReportContext) -> None:
    out.rule("Workloads")
    for r in result.workloads:
        ok = not r.violations and (r.psp is None or r.psp.allowed)
        where = _where(r, context)
        head = Text(f"{'PASS' if ok else 'FAIL'}  {r.workload.ref}", style="green" if ok else "red")
        head.append(f"  {r.level} [{r.level_source}], meets {r.highest}", style="dim")
        if len(head) + len(where) < out.width:
            head.append(where, style="dim")
            where = ""
        out.print(head)
        if where:
            _wrapped(out, "     ", where.strip(), "      ", "dim", whole=True)
        if r.psp is not None:
            psp = (
                f"admitted by {r.psp.policy!r}" + (" with changes" if r.psp.mutated else "")
                if r.psp.allowed
                else "denied"
            )
            _wrapped(out, "      ", f"PSP (requested by {requested_by(r)}): {psp}", "        ")
            why = explain(r)
            if why:
                _wrapped(out, "        ", why, "        ")
        for d in r.workload.duplicates:
            _wrapped(out, "      ", f"also defined at {source_text(d)}", "        ", "yellow", True)
        if r.workload.apart:
            why = f"not folded into its owner: {r.workload.apart}"
            _wrapped(out, "      ", why, "        ", "yellow", whole=True)
        for f in r.findings:
            mark = "accepted" if f.accepted else f.severity
            style = "dim" if f.accepted else STYLE.get(f.severity, "")
            _wrapped(out, f"      [{mark}] {f.rule}  ", f.message, "          ", style or "none")


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
        text = f"{b.binding} gives {', '.join(b.policies)} to {b.subject}: {b.blast_radius}"
        _wrapped(out, "broad grant: ", text, "  ", "yellow", whole=True)


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
