"""`podgate scan -o sarif`: valid against the SARIF 2.1.0 JSON schema, with what GitHub code
scanning requires and uses (spec/outputs.md section 1), lines and columns of the offending field
in multi-document YAML, fingerprints that survive line moves, accepted findings as suppressed
notes, empty runs and the result cap."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.scan import command
from podgate.io.locate import Locator
from podgate.report import sarif
from tests.report.conftest import ScanForReport

MANIFESTS = """\
# namespaces first, as kubectl applies them
apiVersion: v1
kind: Namespace
metadata:
  name: shop
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
  name: debug
  namespace: shop
spec:
  containers:
    - name: quiet
      image: busybox
    - name: loud
      image: busybox
      securityContext:
        privileged: true
"""

EXCEPTIONS = """\
apiVersion: podgate.io/v1alpha1
kind: ExceptionList
exceptions:
  - id: web-net-admin
    scope: {namespace: shop, workload: Deployment/web, control: allowedCapabilities}
    justification: packet capture for the on-call runbook
    owner: sre@example.com
    expires: 2099-01-31
"""

HASH = re.compile(r"^[0-9a-f]{16}:[1-9][0-9]*$")

pytestmark = pytest.mark.workdir({"deploy/app.yaml": MANIFESTS, "accepted.yaml": EXCEPTIONS})


@pytest.fixture(scope="session")
def validator(shared_dir: Path) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def assert_valid(validator: Any, log: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10]
    )


def assert_github_shape(log: dict[str, Any]) -> None:
    """What code scanning requires or uses (spec/outputs.md 1.1, 1.2)."""
    assert log["$schema"]
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "podgate"
    assert driver["semanticVersion"]
    assert run["automationDetails"]["id"] == "podgate/scan/"
    assert isinstance(run["results"], list)
    assert len(run["results"]) <= 25_000
    assert len(driver["rules"]) <= 25_000
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids))
    for rule in driver["rules"]:
        assert len(rule["name"]) <= 255
        assert 0 < len(rule["shortDescription"]["text"]) <= 1024
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"]
        assert rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        props = rule["properties"]
        assert {"security", "kubernetes", "pod-security"} <= set(props["tags"])
        assert props["category"] in props["tags"]
        assert len(props["tags"]) <= 20
        assert props["precision"] in ("very-high", "high", "medium", "low")
        score = float(props["security-severity"])
        assert 0.1 <= score <= 10.0
        assert isinstance(props["security-severity"], str)
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert isinstance(invocation["exitCode"], int)
    assert invocation["commandLine"].startswith("podgate scan")
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("note", "error")
        assert res["message"]["text"]
        assert len(res["locations"]) == 1
        physical = res["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert "\\" not in uri
        assert not uri.startswith("/")
        assert physical["region"]["startLine"] >= 1
        assert physical["region"]["startColumn"] >= 1
        assert HASH.match(res["partialFingerprints"]["primaryLocationLineHash"])
        for key in ("resource", "fieldPath", "control", "category", "severity", "cis", "mitre"):
            assert key in res["properties"]


SarifOf = Callable[..., dict[str, Any]]


@pytest.fixture
def sarif_of(scan_for_report: ScanForReport) -> SarifOf:
    """The SARIF log of `podgate scan PATHS --level baseline` (or the level given)."""

    def log(
        paths: list[str], level: str = "baseline", exceptions: str | None = None
    ) -> dict[str, Any]:
        result, context = scan_for_report(paths, level=level, exceptions=exceptions)
        value: dict[str, Any] = json.loads(sarif.render(result, context))
        return value

    return log


def line_of(text: str, needle: str, after: str = "") -> int:
    """1-based line of the first line containing `needle` after the first containing `after`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


