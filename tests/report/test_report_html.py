"""The HTML report (`podgate scan -o html`): self-contained, escaped against hostile input, and
rendered in real headless Chromium (Debian's `chromium`), whose DOM after the scripts ran is
checked (charts, table, sorting and filtering through the URL fragment) and whose screenshot is
checked for size. The Chromium tests skip, saying why, when it is not installed."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import struct
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from podgate.report.html import BAR_AREA, LABEL_WIDTH, MAX_BARS, charts, script_json
from podgate.scan.controls import Control
from podgate.scan.findings import Finding
from podgate.scan.inventory import WorkloadRef
from tests.report.test_report_readiness import CLUSTER as READINESS_CLUSTER

ROOT = Path(__file__).resolve().parents[2]
INPUTS = [str(ROOT / "examples" / d) for d in ("cluster", "policies", "rbac")]
PODGATE = Path(sys.executable).with_name("podgate")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs Debian's chromium on PATH (apt-get install chromium; .ci/run installs it)",
)
EXCEPTIONS = """\
apiVersion: podgate.io/v1alpha1
kind: ExceptionList
exceptions:
  - id: postgres-ipc-lock
    scope: {namespace: shop, workload: StatefulSet/postgres, control: allowedCapabilities}
    justification: mlock keeps secrets out of swap
    owner: dba@example.com
    expires: 2999-01-31
  - id: old-debug-shell
    scope: {namespace: shop, workload: debug-shell}
    justification: incident 1234, long closed
    owner: sre@example.com
    expires: 2020-01-01
  - id: left-over
    scope: {namespace: nowhere}
    justification: the namespace is gone
    owner: nobody@example.com
    expires: 2999-01-01
"""
HOSTILE_NAME = "</script><img src=x onerror=alert(1)>"
HOSTILE = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: "{HOSTILE_NAME}"
  namespace: "\\"><svg onload=alert(2)>"
spec:
  containers:
    - name: "<!--<script>"
      image: "x</script>"
      securityContext: {{privileged: true}}
"""
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self) -> Any:
        yield self
        for c in self.children:
            if isinstance(c, Element):
                yield from c.iter()

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.iter()
            if e.tag == tag
            and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()


class Tree(HTMLParser):
    """A small DOM from HTML text (script and style content stays text, as in a browser)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {}, None)
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, dict(attrs), self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def podgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PODGATE), "scan", *args, "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The bundled example with an exceptions file (one active, one expired, one unused), as
    HTML and as `-o json`."""
    tmp = tmp_path_factory.mktemp("report")
    exceptions = tmp / "exceptions.yaml"
    exceptions.write_text(EXCEPTIONS)
    html = tmp / "report.html"
    args = [*INPUTS, "--exceptions", str(exceptions)]
    proc = podgate(*args, "-o", "html", "--output-file", str(html))
    assert proc.returncode == 1, proc.stderr  # the example has open findings
    out = podgate(*args, "-o", "json")
    assert out.returncode == 1, out.stderr
    return html, json.loads(out.stdout)


def blob(tree: Tree) -> dict[str, Any]:
    (data,) = tree.root.find_all("script", type="application/json", id="podgate-data")
    value: dict[str, Any] = json.loads(data.text)
    return value


@pytest.mark.e2e
def test_self_contained_with_a_csp_naming_exactly_its_inline_code(
    example: tuple[Path, dict[str, Any]],
) -> None:
    text = example[0].read_text()
    tree = Tree(text)
    for e in tree.root.iter():
        for name in ("src", "href", "srcset", "action", "data", "poster", "xlink:href"):
            value = e.attrs.get(name)
            assert value is None or value.startswith("#"), (e.tag, name, value)
    assert "http://" not in text
    assert "https://" not in text
    assert "@import" not in text
    assert "url(" not in text
    (meta,) = [m for m in tree.root.find_all("meta") if m.attrs.get("http-equiv")]
    csp = dict(
        d.strip().split(" ", 1) for d in (meta.attrs["content"] or "").split(";") if d.strip()
    )

    def sha(e: Element) -> str:
        return (
            "'sha256-" + base64.b64encode(hashlib.sha256(e.text.encode()).digest()).decode() + "'"
        )

    (style,) = tree.root.find_all("style")
    code = [s for s in tree.root.find_all("script") if "type" not in s.attrs]
    assert len(code) == 1
    assert csp == {
        "default-src": "'none'",
        "script-src": sha(code[0]),
        "style-src": sha(style),
        "img-src": "data:",
        "base-uri": "'none'",
        "form-action": "'none'",
    }


