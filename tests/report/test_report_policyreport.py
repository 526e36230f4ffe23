"""`podgate scan -o policyreport`: a YAML stream of PolicyReports (one per namespace) and a
ClusterPolicyReport (cluster-scoped objects), each valid against the wgpolicyk8s.io v1alpha2
CRD schema, with results and summaries that match the scan."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from podgate.cli.scan import command
from podgate.report import policyreport
from podgate.report.context import ReportContext
from podgate.report.junit import cases
from podgate.scan import ScanResult
from podgate.scan.inventory import WorkloadRef
from tests.report.conftest import GENERATED, ScanForReport

jsonschema = pytest.importorskip("jsonschema")

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  uid: 6d1c1a52-0d0e-4c59-9d3b-1f2e3a4b5c6d
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
---
apiVersion: batch/v1
kind: Job
metadata:
  name: report
  namespace: batch
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: report
          image: busybox
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
    justification: packet capture for the on-call runbook
    owner: sre@example.com
    expires: 2099-01-31
"""

CRDS = {
    "PolicyReport": "wgpolicyk8s.io_policyreports.v1alpha2.yaml",
    "ClusterPolicyReport": "wgpolicyk8s.io_clusterpolicyreports.v1alpha2.yaml",
}

pytestmark = pytest.mark.workdir({"app.yaml": APP, "psp.yaml": POLICY, "accepted.yaml": EXCEPTIONS})


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """The CRD schema as JSON Schema, closed as the API server's pruning closes it: an object
    with `properties` and no `additionalProperties` (nor x-kubernetes-preserve-unknown-fields)
    keeps only those, so a field we emit outside them would be dropped without a word.
    `x-kubernetes-*` extensions are left out (jsonschema would ignore them anyway)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-"):
            continue
        if key == "properties":
            out[key] = {name: _closed(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _closed(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_closed(sub) for sub in value]
        else:
            out[key] = value
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def _int_range(bits: int) -> Any:
    def check(value: object) -> bool:
        if not isinstance(value, int) or isinstance(value, bool):
            return True  # not an integer: the type keyword reports it
        return -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)

    return check


@pytest.fixture(scope="session")
def validators(shared_dir: Path) -> dict[str, Any]:
    formats = jsonschema.FormatChecker()
    formats.checks("int32")(_int_range(32))
    formats.checks("int64")(_int_range(64))
    out = {}
    for kind, name in CRDS.items():
        crd = yaml.safe_load((shared_dir / "schemas" / name).read_text())
        assert crd["spec"]["names"]["kind"] == kind
        assert crd["spec"]["scope"] == ("Namespaced" if kind == "PolicyReport" else "Cluster")
        (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha2"]
        assert version["served"] is True
        schema = _closed(version["schema"]["openAPIV3Schema"])
        jsonschema.Draft7Validator.check_schema(schema)
        out[kind] = jsonschema.Draft7Validator(schema, format_checker=formats)
    return out


def assert_valid(validators: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        errors = list(validators[doc["kind"]].iter_errors(doc))
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:10]]
        assert doc["apiVersion"] == "wgpolicyk8s.io/v1alpha2"
        meta = doc["metadata"]
        assert meta["name"] == "podgate-scan"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "podgate"
        assert ("namespace" in meta) == (doc["kind"] == "PolicyReport")
        assert "status" not in doc and "spec" not in doc
        tally = Counter(r["result"] for r in doc["results"])
        assert doc["summary"] == {k: tally[k] for k in ("pass", "fail", "warn", "error", "skip")}
        for r in doc["results"]:
            assert r["source"] == "podgate"
            assert r["scored"] is True
            assert "status" not in r  # v1alpha1's name for result
            assert r["timestamp"] == {"seconds": int(GENERATED.timestamp()), "nanos": 250_000_000}
            (res,) = r["resources"]
            assert {"apiVersion", "kind", "name"} <= set(res)
            assert res.get("namespace", "") == meta.get("namespace", "")
            assert all(isinstance(v, str) for v in r["properties"].values())


def reports(result: ScanResult, context: ReportContext) -> list[dict[str, Any]]:
    text = policyreport.render(result, context)
    assert text.startswith("---\n")
    docs = list(yaml.safe_load_all(text))
    assert text.count("\n---\n") + 1 == len(docs)
    return docs


def test_a_policyreport_per_namespace_valid_against_the_crd(
    workdir: Path, validators: dict[str, Any], scan_for_report: ScanForReport
) -> None:
    result, context = scan_for_report(["app.yaml"], level="baseline")
    docs = reports(result, context)
    assert_valid(validators, docs)
    assert [(d["kind"], d["metadata"]["namespace"]) for d in docs] == [
        ("PolicyReport", "batch"),
        ("PolicyReport", "shop"),
    ]
    shop = docs[1]
    fails = [r for r in shop["results"] if r["result"] == "fail"]
    assert len(fails) == len([f for f in result.findings if f.workload.namespace == "shop"]) == 3
    by_rule = {r["rule"]: r for r in fails}
    priv = by_rule["privileged"]
    assert priv["policy"] == "pss/baseline"
    assert priv["severity"] == "critical"
    assert priv["category"] == "Privileged"
    assert priv["resources"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "namespace": "shop",
            "name": "web",
            "uid": "6d1c1a52-0d0e-4c59-9d3b-1f2e3a4b5c6d",
        }
    ]
    props = priv["properties"]
    assert props["control"] == "privileged"
    assert props["fieldPath"] == "spec.template.spec.containers[0].securityContext.privileged"
    assert props["container"] == "app"
    assert props["cis"] == "5.2.2"
    assert props["file"] == "app.yaml"
    assert props["line"] == "1"  # the document's line
    assert "T1611" in props["mitre"].split(",")
    assert by_rule["hostNamespaces"]["severity"] == "high"
    # passes: every other baseline check, for both workloads
    passes = Counter(r["resources"][0]["name"] for r in shop["results"] if r["result"] == "pass")
    assert passes["fine"] > 10
    assert passes["fine"] == passes["web"] + 3
    assert shop["summary"]["fail"] == 3


def test_accepted_findings_are_skipped(
    workdir: Path, validators: dict[str, Any], scan_for_report: ScanForReport
) -> None:
    result, context = scan_for_report(["app.yaml"], level="baseline", exceptions="accepted.yaml")
    docs = reports(result, context)
    assert_valid(validators, docs)
    shop = next(d for d in docs if d["metadata"]["namespace"] == "shop")
    (skip,) = [r for r in shop["results"] if r["result"] == "skip"]
    assert skip["rule"] == "capabilities_baseline"
    assert skip["severity"] == "high"
    assert skip["properties"]["acceptedBy"] == "web-net-admin"
    assert skip["properties"]["justification"] == "packet capture for the on-call runbook"
    assert skip["properties"]["owner"] == "sre@example.com"
    assert skip["properties"]["expires"] == "2099-01-31"
    assert "web-net-admin" in skip["message"]
    assert shop["summary"]["skip"] == 1
    assert shop["summary"]["fail"] == 2


def test_psp_verdicts(
    workdir: Path, validators: dict[str, Any], scan_for_report: ScanForReport
) -> None:
    result, context = scan_for_report(["app.yaml", "psp.yaml"], level="baseline")
    docs = reports(result, context)
    assert_valid(validators, docs)
    psp = [r for d in docs for r in d["results"] if r["properties"]["engine"] == "psp"]
    admitted = {r["resources"][0]["name"] for r in psp if r["result"] == "pass"}
    assert admitted == {"fine", "report"}
    assert all(r["policy"] == "psp/restricted" for r in psp)
    denied = [r for r in psp if r["result"] == "fail"]
    assert {r["rule"] for r in denied} >= {"privileged"}
    assert {r["resources"][0]["name"] for r in denied} == {"web"}


def test_cluster_scoped_objects_go_to_a_clusterpolicyreport(
    workdir: Path, validators: dict[str, Any], scan_for_report: ScanForReport
) -> None:
    result, context = scan_for_report(["app.yaml"], level="baseline")
    first = result.workloads[0]
    ref = first.workload.ref
    cluster_ref = WorkloadRef("", ref.kind, ref.name)
    moved = dataclasses.replace(
        first,
        workload=dataclasses.replace(first.workload, ref=cluster_ref),
        findings=tuple(dataclasses.replace(f, workload=cluster_ref) for f in first.findings),
    )
    result = dataclasses.replace(result, workloads=(moved, *result.workloads[1:]))
    docs = reports(result, context)
    assert_valid(validators, docs)
    assert [d["kind"] for d in docs] == ["PolicyReport", "PolicyReport", "ClusterPolicyReport"]
    cluster = docs[-1]
    assert "namespace" not in cluster["metadata"]
    assert {r["resources"][0]["name"] for r in cluster["results"]} == {"web"}
    assert all("namespace" not in r["resources"][0] for r in cluster["results"])
    assert cluster["summary"]["fail"] == 3


def test_no_workloads_is_one_empty_clusterpolicyreport(
    workdir: Path, validators: dict[str, Any], scan_for_report: ScanForReport
) -> None:
    (workdir / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    result, context = scan_for_report(["ns.yaml"], level="baseline")
    docs = reports(result, context)
    assert_valid(validators, docs)
    assert len(docs) == 1
    assert docs[0]["kind"] == "ClusterPolicyReport"
    assert docs[0]["results"] == []


def test_the_validator_catches_what_the_api_server_would_drop_or_reject(
    workdir: Path, validators: dict[str, Any], scan_for_report: ScanForReport
) -> None:
    result, context = scan_for_report(["app.yaml"], level="baseline")
    doc = reports(result, context)[1]
    for mutate in (
        lambda d: d["results"][0].update(status="fail"),  # pruned: not in v1alpha2
        lambda d: d["results"][0].update(result="failed"),
        lambda d: d["results"][0].update(severity="severe"),
        lambda d: d["results"][0]["timestamp"].update(nanos=2**31),
        lambda d: d["results"][0]["timestamp"].pop("seconds"),
        lambda d: d["results"][0].pop("policy"),
        lambda d: d["results"][0]["properties"].update(line=12),
    ):
        broken = yaml.safe_load(yaml.safe_dump(doc))
        mutate(broken)
        assert list(validators["PolicyReport"].iter_errors(broken))


def test_cli_output_is_a_kubectl_apply_stream(workdir: Path, validators: dict[str, Any]) -> None:
    out = CliRunner().invoke(
        command, ["app.yaml", "--level", "baseline", "-o", "policyreport", "-q"]
    )
    assert out.exit_code == 1, out.output
    docs = list(yaml.safe_load_all(out.stdout))
    assert [d["kind"] for d in docs] == ["PolicyReport", "PolicyReport"]
    for doc in docs:  # the CLI's own clock: check the shape, not the time
        errors = list(validators[doc["kind"]].iter_errors(doc))
        assert not errors


ETCD_LIMIT = 1536 * 1024  # etcd's default --max-request-bytes (1.5 MiB)


def _big_namespace(path: Path, pods: int) -> None:
    """`pods` bare pods in namespace `big`, every other one privileged (fails baseline)."""
    docs = []
    for i in range(pods):
        sc = "{privileged: true}" if i % 2 else "{}"
        docs.append(
            "apiVersion: v1\nkind: Pod\n"
            f"metadata: {{name: pod-with-a-fairly-long-name-{i:05}, namespace: big}}\n"
            f"spec: {{containers: [{{name: app, image: nginx, securityContext: {sc}}}]}}\n"
        )
    path.write_text("---\n".join(docs))


def _as_applied(doc: dict[str, Any]) -> int:
    """The size of the object as etcd gets it from `kubectl apply`: its JSON with the JSON of
    itself in the last-applied-configuration annotation."""
    applied = json.loads(json.dumps(doc))
    last = json.dumps(doc, separators=(",", ":"))
    applied["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = last
    return len(json.dumps(applied, separators=(",", ":")).encode())


def test_a_big_namespace_is_split_into_parts_each_under_the_etcd_limit(
    tmp_path: Path, validators: dict[str, Any], scan_for_report: ScanForReport
) -> None:
    manifest = tmp_path / "big.yaml"
    _big_namespace(manifest, 600)
    result, context = scan_for_report([str(manifest)], level="baseline")
    docs = reports(result, context)
    names = [d["metadata"]["name"] for d in docs]
    assert len(docs) > 2, "the input is meant to need several parts"
    assert names == ["podgate-scan"] + [f"podgate-scan-{i}" for i in range(2, len(docs) + 1)]
    parts = [d["metadata"]["annotations"]["podgate.io/part"] for d in docs]
    assert parts == [f"{i} of {len(docs)}" for i in range(1, len(docs) + 1)]
    unsplit = sum(len(json.dumps(d["results"], separators=(",", ":"))) for d in docs)
    assert unsplit > ETCD_LIMIT  # as one object, it would not have been stored
    for doc in docs:
        assert doc["metadata"]["namespace"] == "big"
        assert len(json.dumps(doc, separators=(",", ":")).encode()) <= policyreport.MAX_REPORT_BYTES
        assert _as_applied(doc) < ETCD_LIMIT
        errors = list(validators["PolicyReport"].iter_errors(doc))
        assert not errors
        tally = Counter(r["result"] for r in doc["results"])
        assert doc["summary"] == {k: tally[k] for k in ("pass", "fail", "warn", "error", "skip")}
    # nothing lost, nothing twice, in the scan's order, and one pod's results in one part
    want = [
        (c.workload.workload.ref.name, c.rule if not c.findings else f.rule)
        for c in cases(result)
        for f in (c.findings or [None])
    ]
    got = [
        (r["resources"][0]["name"], r["properties"]["ruleId"]) for d in docs for r in d["results"]
    ]
    assert got == want
    where: dict[str, set[int]] = {}
    for i, doc in enumerate(docs):
        for r in doc["results"]:
            where.setdefault(r["resources"][0]["name"], set()).add(i)
    assert len(where) == 600
    assert all(len(parts) == 1 for parts in where.values())


def test_the_split_is_deterministic_and_a_small_namespace_stays_one_report(
    tmp_path: Path,
    scan_for_report: ScanForReport,
) -> None:
    manifest = tmp_path / "big.yaml"
    _big_namespace(manifest, 600)
    first = reports(*scan_for_report([str(manifest)], level="baseline"))
    second = reports(*scan_for_report([str(manifest)], level="baseline"))
    assert first == second
    _big_namespace(manifest, 20)
    (small,) = reports(*scan_for_report([str(manifest)], level="baseline"))
    assert small["metadata"]["name"] == "podgate-scan"
    assert "podgate.io/part" not in small["metadata"]["annotations"]


def test_a_resource_larger_than_a_part_gets_parts_of_its_own() -> None:
    results = [
        {"result": "pass", "resources": [{"name": n}], "message": "x" * 300}
        for n in ("a", "b", "b", "b", "c")
    ]
    parts = policyreport.parts("PolicyReport", "ns", results, {}, limit=1200)
    assert [[r["resources"][0]["name"] for r in p["results"]] for p in parts] == [
        ["a"],
        ["b", "b"],
        ["b", "c"],
    ]
    assert all(len(json.dumps(p, separators=(",", ":"))) <= 1200 for p in parts)