def test_valid_sarif_with_github_properties(
    workdir: Path, validator: Any, sarif_of: SarifOf
) -> None:
    log = sarif_of(["deploy/app.yaml"])
    assert_valid(validator, log)
    assert_github_shape(log)
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {
        "pss/baseline/privileged",
        "pss/baseline/hostNamespaces",
        "pss/baseline/capabilities_baseline",
    }
    assert len(results) == 4  # privileged twice: container app of web, container loud of debug
    assert log["runs"][0]["invocations"][0]["exitCode"] == 1
    assert all(r["level"] == "error" for r in results)


def test_lines_point_at_the_offending_field(workdir: Path, sarif_of: SarifOf) -> None:
    text = MANIFESTS
    log = sarif_of(["deploy/app.yaml"])
    got = {
        (r["properties"]["resource"]["name"], r["ruleId"], r["properties"]["container"]): r[
            "locations"
        ][0]["physicalLocation"]
        for r in log["runs"][0]["results"]
    }
    web_priv = got[("web", "pss/baseline/privileged", "app")]
    assert web_priv["artifactLocation"]["uri"] == "deploy/app.yaml"
    assert web_priv["region"]["startLine"] == line_of(text, "privileged: true", "name: web")
    assert web_priv["region"]["startColumn"] == 13
    host_pid = got[("web", "pss/baseline/hostNamespaces", None)]["region"]
    assert host_pid["startLine"] == line_of(text, "hostPID: true")
    assert host_pid["startColumn"] == 7
    caps = got[("web", "pss/baseline/capabilities_baseline", "app")]["region"]
    assert caps["startLine"] == line_of(text, "capabilities:", "name: web")
    # the second container of the third document, not the first privileged line of the file
    loud = got[("debug", "pss/baseline/privileged", "loud")]["region"]
    assert loud["startLine"] == line_of(text, "privileged: true", "name: loud")
    for r in log["runs"][0]["results"]:
        region = r["locations"][0]["physicalLocation"]["region"]
        line = text.splitlines()[region["startLine"] - 1]
        leaf = re.split(r"[.\[]", r["properties"]["fieldPath"])[-1]
        assert line[region["startColumn"] - 1 :].startswith(leaf), (leaf, line)


def test_a_missing_field_points_at_its_nearest_parent(
    workdir: Path, validator: Any, sarif_of: SarifOf
) -> None:
    log = sarif_of(["deploy/app.yaml"], level="restricted")
    assert_valid(validator, log)
    results = log["runs"][0]["results"]
    run_as = [
        r
        for r in results
        if r["ruleId"] == "pss/restricted/runAsNonRoot"
        and r["properties"]["resource"]["name"] == "debug"
        and r["properties"]["container"] == "quiet"
    ]
    assert len(run_as) == 1
    region = run_as[0]["locations"][0]["physicalLocation"]["region"]
    # containers[0] exists, its securityContext does not: the item's line
    assert region["startLine"] == line_of(MANIFESTS, "- name: quiet")
    doc_start = line_of(MANIFESTS, "kind: Pod")
    assert region["startLine"] > doc_start


