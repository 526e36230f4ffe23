"""`podgate scan -o junit`: read back by junitparser and by ElementTree; one testsuite per input
file, one testcase per (workload, rule) with passes, failures with file:line (field), accepted
findings skipped with the exception, counters that add up, and text XML can carry."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from podgate.cli.scan import command
from podgate.io.locate import Locator
from podgate.report import junit
from podgate.scan.scan import WorkloadResult
from tests.report.conftest import ScanForReport

junitparser = pytest.importorskip("junitparser")

APP = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostPID: true
      containers:
        - name: app
          image: nginx
          securityContext:
            privileged: true
            capabilities:
              add: [NET_ADMIN]
---
apiVersion: v1
kind: Pod
metadata:
  name: fine
  namespace: shop
spec:
  containers:
    - name: app
      image: nginx
"""

SYSTEM = """\
apiVersion: v1
kind: Namespace
metadata:
  name: kube-system
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: kube-system
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers:
        - name: agent
          image: agent
"""

POLICY = """\
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: restricted}
spec:
  privileged: false
  runAsUser: {rule: RunAsAny}
  seLinux: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: ['*']
"""

EXCEPTIONS = """\
apiVersion: podgate.io/v1alpha1
kind: ExceptionList
exceptions:
  - id: web-net-admin
    scope: {namespace: shop, workload: Deployment/web, control: allowedCapabilities}
    justification: packet capture <for> the "on-call" runbook & more
    owner: sre@example.com
    expires: 2099-01-31
"""

pytestmark = pytest.mark.workdir(
    {"app.yaml": APP, "system.yaml": SYSTEM, "psp.yaml": POLICY, "accepted.yaml": EXCEPTIONS}
)


def outcome(case: ET.Element) -> str:
    for tag in ("failure", "error", "skipped"):
        if case.find(tag) is not None:
            return tag
    return "pass"


def check_counters(root: ET.Element) -> None:
    """Every suite's counters match its testcases, and testsuites' the sum of the suites."""
    totals: Counter[str] = Counter()
    for suite in root.iter("testsuite"):
        got = Counter(outcome(c) for c in suite.iter("testcase"))
        assert int(suite.get("tests", "-1")) == sum(got.values())
        assert int(suite.get("failures", "-1")) == got["failure"]
        assert int(suite.get("errors", "-1")) == got["error"]
        assert int(suite.get("skipped", "-1")) == got["skipped"]
        assert float(suite.get("time", "x")) >= 0
        dt.datetime.fromisoformat(suite.get("timestamp", "x"))
        totals += got
    assert int(root.get("tests", "-1")) == sum(totals.values())
    assert int(root.get("failures", "-1")) == totals["failure"]
    assert int(root.get("skipped", "-1")) == totals["skipped"]


def test_read_back_by_junitparser_and_elementtree(
    workdir: Path, scan_for_report: ScanForReport
) -> None:
    result, context = scan_for_report(["app.yaml", "system.yaml"])
    text = junit.render(result, context)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')

    xml = junitparser.JUnitXml.fromstring(text)
    suites = {s.name: s for s in xml}
    assert set(suites) == {"app.yaml", "system.yaml"}
    app = suites["app.yaml"]
    cases = list(app)
    failed = [c for c in cases if any(isinstance(r, junitparser.Failure) for r in c.result)]
    assert app.failures == len(failed) == 3  # privileged, hostNamespaces, capabilities_baseline
    assert app.tests == len(cases)
    assert app.errors == 0
    assert app.skipped == 0
    names = {c.name for c in failed}
    assert names == {
        "[CRITICAL][pss/baseline/privileged] privileged",
        "[HIGH][pss/baseline/hostNamespaces] host namespaces",
        "[HIGH][pss/baseline/capabilities_baseline] non-default capabilities",
    }
    assert {c.classname for c in cases} == {"app.yaml.Deployment/web", "app.yaml.Pod/fine"}
    # every baseline check is a testcase for each workload; passes have no child
    per_workload = Counter(c.classname for c in cases)
    assert per_workload["app.yaml.Deployment/web"] == per_workload["app.yaml.Pod/fine"] > 10
    assert all(c.is_passed for c in cases if c.classname == "app.yaml.Pod/fine")
    # GitLab keeps only the first of equal classname+name pairs
    assert len({(c.classname, c.name) for c in cases}) == len(cases)

    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    check_counters(root)
    for suite in root.iter("testsuite"):
        assert suite.get("file") == suite.get("name")
        for case in suite.iter("testcase"):
            assert case.get("classname", "").startswith(suite.get("name", "?") + ".")
            assert re.match(r"^\[[A-Z]+\]\[(pss|psp)[^\]]*\] \S", case.get("name", ""))


