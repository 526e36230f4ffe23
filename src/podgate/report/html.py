"""The scan as one self-contained HTML file: readiness first and loud, charts of the risk per
category, severity and namespace, a sortable and filterable table of findings, the workloads,
who may use which policy, and the exceptions.

Viewing it needs no network: CSS and JS are inline and allowed by a Content-Security-Policy that
names their SHA-256 hashes and nothing else. Everything from the input is hostile: the template
autoescapes all text and attributes, and the data (`to_json`, the shape of `-o json`) is embedded
in a `<script type="application/json">` with `<`, `>` and `&` escaped, so it cannot end the tag.
The static parts (all but sorting and filtering) are drawn here, so they read without JS and
print as they are."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import orjson
from jinja2 import Environment
from markupsafe import Markup, escape

from podgate.k8s.field import FieldPath
from podgate.k8s.source import Source
from podgate.report.context import ReportContext
from podgate.report.json_report import to_json
from podgate.report.templating import environment
from podgate.scan.controls import SEVERITIES, SEVERITY_RANK
from podgate.scan.findings import Finding
from podgate.scan.model import requested_by
from podgate.scan.rejections import (
    NO_USABLE_POLICY,
    by_reason,
    lockouts_by_namespace,
    mutated_by_policy,
    pss_failing_by_control,
    rejection,
    rejections,
)
from podgate.scan.scan import ScanResult, WorkloadResult

BAR_AREA = 220  # px of the longest bar
LABEL_WIDTH = 170  # px left of the bars
ROW_HEIGHT = 26
SEGMENT_TEXT_MIN = 16  # px: narrower segments carry their count in the tooltip only
MAX_BARS = 12  # per chart; the smallest groups beyond it share one bar
LONG_NOTE = 400  # characters: a longer note shows its lead, the rest one click away
_BREAKS = re.compile(r"(?<=/)|(?<=[a-z])(?=[A-Z])")
_JSON_ESCAPES = {b"<": b"\\u003c", b">": b"\\u003e", b"&": b"\\u0026"}


@dataclass(frozen=True, slots=True)
class Segment:
    name: str  # a severity, or "accepted"
    count: int
    x: int
    width: int

    @property
    def labelled(self) -> bool:
        return self.width >= SEGMENT_TEXT_MIN


@dataclass(frozen=True, slots=True)
class Bar:
    key: str
    label: str
    open: int
    accepted: int
    segments: tuple[Segment, ...]
    y: int

    @property
    def total(self) -> int:
        return self.open + self.accepted

    @property
    def end(self) -> int:
        return self.segments[-1].x + self.segments[-1].width if self.segments else LABEL_WIDTH

    @property
    def tooltip(self) -> str:
        parts = [f"{s.count} {s.name}" for s in self.segments if s.name != "accepted"]
        opened = f"{self.open} open" + (f" ({', '.join(parts)})" if len(parts) > 1 else "")
        return f"{self.label}: {opened}, {self.accepted} accepted"


@dataclass(frozen=True, slots=True)
class Chart:
    name: Literal["category", "severity", "namespace"]
    title: str
    bars: tuple[Bar, ...]

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * ROW_HEIGHT + 8

    @property
    def width(self) -> int:
        return LABEL_WIDTH + BAR_AREA + 110

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 8


def _bars(groups: dict[str, tuple[str, list[Finding]]], order: Sequence[str]) -> tuple[Bar, ...]:
    """Horizontal bars of findings per group: open ones by severity, then the accepted ones."""
    scale = BAR_AREA / max([len(fs) for _, fs in groups.values()] + [1])
    out = []
    for row, key in enumerate(order):
        label, findings = groups[key]
        counts = Counter("accepted" if f.accepted else f.severity for f in findings)
        others = sorted(set(counts) - {*SEVERITIES, "accepted"})  # not in the table: last
        segments, x, done = [], LABEL_WIDTH, 0
        for name in (*SEVERITIES, *others, "accepted"):
            if counts[name]:
                # widths from cumulative counts, so rounding never adds up past the scale
                end = LABEL_WIDTH + round((done + counts[name]) * scale)
                segments.append(Segment(name, counts[name], x, max(end - x, 2)))
                x, done = end, done + counts[name]
        opened = counts.total() - counts["accepted"]
        y = 4 + row * ROW_HEIGHT
        out.append(Bar(key, label, opened, counts["accepted"], tuple(segments), y))
    return tuple(out)


def charts(findings: Sequence[Finding]) -> tuple[Chart, ...]:
    """Findings per category and per namespace (most first) and per severity (all four)."""
    by_cat: dict[str, tuple[str, list[Finding]]] = {}
    by_ns: dict[str, tuple[str, list[Finding]]] = {}
    by_sev: dict[str, tuple[str, list[Finding]]] = {s: (s, []) for s in SEVERITIES}
    for f in findings:
        by_cat.setdefault(f.category, (f.control.category_title, []))[1].append(f)
        ns = f.workload.namespace
        by_ns.setdefault(ns, (ns or "(cluster)", []))[1].append(f)
        by_sev.setdefault(f.severity, (f.severity, []))[1].append(f)

    def most_first(groups: dict[str, tuple[str, list[Finding]]]) -> list[str]:
        order = sorted(groups, key=lambda k: (-len(groups[k][1]), groups[k][0]))
        if len(order) > MAX_BARS:
            rest = order[MAX_BARS - 1 :]
            merged = [f for k in rest for f in groups.pop(k)[1]]
            groups["(others)"] = (f"{len(rest)} others", merged)
            order = [*order[: MAX_BARS - 1], "(others)"]
        return order

    return (
        Chart("severity", "Findings per severity", _bars(by_sev, list(by_sev))),
        Chart("category", "Findings per category", _bars(by_cat, most_first(by_cat))),
        Chart("namespace", "Findings per namespace", _bars(by_ns, most_first(by_ns))),
    )


def _order(findings: Iterable[tuple[int, Finding]]) -> list[tuple[int, Finding]]:
    """The table's default order: open before accepted, most severe first, then by workload."""
    return sorted(
        findings,
        key=lambda p: (
            p[1].accepted,
            -SEVERITY_RANK.get(p[1].severity, -1),
            p[1].workload,
            p[1].container or "",
            p[1].rule,
        ),
    )


