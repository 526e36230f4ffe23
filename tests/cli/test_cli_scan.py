"""`podgate scan` end to end: formats, exit codes, exceptions file, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from tests.conftest import RunScan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INPUTS = [str(EXAMPLES / d) for d in ("cluster", "policies", "rbac")]


def test_json_shape_and_exit_code(run_scan: RunScan) -> None:
    rc, out, _ = run_scan(*INPUTS, "-o", "json", "--quiet")
    assert rc == 1
    data = json.loads(out)
    assert set(data) >= {
        "summary",
        "readiness",
        "overview",
        "broadBindings",
        "exceptions",
        "workloads",
        "findings",
    }
    assert data["summary"]["workloads"] == 5
    finding = data["findings"][0]
    assert set(finding) >= {
        "rule",
        "workload",
        "container",
        "control",
        "category",
        "severity",
        "cis",
        "msThreatMatrix",
        "mitre",
        "source",
        "field",
        "accepted",
    }
    assert finding["source"]["file"].endswith(".yaml")


def test_exceptions_file_and_fail_on(run_scan: RunScan) -> None:
    exc = str(EXAMPLES / "exceptions.yaml")
    rc, out, _ = run_scan(*INPUTS, "--exceptions", exc, "-o", "json")
    data = json.loads(out)
    states = {e["id"]: e["state"] for e in data["exceptions"]}
    # the CronJob exception expired on 2026-01-31: it accepts nothing and is reported
    assert states == {
        "postgres-ipc-lock": "active",
        "report-job-hardening": "expired",
        "old-monitoring-agent": "unused",
    }
    accepted = [f for f in data["findings"] if f["accepted"]]
    assert [(f["workload"]["name"], f["acceptedBy"]) for f in accepted] == [
        ("postgres", "postgres-ipc-lock")
    ]
    assert rc == 1
    rc, _, _ = run_scan(*INPUTS, "--exceptions", exc, "--fail-on", "none", "-o", "json")
    assert rc == 0


def test_text_output_leads_with_readiness(tmp_path: Path, run_scan: RunScan) -> None:
    rc, out, _ = run_scan(*INPUTS)
    assert rc == 1
    assert (
        out.index("Enablement readiness") < out.index("Risk per category") < out.index("Workloads")
    )
    assert "Who may use which PodSecurityPolicy" in out
    report = tmp_path / "r.txt"
    rc, _, _ = run_scan(*INPUTS, "--output-file", str(report))
    assert rc == 1
    assert "Enablement readiness" in report.read_text()


def test_level_option_and_clean_workload(tmp_path: Path, run_scan: RunScan) -> None:
    rc, out, _ = run_scan(
        str(EXAMPLES / "cluster" / "shop.yaml"), "--level", "baseline", "-o", "json"
    )
    names = {w["name"]: w["pss"]["allowed"] for w in json.loads(out)["workloads"]}
    assert names == {"web": True, "postgres": False, "debug-shell": False}
    ok = tmp_path / "ok.yaml"
    ok.write_text((EXAMPLES / "cluster" / "shop.yaml").read_text().split("---")[0])
    rc, _, _ = run_scan(str(ok), "--level", "restricted", "-o", "json")
    assert rc == 0


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--level", "strict"], "must be one of privileged, baseline, restricted"),
        (["--version", "1.24"], 'must be "latest" or "v1.x"'),
        (["--level", "baseline", "--from-namespace-labels"], "mutually exclusive"),
        (["--exceptions", "nope.yaml"], "no such file"),
    ],
)
def test_bad_options(args: list[str], expect: str, run_scan: RunScan) -> None:
    rc, out, err = run_scan(str(EXAMPLES / "cluster"), *args)
    assert rc == 2
    assert expect in err
    assert "Traceback" not in err
    assert out == ""


def test_bad_exceptions_file_names_the_field(tmp_path: Path, run_scan: RunScan) -> None:
    bad = tmp_path / "exc.yaml"
    bad.write_text(
        "kind: ExceptionList\nexceptions:\n- scope: {namespace: x}\n  owner: me\n"
        "  expires: 2027-01-01\n"
    )
    rc, _, err = run_scan(str(EXAMPLES / "cluster"), "--exceptions", str(bad))
    assert rc == 2
    assert "exceptions[0].justification" in err
    assert str(bad) in err


@pytest.mark.parametrize("command", ["scan", "pss", "advise"])
def test_wrong_types_in_a_pod_template_are_bad_input(tmp_path: Path, command: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: weird}\nspec:\n"
        "  template:\n    spec:\n      containers:\n      - name: c\n"
        "        securityContext: {runAsUser: root}\n"
    )
    args = [command, str(bad)] + (["--level", "restricted"] if command != "advise" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert (
        f"{bad}: document 0 (line 1): Deployment 'weird' is not valid: spec.template.spec."
        "containers[0].securityContext.runAsUser: expected an integer, got string 'root'"
    ) in result.output


def test_pod_template_metadata_of_the_wrong_type_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: weird}\nspec:\n"
        "  template:\n    metadata: [x]\n    spec:\n      containers: [{name: c}]\n"
    )
    result = CliRunner().invoke(cli, ["advise", str(bad)])
    assert result.exit_code == 2
    assert "spec.template.metadata: expected a mapping, got a list" in result.output


AUTHENTICATED_MAY_USE = """\
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: anyone}
spec:
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: use-anyone}
rules: [{apiGroups: [policy], resources: [podsecuritypolicies], verbs: [use]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: authenticated-use-anyone}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: use-anyone}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: "system:authenticated"}]
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  containers: [{name: c, image: i}]
"""


@pytest.mark.parametrize(
    ("group", "user", "allowed"),
    [
        ("system:authenticated", "alice", True),
        ("system:authenticated", "system:anonymous", False),
        ("system:unauthenticated", "system:anonymous", True),
        ("system:unauthenticated", "alice", False),
    ],
)
def test_user_is_authenticated_unless_anonymous_as_in_admit(
    tmp_path: Path, group: str, user: str, allowed: bool, run_scan: RunScan
) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(AUTHENTICATED_MAY_USE.replace('"system:authenticated"', f'"{group}"'))
    _, out, _ = run_scan(str(path), "--user", user, "-o", "json", "--quiet")
    (workload,) = json.loads(out)["workloads"]
    assert (workload["psp"]["requester"], workload["psp"]["allowed"]) == (user, allowed)
    admitted = CliRunner().invoke(
        cli, ["admit", str(path), "--policy", str(path), "--rbac", str(path), "--user", user]
    )
    assert admitted.exit_code == (0 if allowed else 1), admitted.output