def test_embeds_all_data_as_json_and_draws_the_static_parts_without_js(
    example: tuple[Path, dict[str, Any]],
) -> None:
    html, expected = example
    tree = Tree(html.read_text())
    data = blob(tree)
    report = data.pop("report")
    assert set(report) == {"podgate", "generated", "command", "exitCode"}
    assert report["exitCode"] == 1
    assert data == expected
    rows = [tr for tr in tree.root.find_all("tr") if "data-i" in tr.attrs]
    assert sorted(int(tr.attrs["data-i"] or "") for tr in rows) == list(
        range(len(expected["findings"]))
    )
    assert len(tree.root.find_all("svg")) == 3
    states = {
        tr.find_all("th")[0].text: tr.find_all("span")[0].text
        for tr in tree.root.find_all("tr")
        if (tr.attrs.get("class") or "").startswith("state-")
    }
    assert states == {
        "postgres-ipc-lock": "active",
        "old-debug-shell": "expired",
        "left-over": "unused",
    }
    (form,) = tree.root.find_all("form")
    assert "hidden" in form.attrs  # the controls appear only when the script runs


@pytest.mark.e2e
def test_hostile_names_are_text_everywhere(tmp_path: Path) -> None:
    manifest = tmp_path / "hostile.yaml"
    manifest.write_text(HOSTILE)
    out = tmp_path / "hostile.html"
    proc = podgate(str(manifest), "--level", "baseline", "-o", "html", "--output-file", str(out))
    assert proc.returncode == 1, proc.stderr
    text = out.read_text()
    assert HOSTILE_NAME not in text
    assert "<svg onload" not in text
    assert "<!--<script>" not in text
    tree = Tree(text)
    assert not tree.root.find_all("img")
    assert len(tree.root.find_all("script")) == 2
    for e in tree.root.iter():
        assert not any(name.startswith("on") for name in e.attrs), (e.tag, e.attrs)
    data = blob(tree)
    assert data["findings"][0]["workload"]["name"] == HOSTILE_NAME
    assert data["findings"][0]["container"] == "<!--<script>"
    assert any(HOSTILE_NAME in td.text for td in tree.root.find_all("td"))


def test_script_json_cannot_end_its_element() -> None:
    text = str(script_json({"a": "</script><!--&\u2028"}))
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert json.loads(text) == {"a": "</script><!--&\u2028"}


def _finding(severity: str, namespace: str, accepted: bool = False) -> Finding:
    control = Control("privileged", "privileged", "Privileged", severity, "", (), (), (), ())
    return Finding(
        rule="pss/baseline/privileged",
        engine="pss",
        check="privileged",
        workload=WorkloadRef(namespace, "Pod", "p"),
        service_account="default",
        container=None,
        control=control,
        title="privileged",
        message="privileged",
        path=("spec",),
        source=None,
        accepted_by="x" if accepted else None,
    )


def test_bars_are_proportional_and_never_longer_than_the_chart() -> None:
    findings = [_finding("high", "a")] * 3 + [_finding("low", "a", accepted=True)] * 4
    findings += [_finding("critical", "b")] * 7
    severity, category, namespace = charts(findings)
    assert [b.key for b in namespace.bars] == ["a", "b"]  # a tie: by name
    a, b = namespace.bars
    assert [(s.name, s.count) for s in a.segments] == [("high", 3), ("accepted", 4)]
    assert (a.open, a.accepted, b.open, b.accepted) == (3, 4, 7, 0)
    assert a.end == b.end == LABEL_WIDTH + BAR_AREA
    assert [(b.key, b.total) for b in severity.bars] == [
        ("critical", 7),
        ("high", 3),
        ("medium", 0),
        ("low", 4),
    ]
    assert [b.total for b in category.bars] == [14]


def test_many_small_groups_share_the_last_bar() -> None:
    findings = [_finding("high", f"ns{i:02}") for i in range(20)] + [_finding("low", "big")] * 2
    namespace = charts(findings)[2]
    assert len(namespace.bars) == MAX_BARS
    assert namespace.bars[0].key == "big"
    last = namespace.bars[-1]
    assert (last.key, last.label, last.total) == ("(others)", "10 others", 10)
    assert sum(b.total for b in namespace.bars) == len(findings)


