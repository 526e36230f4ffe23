"""JUnit XML as CI systems read it (spec/outputs.md section 2): one testsuite per input file,
one testcase per (workload, rule) including passes, classname `<file>.<Kind>/<name>`, name
`[SEVERITY][ruleId] title`; a failure for open findings, `skipped` for accepted ones.

`cases()` is the evaluation matrix the PolicyReport writer shares: every Pod Security Standards
check a workload was evaluated against (passes included), and the PodSecurityPolicy verdict."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from podgate.io.locate import Locator
from podgate.report.context import ReportContext
from podgate.scan.controls import SEVERITY_RANK
from podgate.scan.exceptions import AcceptedRisk
from podgate.scan.findings import Engine, Finding
from podgate.scan.scan import ScanResult, WorkloadResult

NO_FILE = "(no file)"
# XML 1.0 forbids these; a CI parser fails on the whole file for one of them
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


Outcome = Literal["pass", "fail", "skip"]  # skip: every finding is an accepted risk


@dataclass(frozen=True, slots=True)
class Case:
    """One (workload, rule) verdict: `rule` is a finding rule (`pss/baseline/privileged`), or
    an engine-wide one (`pss/privileged`, `psp/<policy>`, `psp`) when no check applies."""

    workload: WorkloadResult
    engine: Engine
    rule: str
    title: str
    outcome: Outcome
    findings: tuple[Finding, ...] = ()
    detail: str = ""  # the level or verdict the case belongs to; why a whole verdict is so
    whole: bool = False  # an engine-wide verdict, not one check's

    @property
    def severity(self) -> str | None:
        """The highest severity among the findings that decide the outcome."""
        deciding = [f for f in self.findings if not f.accepted] or list(self.findings)
        if not deciding:
            return None
        return max((f.severity for f in deciding), key=lambda s: SEVERITY_RANK.get(s, 0))


def _outcome(findings: Sequence[Finding]) -> Outcome:
    if not findings:
        return "pass"
    return "skip" if all(f.accepted for f in findings) else "fail"


def _by_rule(findings: Iterable[Finding], engine: str) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        if f.engine == engine:
            out.setdefault(f.rule, []).append(f)
    return out


def _pss_cases(r: WorkloadResult) -> list[Case]:
    level = r.level.level
    overall = f"Pod Security Standards {r.level}"
    if r.level_source.startswith("exempt"):
        why = f"{r.level_source}: not evaluated (PodSecurityConfiguration exemptions)"
        return [Case(r, "pss", f"pss/{level}", overall, "skip", detail=why, whole=True)]
    checks = r.checks  # none for privileged
    if not checks:
        detail = f"{overall}: allowed ({r.level_source})"
        return [Case(r, "pss", f"pss/{level}", overall, "pass", detail=detail, whole=True)]
    found = _by_rule(r.findings, "pss")
    rules = [f"pss/{level}/{c}" for c in checks]
    rules += [rule for rule in found if rule not in rules]
    out = []
    for rule in rules:
        fs = tuple(found.get(rule, ()))
        title = fs[0].title if fs else rule.rsplit("/", 1)[1]
        out.append(Case(r, "pss", rule, title, _outcome(fs), fs, f"{overall} ({r.level_source})"))
    return out


def _psp_cases(r: WorkloadResult) -> list[Case]:
    psp = r.psp
    if psp is None:
        return []
    who = f"requested by {psp.requester}"
    if psp.allowed:
        policy = psp.policy or "?"
        changes = "with changes: " + ", ".join(
            f"{op.get('op')} {op.get('path')}" for op in psp.patch
        )
        detail = f"admitted ({who}) " + (changes if psp.mutated else "unchanged")
        title = f"PodSecurityPolicy {policy!r} admits the pod"
        return [Case(r, "psp", f"psp/{policy}", title, "pass", detail=detail, whole=True)]
    found = _by_rule(r.findings, "psp")
    if not found:
        detail = f"{psp.message or 'denied'} ({who})"
        title = "PodSecurityPolicy admission"
        return [Case(r, "psp", "psp", title, "fail", detail=detail, whole=True)]
    return [
        Case(r, "psp", rule, fs[0].title, _outcome(fs), tuple(fs), f"denied ({who})")
        for rule, fs in found.items()
    ]


def cases(result: ScanResult) -> list[Case]:
    """Every workload's verdicts, in workload order: its Pod Security Standards checks, then
    its PodSecurityPolicy verdict (when policies were given)."""
    out: list[Case] = []
    for r in result.workloads:
        out.extend(_pss_cases(r))
        out.extend(_psp_cases(r))
    return out


def clean(text: str) -> str:
    """Text XML 1.0 can carry: control characters, lone surrogates and non-characters go."""
    return _ILLEGAL.sub("", text)


def _where(f: Finding, context: ReportContext) -> str:
    if f.source is None:
        return f"({f.field})"
    found = context.locate(f.source, f.path)
    line = found[0] if found is not None else f.source.line
    return f"{f.source.file}:{line} ({f.field})"


def _accepted_text(f: Finding, risks: Mapping[str, AcceptedRisk]) -> str:
    risk = risks.get(f.accepted_by or "")
    text = f"accepted by exception {f.accepted_by}"
    if risk is not None:
        text += f": {risk.justification} (owner {risk.owner}, expires {risk.expires})"
    return text


def _classnames(result: ScanResult) -> dict[int, str]:
    """`<file>.<Kind>/<name>`; `<file>.<Kind>/<namespace>/<name>` where a file holds the same
    kind and name in two namespaces, and `@document<N>` after it where a file defines one
    object twice (GitLab keeps only one of equal classname+name pairs); as written (`clean`),
    each workload's own: one that would still share another's (a name or namespace holding
    `/`, two items of one List, names apart only by what XML cannot carry) gets `#2`, `#3` ...
    after it, in input order."""
    seen: dict[tuple[str, str, str], set[str]] = {}
    for r in result.workloads:
        ref = r.workload.ref
        seen.setdefault((_file(r), ref.kind, ref.name), set()).add(ref.namespace)
    same = Counter((_file(r), r.workload.ref) for r in result.workloads)
    out = {}
    for r in result.workloads:
        ref = r.workload.ref
        file = _file(r)
        if len(seen[(file, ref.kind, ref.name)]) > 1:
            out[id(r)] = f"{file}.{ref.kind}/{ref.namespace}/{ref.name}"
        else:
            out[id(r)] = f"{file}.{ref.kind}/{ref.name}"
        src = r.workload.source
        if same[(file, ref)] > 1 and src is not None:  # defined twice in one file
            out[id(r)] += f"@document{src.document}"
    taken: set[str] = set()
    for r in result.workloads:
        name = base = clean(out[id(r)])
        count = 1
        while name in taken:
            count += 1
            name = f"{base}#{count}"
        taken.add(name)
        out[id(r)] = name
    return out


def _file(r: WorkloadResult) -> str:
    return r.workload.source.file if r.workload.source is not None else NO_FILE


def _set(el: ET.Element, **attrs: str | None) -> ET.Element:
    for k, v in attrs.items():
        if v is not None:
            el.set(k, clean(v))
    return el


def _testcase(
    suite: ET.Element,
    case: Case,
    classname: str,
    context: ReportContext,
    risks: Mapping[str, AcceptedRisk],
) -> None:
    file = _file(case.workload)
    mark = "PASS" if case.outcome == "pass" else (case.severity or case.outcome).upper()
    tc = _set(
        ET.SubElement(suite, "testcase"),
        classname=classname,
        name=f"[{mark}][{case.rule}] {case.title}",
        file=file,
        time="0",
    )
    if case.findings:
        first = case.findings[0]
        if first.source is not None:
            found = context.locate(first.source, first.path)
            tc.set("line", str(found[0] if found is not None else first.source.line))
    if case.outcome == "fail":
        open_ = [f for f in case.findings if not f.accepted]
        message = open_[0].title if open_ else case.detail or case.title
        lines = [case.detail] if case.detail else []
        for f in case.findings:
            state = f"[{_accepted_text(f, risks)}] " if f.accepted else ""
            lines.append(f"{state}{f.message}")
            lines.append(f"  {_where(f, context)}")
        failure = _set(ET.SubElement(tc, "failure"), message=message, type=case.severity or "fail")
        failure.text = clean("\n".join(lines))
    elif case.outcome == "skip":
        if case.findings:
            ids = dict.fromkeys(_accepted_text(f, risks) for f in case.findings)
            message = "; ".join(ids)
            body = "\n".join(f"{f.message}\n  {_where(f, context)}" for f in case.findings)
        else:
            message, body = case.detail, ""
        skipped = _set(ET.SubElement(tc, "skipped"), message=message)
        if body:
            skipped.text = clean(body)
    elif case.whole and case.detail:
        ET.SubElement(tc, "system-out").text = clean(case.detail)


def to_xml(result: ScanResult, context: ReportContext) -> ET.Element:
    """The report as an ElementTree element (`testsuites`)."""
    risks = {s.exception.id: s.exception for s in result.exceptions}
    classnames = _classnames(result)
    by_file: dict[str, list[Case]] = {}
    for case in cases(result):
        by_file.setdefault(_file(case.workload), []).append(case)
    timestamp = context.generated.strftime("%Y-%m-%dT%H:%M:%SZ")
    root = ET.Element("testsuites", name="podgate")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if not by_file and result.notes:  # nothing judged, but something to say: an empty suite
        by_file[NO_FILE] = []
    for i, (file, file_cases) in enumerate(by_file.items()):
        counts = {
            "tests": len(file_cases),
            "failures": sum(1 for c in file_cases if c.outcome == "fail"),
            "errors": 0,
            "skipped": sum(1 for c in file_cases if c.outcome == "skip"),
        }
        for k, v in counts.items():
            totals[k] += v
        suite = _set(
            ET.SubElement(root, "testsuite"),
            name=file,
            id=str(i),
            **{k: str(v) for k, v in counts.items()},
            time="0",
            timestamp=timestamp,
            hostname="podgate",
            file=None if file == NO_FILE else file,
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("podgate.version", context.version),
            ("podgate.command", context.command),
            ("podgate.failOn", result.options.fail_on),
            *(("podgate.note", note) for note in result.notes),
        ):
            _set(ET.SubElement(props, "property"), name=name, value=value)
        for case in file_cases:
            _testcase(suite, case, classnames[id(case.workload)], context, risks)
    _set(root, **{k: str(v) for k, v in totals.items()}, time="0")
    return root


def render(result: ScanResult, context: ReportContext) -> str:
    root = to_xml(result, context)
    if isinstance(context.locate, Locator):  # done locating: a snapshot's bytes let go
        context.locate.release()
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