def test_fingerprints_survive_moved_lines_and_reordered_documents(
    workdir: Path, sarif_of: SarifOf
) -> None:
    before = sarif_of(["deploy/app.yaml"])
    docs = MANIFESTS.split("---\n")
    moved = "# moved\n\n\n" + "---\n".join([docs[2], docs[0], docs[1]])
    (workdir / "deploy" / "app.yaml").write_text(moved)
    after = sarif_of(["deploy/app.yaml"])

    def prints(log: dict[str, Any]) -> dict[tuple[str, str, str], tuple[str, int]]:
        return {
            (
                r["ruleId"],
                r["properties"]["resource"]["name"],
                r["properties"]["fieldPath"],
            ): (
                r["partialFingerprints"]["primaryLocationLineHash"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in log["runs"][0]["results"]
        }

    one, two = prints(before), prints(after)
    assert one.keys() == two.keys()
    assert all(one[k][0] == two[k][0] for k in one)
    assert any(one[k][1] != two[k][1] for k in one)
    assert len({v[0] for v in one.values()}) == len(one)


def test_fingerprint_is_the_documented_hash(workdir: Path, sarif_of: SarifOf) -> None:
    import hashlib

    log = sarif_of(["deploy/app.yaml"])
    res = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "pss/baseline/hostNamespaces")
    key = "pss/baseline/hostNamespaces|apps/v1/Deployment/shop/web|spec.template.spec.hostPID"
    assert res["properties"]["fieldPath"] == "spec.template.spec.hostPID"
    want = hashlib.sha256(key.encode()).hexdigest()[:16] + ":1"
    assert res["partialFingerprints"]["primaryLocationLineHash"] == want


def test_accepted_findings_are_suppressed_notes(
    workdir: Path, validator: Any, sarif_of: SarifOf
) -> None:
    log = sarif_of(["deploy/app.yaml"], exceptions="accepted.yaml")
    assert_valid(validator, log)
    results = log["runs"][0]["results"]
    accepted = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in accepted] == ["pss/baseline/capabilities_baseline"]
    (res,) = accepted
    assert res["level"] == "note"
    assert res["properties"]["acceptedBy"] == "web-net-admin"
    (suppression,) = res["suppressions"]
    assert suppression["kind"] == "external"
    assert "web-net-admin" in suppression["justification"]
    assert "packet capture for the on-call runbook" in suppression["justification"]
    assert all(r["level"] == "error" for r in results if "suppressions" not in r)


def test_rules_carry_help_mappings_and_severity(workdir: Path, sarif_of: SarifOf) -> None:
    log = sarif_of(["deploy/app.yaml"])
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    priv = rules["pss/baseline/privileged"]
    assert priv["properties"]["security-severity"] == "9.5"
    assert priv["properties"]["severity"] == "critical"
    assert priv["properties"]["cis"] == ["5.2.2"]
    assert "MS-TA9018" in priv["properties"]["msThreatMatrix"]
    assert "T1611" in priv["properties"]["mitre"]
    for needle in ("5.2.2", "MS-TA9018", "T1611", "How to fix", "privileged"):
        assert needle in priv["help"]["text"]
    assert "https://attack.mitre.org/techniques/T1611/" in priv["help"]["markdown"]
    assert priv["properties"]["tags"][:3] == ["security", "kubernetes", "pod-security"]
    # hostPID is high: the rule takes its strictest control's score
    assert rules["pss/baseline/hostNamespaces"]["properties"]["security-severity"] == "8.0"


def test_empty_results_are_a_valid_run(workdir: Path, validator: Any, sarif_of: SarifOf) -> None:
    (workdir / "ns.yaml").write_text(MANIFESTS.split("---\n")[0])
    log = sarif_of(["ns.yaml"])
    assert_valid(validator, log)
    assert_github_shape(log)
    run = log["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert run["invocations"][0]["exitCode"] == 0


def test_results_are_capped_with_a_note(
    workdir: Path, validator: Any, monkeypatch: pytest.MonkeyPatch, scan_for_report: ScanForReport
) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 2)
    result, context = scan_for_report(
        ["deploy/app.yaml"], level="baseline", exceptions="accepted.yaml"
    )
    log = json.loads(sarif.render(result, context))
    assert_valid(validator, log)
    run = log["runs"][0]
    assert len(run["results"]) == 2
    assert run["properties"]["truncated"] is True
    assert run["properties"]["resultsOmitted"] == len(result.findings) - 2
    assert "at most 2 results per run" in run["properties"]["note"]
    # the most severe open findings are kept
    assert {r["ruleId"] for r in run["results"]} == {"pss/baseline/privileged"}
    assert [r["ruleIndex"] for r in run["results"]] == [0, 0]


def test_large_scans_stay_within_limits(workdir: Path, scan_for_report: ScanForReport) -> None:
    result, context = scan_for_report(["deploy/app.yaml"], level="baseline")
    many = dataclasses.replace(result, findings=result.findings * 6251)  # 25,004 findings
    run = sarif.to_sarif(many, context)["runs"][0]
    assert len(run["results"]) == 25_000
    assert run["properties"]["resultsOmitted"] == 4