def test_failure_message_and_location(workdir: Path, scan_for_report: ScanForReport) -> None:
    result, context = scan_for_report(["app.yaml"])
    root = ET.fromstring(junit.render(result, context))
    case = next(
        c for c in root.iter("testcase") if "[pss/baseline/privileged]" in c.get("name", "")
    )
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "privileged"
    assert failure.get("type") == "critical"
    line = APP.splitlines().index("            privileged: true") + 1
    assert case.get("line") == str(line)
    body = failure.text or ""
    assert 'container "app" must not set securityContext.privileged=true' in body
    assert f"app.yaml:{line} (spec.template.spec.containers[0].securityContext.privileged)" in body


def test_the_files_located_in_are_let_go_once_located_and_read_again_if_asked(
    workdir: Path, scan_for_report: ScanForReport
) -> None:
    """A snapshot's bytes are not kept while the XML is written; a context rendered again
    locates as the first time."""
    result, context = scan_for_report(["app.yaml"])
    assert isinstance(context.locate, Locator)
    first = junit.render(result, context)
    assert not context.locate._files and not context.locate._json
    assert junit.render(result, context) == first


def test_a_passing_verdict_per_workload_and_engine(
    workdir: Path, scan_for_report: ScanForReport
) -> None:
    result, context = scan_for_report(["app.yaml", "system.yaml", "psp.yaml"])
    root = ET.fromstring(junit.render(result, context))
    by_workload: dict[str, list[ET.Element]] = {}
    for case in root.iter("testcase"):
        by_workload.setdefault(case.get("classname", ""), []).append(case)
    assert set(by_workload) == {
        "app.yaml.Deployment/web",
        "app.yaml.Pod/fine",
        "system.yaml.DaemonSet/agent",
    }
    for name, cases in by_workload.items():
        pss = [c for c in cases if "][pss/" in c.get("name", "") and outcome(c) == "pass"]
        assert pss, name
    # the privileged namespace: one engine-wide pass, as no check applies
    agent = {c.get("name") for c in by_workload["system.yaml.DaemonSet/agent"]}
    assert "[PASS][pss/privileged] Pod Security Standards privileged:latest" in agent
    # PSP: the restricted policy admits the plain pod, denies the privileged deployment and
    # the host-network daemon set
    fine = {c.get("name") for c in by_workload["app.yaml.Pod/fine"]}
    assert "[PASS][psp/restricted] PodSecurityPolicy 'restricted' admits the pod" in fine
    web = [c for c in by_workload["app.yaml.Deployment/web"] if "][psp/" in c.get("name", "")]
    assert {c.get("name") for c in web} >= {
        "[CRITICAL][psp/restricted/privileged] Privileged containers are not allowed"
    }
    assert all(outcome(c) == "failure" for c in web)
    check_counters(root)


def test_accepted_findings_are_skipped_with_the_exception(
    workdir: Path, scan_for_report: ScanForReport
) -> None:
    result, context = scan_for_report(["app.yaml"], exceptions="accepted.yaml")
    text = junit.render(result, context)
    xml = junitparser.JUnitXml.fromstring(text)
    (suite,) = list(xml)
    assert suite.skipped == 1
    assert suite.failures == 2
    root = ET.fromstring(text)
    (case,) = [c for c in root.iter("testcase") if outcome(c) == "skipped"]
    assert case.get("name") == "[HIGH][pss/baseline/capabilities_baseline] non-default capabilities"
    skipped = case.find("skipped")
    assert skipped is not None
    message = skipped.get("message", "")
    assert "web-net-admin" in message
    assert 'packet capture <for> the "on-call" runbook & more' in message  # escaped, read back
    assert "&amp;" in text and "&lt;for&gt;" in text


def test_control_characters_are_stripped_and_markup_escaped(
    workdir: Path, scan_for_report: ScanForReport
) -> None:
    result, context = scan_for_report(["app.yaml"])
    nasty = "\x1b[31mred\x1b[0m <b>&\x00\x07\x0b\ufffe end"

    def taint(r: WorkloadResult) -> WorkloadResult:
        findings = tuple(
            dataclasses.replace(f, message=f.message + nasty, title=f.title + nasty)
            for f in r.findings
        )
        return dataclasses.replace(r, findings=findings)

    tainted = dataclasses.replace(result, workloads=tuple(taint(r) for r in result.workloads))
    text = junit.render(tainted, context)
    root = ET.fromstring(text.encode())  # a parser accepts it
    junitparser.JUnitXml.fromstring(text)
    failure = next(root.iter("failure"))
    assert "[31mred[0m <b>& end" in failure.get("message", "")
    assert "[31mred[0m <b>& end" in (failure.text or "")
    for bad in ("\x1b", "\x00", "\x07", "\x0b", "\ufffe"):
        assert bad not in text