def script_json(value: Any) -> Markup:
    """JSON that is safe inside a `<script>` element: no `<`, `>` or `&` in it at all."""
    raw = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    for char, escaped in _JSON_ESCAPES.items():
        raw = raw.replace(char, escaped)
    # orjson leaves U+2028/U+2029 as they are; they are valid JSON, and JSON.parse reads them
    return Markup(raw.decode())


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _breakable(text: str) -> Markup:
    """Escaped text with line-break opportunities after slashes and inside camelCase words."""
    return Markup("<wbr>").join(escape(part) for part in _BREAKS.split(text))


def _compact_json(value: Any) -> str:
    """A value as compact JSON text (escaped by the template like any other text)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@cache
def _environment() -> Environment:
    env = environment("podgate.report", keep_trailing_newline=True)
    env.filters["json"] = _compact_json
    env.filters["breakable"] = _breakable
    return env


@cache
def _asset(name: str) -> str:
    return resources.files("podgate.report").joinpath("templates", name).read_text("utf-8")


def render(result: ScanResult, context: ReportContext) -> str:
    data = to_json(result)
    data["report"] = {
        "podgate": context.version,
        "generated": context.generated.isoformat(),
        "command": context.command,
        "exitCode": context.exit_code,
    }
    css, js = _asset("report.css"), _asset("report.js")
    csp = (
        f"default-src 'none'; script-src {_csp_hash(js)}; style-src {_csp_hash(css)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    titles = {f.category: f.control.category_title for f in result.findings}
    anchors = {id(w): f"w-{i}" for i, w in enumerate(result.workloads)}

    def where(src: Source | None, path: FieldPath = ()) -> str:
        """file:line of a field (or of the object) as read; "" when not from a file."""
        if src is None:
            return ""
        found = context.locate(src, path) if path else None
        line = found[0] if found is not None else src.line
        return f"{src.file}:{line}" if line > 0 else src.file

    def anchor(w: WorkloadResult) -> str:
        return anchors[id(w)]

    found = rejections(result)
    lockouts = result.readiness.lockouts
    whys = dict.fromkeys(why for _, _, why in lockouts)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            r=result,
            ctx=context,
            data=data,
            data_json=script_json(data),
            csp=csp,
            css=Markup(css),  # our package data, never input
            js=Markup(js),
            charts=charts(result.findings),
            rows=_order(enumerate(result.findings)),
            severities=SEVERITIES,
            categories=sorted(titles.items(), key=lambda kv: kv[1]),
            namespaces=sorted({f.workload.namespace for f in result.findings}),
            accepted=sum(1 for f in result.findings if f.accepted),
            failing=len(result.failing),
            where=where,
            anchor=anchor,
            requested_by=requested_by,
            rejection=rejection,
            system_rejections=[rj for rj in found if rj.system],
            reason_groups=by_reason(found),
            mutated_groups=mutated_by_policy(result),
            pss_groups=pss_failing_by_control(result),
            lockout_groups=[
                (why, lockouts_by_namespace([x for x in lockouts if x[2] == why])) for why in whys
            ],
            no_usable_policy=NO_USABLE_POLICY,
            long_note=LONG_NOTE,
        )
    )


def render_page(title: str, body: Markup, version: str, generated: str) -> str:
    """A self-contained page without scripts, in the report's style, around `body` (markup
    made by our own autoescaping renderers, such as the advisor's section)."""
    css = _asset("report.css")
    csp = f"default-src 'none'; style-src {_csp_hash(css)}; base-uri 'none'; form-action 'none'"
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            title=title, body=body, version=version, generated=generated, csp=csp, css=Markup(css)
        )
    )