def test_a_severity_outside_the_table_still_has_its_segment() -> None:
    (bar,) = charts([_finding("info", "a"), _finding("high", "a")])[2].bars
    assert [(s.name, s.count) for s in bar.segments] == [("high", 1), ("info", 1)]
    assert (bar.open, bar.accepted) == (2, 0)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _expected_bars(findings: list[dict[str, Any]], key: str) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for f in findings:
        group = f["workload"]["namespace"] if key == "namespace" else f[key]
        out.setdefault(group, Counter())["accepted" if f["accepted"] else f["severity"]] += 1
    return out


@pytest.mark.e2e
@needs_chromium
def test_chromium_runs_the_report_charts_table_sort_and_filter(
    example: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    html, data = example
    view = "sort=severity&dir=asc&namespace=shop&q=DEBUG"  # the table's state, as a link keeps it
    proc = chromium(tmp_path, "--dump-dom", f"{html.as_uri()}#{view}")
    assert proc.returncode == 0, proc.stderr
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # no script error, no CSP violation
    tree = Tree(proc.stdout)
    (page,) = tree.root.find_all("html")
    assert page.attrs.get("data-js") == "ready"
    assert page.attrs.get("data-css") == "applied"  # the CSP's style hash matched

    summary = data["summary"]
    for chart, by in (
        ("severity", "bySeverity"),
        ("category", "byCategory"),
        ("namespace", "byNamespace"),
    ):
        (svg,) = tree.root.find_all("svg", data_chart=chart)
        bars = {g.attrs["data-key"] or "": g for g in svg.find_all("g") if "bar" in g.classes()}
        want = _expected_bars(data["findings"], chart)
        if chart == "severity":
            want = {s: want.get(s, Counter()) for s in ("critical", "high", "medium", "low")}
        assert set(bars) == set(want)
        for key, g in bars.items():
            counts = summary[by].get(key, {})
            assert g.attrs["data-open"] == str(counts.get("open", 0)), (chart, key)
            assert g.attrs["data-accepted"] == str(counts.get("accepted", 0)), (chart, key)
            rects = {r.classes()[1]: int(r.attrs["data-count"] or "") for r in g.find_all("rect")}
            assert rects == dict(want[key]), (chart, key)
            (total,) = [t for t in g.find_all("text") if "total" in t.classes()]
            accepted = want[key]["accepted"]
            label = str(want[key].total()) + (f" ({accepted} accepted)" if accepted else "")
            assert total.text == label
    assert summary["accepted"] == 1  # the active exception covers the database's IPC_LOCK

    (table,) = tree.root.find_all("table", id="findings-table")
    rows = [tr for tr in table.find_all("tr") if "data-i" in tr.attrs]
    assert len(rows) == len(data["findings"]) == 8
    shown = [
        data["findings"][int(tr.attrs["data-i"] or "")] for tr in rows if "hidden" not in tr.attrs
    ]
    want_shown = [
        f
        for f in data["findings"]
        if f["workload"]["namespace"] == "shop" and f["workload"]["name"] == "debug-shell"
    ]
    assert len(shown) == len(want_shown) == 4
    assert [f["severity"] for f in shown] == ["high", "high", "critical", "critical"]
    sorted_by = {th.text.strip(): th.attrs.get("aria-sort") for th in table.find_all("th")}
    assert sorted_by["Severity"] == "ascending"
    assert [v for v in sorted_by.values() if v] == ["ascending"]
    assert all(th.find_all("button") for th in table.find_all("th"))
    (count,) = tree.root.find_all("output", id="f-count")
    assert count.text == "4 of 8 findings shown"
    assert "hidden" not in tree.root.find_all("form")[0].attrs


@pytest.mark.e2e
@needs_chromium
def test_chromium_screenshot_is_drawn(example: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    proc = chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2000", example[0].as_uri())
    assert proc.returncode == 0, proc.stderr
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (1280, 2000)
    # a blank page of this size compresses to about 6 KB; the report's is ten times that
    assert png.stat().st_size > 20_000


@pytest.fixture(scope="module")
def readiness(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The readiness cluster of test_report_readiness (rejections for two reasons, a system
    component, a denial without errors, a changed workload) as HTML and as `-o json`."""
    tmp = tmp_path_factory.mktemp("readiness-html")
    cluster = tmp / "cluster.yaml"
    cluster.write_text(READINESS_CLUSTER)
    html = tmp / "report.html"
    args = [str(cluster), "--level", "baseline"]
    proc = podgate(*args, "-o", "html", "--output-file", str(html))
    assert proc.returncode == 1, proc.stderr
    out = podgate(*args, "-o", "json")
    assert out.returncode == 1, out.stderr
    return html, json.loads(out.stdout)


@pytest.fixture(scope="module")
def readiness_dom(
    readiness: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Tree:
    """The readiness report's DOM after Chromium ran its scripts (no console message)."""
    proc = chromium(tmp_path_factory.mktemp("chromium"), "--dump-dom", readiness[0].as_uri())
    assert proc.returncode == 0, proc.stderr
    assert [line for line in proc.stderr.splitlines() if ":CONSOLE" in line] == []
    return Tree(proc.stdout)


def _names(e: Element) -> list[str]:
    """kind/namespace/name of each workload link in an element, in order."""
    return [
        " ".join(a.text.split())
        for a in e.find_all("a")
        if (a.attrs.get("href") or "")[:3] == "#w-"
    ]


def _ref(w: dict[str, Any]) -> str:
    return f"{w['kind']} {w['namespace']}/{w['name']}"


@pytest.mark.e2e
@needs_chromium
def test_chromium_readiness_is_grouped_by_reason_collapsed_with_counts_and_workloads(
    readiness: tuple[Path, dict[str, Any]], readiness_dom: Tree
) -> None:
    data, tree = readiness[1], readiness_dom
    (section,) = tree.root.find_all("section", id="readiness")
    groups = [d for d in section.find_all("details") if "group" in d.classes()]
    assert groups, "readiness draws no groups"
    assert all("open" not in d.attrs for d in groups)  # collapsed by default
    reasons = [d for d in groups if "reason" in d.classes()]
    want = data["readiness"]["rejectedByReason"]
    assert [d.attrs["data-reason"] for d in reasons] == [g["reason"] for g in want]
    for d, g in zip(reasons, want, strict=True):
        (summary,) = d.find_all("summary")
        assert f"{g['title']}: {g['count']} workload" in " ".join(summary.text.split())
        items = [li for li in d.find_all("ul")[0].children if isinstance(li, Element)]
        assert [_names(li)[0] for li in items] == [_ref(w) for w in g["workloads"]]
    privileged = next(d for d in reasons if d.attrs["data-reason"] == "privileged")
    text = " ".join(privileged.text.split())
    assert (
        "policy baseline: spec.containers[0].securityContext.privileged: Invalid value: true: "
        "Privileged containers are not allowed"
    ) in text
    assert "hostNetwork" not in text  # a group shows the errors of its own control only
    nobody = next(d for d in reasons if d.attrs["data-reason"] == "noUsablePolicy")
    words = " ".join(nobody.text.split())
    assert "unable to admit pod: []" in words
    assert "no PodSecurityPolicy is usable by whoever creates the pod" in words
    mutated = [d for d in groups if "mutated" in d.classes()]
    assert [" ".join(d.find_all("summary")[0].text.split()) for d in mutated] == [
        "policy 'baseline': 1 workload"
    ]
    # every workload link leads to the workload's row
    ids = {e.attrs.get("id") for e in tree.root.iter()}
    links = [
        a.attrs["href"] or ""
        for a in section.find_all("a")
        if (a.attrs.get("href") or "").startswith("#w-")
    ]
    assert links
    assert all(h[1:] in ids for h in links)


@pytest.mark.e2e
@needs_chromium
def test_chromium_rejections_show_errors_per_policy_and_upstreams_message_one_click_away(
    readiness: tuple[Path, dict[str, Any]], readiness_dom: Tree
) -> None:
    data, tree = readiness[1], readiness_dom
    (table,) = tree.root.find_all("table", class_="workloads")
    rows = {
        " ".join(r.find_all("th")[0].find_all("b")[0].text.split()): r
        for r in table.find_all("tr")
        if r.attrs.get("id")
    }
    agent = rows["shop/agent"]
    (cell,) = [td for td in agent.find_all("td") if "psp" in td.classes()]
    by_policy = [ul for ul in cell.find_all("ul") if "by-policy" in ul.classes()]
    (outer,) = by_policy
    got = [
        (li.find_all("b")[0].text, [e.text for e in li.find_all("li")[1:]])
        for li in outer.children
        if isinstance(li, Element)
    ]
    rejected = {r["workload"]["name"]: r for r in data["readiness"]["rejected"]}
    assert got == [
        (p["policy"], [e["message"] for e in p["errors"]])
        for p in rejected["agent"]["errorsByPolicy"]
    ]
    (upstream,) = [d for d in cell.find_all("details") if "upstream" in d.classes()]
    assert "open" not in upstream.attrs
    assert upstream.find_all("code")[0].text == rejected["agent"]["message"]
    stray = rows["lonely/stray"]
    (cell,) = [td for td in stray.find_all("td") if "psp" in td.classes()]
    assert rejected["stray"]["explanation"] in " ".join(cell.text.split())
    assert any(
        c.text == "PodSecurityPolicy: unable to admit pod: []" for c in cell.find_all("code")
    )


def test_findings_and_workloads_show_file_and_line(
    readiness: tuple[Path, dict[str, Any]],
) -> None:
    html, data = readiness
    tree = Tree(html.read_text())
    cluster = data["workloads"][0]["source"]["file"]
    lines = Path(cluster).read_text().splitlines()
    (table,) = tree.root.find_all("table", id="findings-table")
    rows = [tr for tr in table.find_all("tr") if "data-i" in tr.attrs]
    assert rows
    for tr in rows:
        f = data["findings"][int(tr.attrs["data-i"] or "")]
        (cell,) = [td for td in tr.find_all("td") if "where" in td.classes()]
        file, _, line = cell.text.rpartition(":")
        assert file == cluster
        # the line holds the offending field (its last name), or its nearest parent
        last = f["field"].rsplit(".", 1)[-1].split("[")[0]
        assert last in lines[int(line) - 1] or "containers" in lines[int(line) - 1], (f, line)
    (workloads,) = tree.root.find_all("table", class_="workloads")
    heads = [tr.find_all("th")[0] for tr in workloads.find_all("tr") if tr.attrs.get("id")]
    for th, w in zip(heads, data["workloads"], strict=True):
        (small,) = [s for s in th.find_all("small") if "where" in s.classes()]
        file, _, line = small.text.rpartition(":")
        assert file == cluster
        assert lines[int(line) - 1].startswith("metadata:")
        assert f"name: {w['name']}" in lines[int(line) - 1]


@pytest.mark.e2e
@needs_chromium
@pytest.mark.shared
def test_chromium_a_generated_1000_pod_cluster_shows_its_charts_within_two_screens(
    shared_dir: Path, tmp_path: Path
) -> None:
    """The readiness of a generated cluster (lockouts, hundreds of rejections) is a page of
    collapsed groups: the charts start within two screens of 1,000 px, not after a wall."""
    snapshot = tmp_path / "cluster.json"
    gen = shared_dir / "bench" / "gen_cluster.py"
    made = subprocess.run(
        [sys.executable, str(gen), "--pods", "1000", "--seed", "7", "-o", str(snapshot)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    html = tmp_path / "report.html"
    proc = podgate(str(snapshot), "-o", "html", "--output-file", str(html))
    assert proc.returncode == 1, proc.stderr
    data = blob(Tree(html.read_text()))
    rd = data["readiness"]
    assert len(rd["lockouts"]) > 5 and len(rd["rejected"]) > 100  # the wall the issue saw
    proc = chromium(tmp_path, "--window-size=1280,1000", "--dump-dom", html.as_uri())
    assert proc.returncode == 0, proc.stderr
    tree = Tree(proc.stdout)
    (page,) = tree.root.find_all("html")
    assert page.attrs.get("data-js") == "ready"
    assert 0 < int(page.attrs.get("data-risk-top") or "0") < 2000
    (section,) = tree.root.find_all("section", id="readiness")
    reasons = [d for d in section.find_all("details") if "reason" in d.classes()]
    assert sum(len(g["workloads"]) for g in rd["rejectedByReason"]) >= len(rd["rejected"])
    assert len(reasons) == len(rd["rejectedByReason"])
    # a long note shows its lead, its whole text one click away
    text = " ".join(section.text.split())
    assert all(" ".join(note.split()) in text for note in data["notes"])
    long = [d for d in section.find_all("details") if "note" in d.classes()]
    assert all("open" not in d.attrs for d in long)