def test_uris() -> None:
    assert sarif.artifact_uri("deploy/app.yaml", "/repo") == "deploy/app.yaml"
    assert sarif.artifact_uri("./deploy//x/../app.yaml", "/repo") == "deploy/app.yaml"
    assert sarif.artifact_uri("/repo/deploy/app.yaml", "/repo") == "deploy/app.yaml"
    assert sarif.artifact_uri("/elsewhere/app.yaml", "/repo") == "file:///elsewhere/app.yaml"
    assert sarif.artifact_uri("deploy/my app.yaml", "/repo") == "deploy/my%20app.yaml"
    assert sarif.artifact_uri("-", "/repo") == "-"


def test_absolute_inputs_under_the_checkout_are_relative(workdir: Path, sarif_of: SarifOf) -> None:
    log = sarif_of([str(workdir / "deploy" / "app.yaml")])
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {"deploy/app.yaml"}


def test_cli_writes_sarif(workdir: Path, validator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["deploy/app.yaml", "--level", "baseline", "-o", "sarif", "-q"]
    monkeypatch.setattr("sys.argv", ["podgate", "scan", *args])  # the command line it records
    out = CliRunner().invoke(command, args)
    assert out.exit_code == 1, out.output
    log = json.loads(out.stdout)
    assert_valid(validator, log)
    assert_github_shape(log)
    inv = log["runs"][0]["invocations"][0]
    assert inv["exitCode"] == 1
    assert "-o sarif" in inv["commandLine"]


def test_bundled_example_with_policies(validator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    args = ["examples/cluster", "examples/policies", "examples/rbac", "-o", "sarif", "-q"]
    monkeypatch.setattr("sys.argv", ["podgate", "scan", *args])
    out = CliRunner().invoke(command, args)
    log = json.loads(out.stdout)
    assert_valid(validator, log)
    assert_github_shape(log)
    ids = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert "psp/restricted/privileged" in ids
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert (
        "PodSecurityPolicy 'restricted'"
        in rules["psp/restricted/privileged"]["shortDescription"]["text"]
    )


def test_the_validator_rejects_what_code_scanning_rejects(
    workdir: Path, validator: Any, sarif_of: SarifOf
) -> None:
    """The schema check is real: a wrong version, a column 0 or a result without a message
    fail it, as they fail the upload."""
    log = sarif_of(["deploy/app.yaml"])
    for path, value in (
        (("version",), "2.0.0"),
        (("runs", 0, "results", 0, "locations", 0, "physicalLocation", "region", "startColumn"), 0),
        (("runs", 0, "results", 0, "level"), "fatal"),
    ):
        broken = json.loads(json.dumps(log))
        target = broken
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        assert list(validator.iter_errors(broken)), path
    broken = json.loads(json.dumps(log))
    del broken["runs"][0]["results"][0]["message"]
    assert list(validator.iter_errors(broken))


def test_sarif_as_bytes_is_the_text_and_lets_go_of_the_files_located_in(
    workdir: Path, scan_for_report: ScanForReport
) -> None:
    """The CLI writes `render_bytes` (no str copy of a large log): the same log as `render`,
    made after the locator has let go of the files it read (a snapshot's bytes), and a
    context rendered again locates as the first time."""
    result, context = scan_for_report(["deploy/app.yaml"], level="baseline")
    assert isinstance(context.locate, Locator)
    data = sarif.render_bytes(result, context)
    assert not context.locate._files and not context.locate._json
    assert data.endswith(b"}\n")
    assert data.decode() == sarif.render(result, context)
    log = json.loads(data)
    assert all(
        r["locations"][0]["physicalLocation"]["region"]["startLine"] > 1
        for r in log["runs"][0]["results"]
    )