def test_same_name_in_two_namespaces_gets_distinct_classnames(
    workdir: Path, scan_for_report: ScanForReport
) -> None:
    other = APP.replace("namespace: shop", "namespace: shop2").split("---\n", 1)[1]
    (workdir / "both.yaml").write_text(APP.split("---\n", 1)[1] + "---\n" + other)
    result, context = scan_for_report(["both.yaml"], level="baseline")
    root = ET.fromstring(junit.render(result, context))
    classnames = {c.get("classname") for c in root.iter("testcase")}
    assert classnames == {
        "both.yaml.Deployment/shop/web",
        "both.yaml.Deployment/shop2/web",
        "both.yaml.Pod/shop/fine",
        "both.yaml.Pod/shop2/fine",
    }


def test_a_pod_no_policy_admits_fails_with_a_finding_that_names_no_field(
    workdir: Path, scan_for_report: ScanForReport
) -> None:
    """RBAC in the input grants no policy to anyone: every pod is rejected, and that is a
    failing PSP finding (it fails the scan) although no field is at fault."""
    (workdir / "rbac.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
        "metadata: {name: psp-user}\n"
        "rules: [{apiGroups: [policy], resources: [podsecuritypolicies], verbs: [use]}]\n"
    )
    result, context = scan_for_report(["app.yaml", "psp.yaml", "rbac.yaml"])
    root = ET.fromstring(junit.render(result, context))
    fine = [c for c in root.iter("testcase") if c.get("classname") == "app.yaml.Pod/fine"]
    (psp,) = [c for c in fine if "][psp" in c.get("name", "")]
    assert (
        psp.get("name")
        == "[HIGH][psp/admission/noUsablePolicy] no PodSecurityPolicy admits the pod"
    )
    assert result.failing
    failure = psp.find("failure")
    assert failure is not None
    assert "PodSecurityPolicy: unable to admit pod: []" in (failure.text or "")
    check_counters(root)


def test_no_workloads_is_an_empty_report(workdir: Path, scan_for_report: ScanForReport) -> None:
    (workdir / "ns.yaml").write_text(APP.split("---\n")[0])
    result, context = scan_for_report(["ns.yaml"])
    text = junit.render(result, context)
    root = ET.fromstring(text)
    assert root.get("tests") == "0"
    assert list(root) == []
    assert len(junitparser.JUnitXml.fromstring(text)) == 0


def test_cli_writes_junit(workdir: Path) -> None:
    out = CliRunner().invoke(command, ["app.yaml", "--level", "baseline", "-o", "junit", "-q"])
    assert out.exit_code == 1, out.output
    xml = junitparser.JUnitXml.fromstring(out.stdout)
    assert sum(s.failures for s in xml) == 3


def _pod(namespace: str, name: str, host_pid: bool) -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name!r}, namespace: {namespace!r}}}\n"
        f"spec:\n  hostPID: {str(host_pid).lower()}\n  containers: [{{name: c, image: x}}]\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        # namespace a, name p, beside namespace b, name p (named with their namespaces), and
        # name "a/p" (alone, named without it): both "<file>.Pod/a/p"
        "---\n".join([_pod("a", "p", True), _pod("b", "p", False), _pod("x", "a/p", True)]),
        # two items of one List in one document, the same object: both "@document0"
        "apiVersion: v1\nkind: List\nitems:\n"
        + "".join("- " + _pod("a", "p", True).replace("\n", "\n  ").rstrip(" ") for _ in range(2)),
        # names that differ only by a character XML cannot carry (left out of the classname)
        "---\n".join([_pod("a", "p", True), _pod("a", "p\x01", True)]).replace(
            "'p\x01'", '"p\\x01"'
        ),
    ],
    ids=["slash", "list-items", "control-character"],
)
def test_every_workload_gets_a_classname_of_its_own(
    workdir: Path, scan_for_report: ScanForReport, text: str
) -> None:
    """GitLab keeps only the first of equal classname+name pairs: a workload sharing another's
    classname would have its failures shown as the other's, or not at all."""
    (workdir / "pods.yaml").write_text(text)
    result, context = scan_for_report(["pods.yaml"], level="baseline")
    root = ET.fromstring(junit.render(result, context))
    cases = list(root.iter("testcase"))
    assert len({(c.get("classname"), c.get("name")) for c in cases}) == len(cases)
    failing = {c.get("classname") for c in cases if c.find("failure") is not None}
    assert len(failing) == sum(1 for r in result.workloads if r.violations)
