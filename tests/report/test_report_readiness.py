"""Readiness at a cluster's scale (text and JSON): rejections grouped by reason (the control),
with counts and the workloads behind each; each rejection's errors per policy, one per line in
text; `unable to admit pod: []` said in words; upstream's exact message kept in JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli

# Two policies, both granted to the service accounts of `shop` only: hostnet fails both for
# hostNetwork, priv for privileged, the DaemonSet agent for both (a system component), plain
# is changed by `baseline`, and the bare pod in `lonely` may use no policy at all.
POLICIES_AND_RBAC = """\
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: restricted}
spec:
  privileged: false
  allowPrivilegeEscalation: false
  runAsUser: {rule: MustRunAs, ranges: [{min: 1000, max: 2000}]}
  seLinux: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: [configMap, secret, emptyDir]
---
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: baseline}
spec:
  privileged: false
  runAsUser: {rule: MustRunAsNonRoot}
  seLinux: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: ['*']
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: psp-use}
rules:
  - apiGroups: [policy]
    resources: [podsecuritypolicies]
    verbs: [use]
    resourceNames: [restricted, baseline]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: shop-psp}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: psp-use}
subjects:
  - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: "system:serviceaccounts:shop"}
"""


def controller(kind: str, name: str, spec: str = "", sc: str = "") -> str:
    """A controller in namespace shop: pod fields `spec`, one container `app` with `sc`."""
    return f"""\
---
apiVersion: apps/v1
kind: {kind}
metadata: {{name: {name}, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{{spec}containers: [{{name: app, image: app:1{sc}}}]}}
"""


PRIVILEGED = ", securityContext: {privileged: true}"
CLUSTER = (
    POLICIES_AND_RBAC
    + controller("Deployment", "hostnet", spec="hostNetwork: true, ")
    + controller("Deployment", "priv", sc=PRIVILEGED)
    + controller("DaemonSet", "agent", spec="hostNetwork: true, ", sc=PRIVILEGED)
    + controller("Deployment", "plain")
    + """\
---
apiVersion: v1
kind: Pod
metadata: {name: stray, namespace: lonely}
spec:
  containers: [{name: app, image: app:1}]
"""
)
HOSTNET = (
    "spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used"
)
PRIV = (
    "spec.containers[0].securityContext.privileged: Invalid value: true: "
    "Privileged containers are not allowed"
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("readiness") / "cluster.yaml"
    path.write_text(CLUSTER)
    return path


def scan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["scan", "--level", "baseline", *args])
    return result.exit_code, result.output


def readiness_text(out: str) -> str:
    return out[: out.index("Risk per category")]


def test_text_groups_rejections_by_control_with_counts_and_workloads(cluster: Path) -> None:
    rc, out = scan(str(cluster))
    assert rc == 1
    text = readiness_text(out)
    lines = text.splitlines()
    at = lines.index("    [critical] Privileged: privileged: 2 workload(s)")
    assert lines[at + 1] == "      Deployment shop/priv, DaemonSet shop/agent"
    at = lines.index("    [high] Host namespaces: hostNetwork: 2 workload(s)")
    assert lines[at + 1] == "      Deployment shop/hostnet, DaemonSet shop/agent"
    # the reason without a field error comes first, in words
    first = next(i for i, line in enumerate(lines) if "Rejected, by reason" in line)
    assert lines[first + 1].startswith(
        "    No policy usable by whoever creates the pod: 1 workload"
    )
    assert "unable to admit pod: []" in lines[first + 1]
    assert "      Pod lonely/stray" in lines
    at = lines.index("  Mutated, by the policy that would change them:")
    assert lines[at + 1 : at + 3] == [
        "    policy 'baseline': 1 workload(s)",
        "      Deployment shop/plain",
    ]
    # upstream's aggregate message is not printed as one long line anywhere in the readiness
    assert "unable to admit pod: [spec" not in text


def test_text_lists_a_system_components_errors_per_policy_one_per_line(cluster: Path) -> None:
    _, out = scan(str(cluster))
    lines = readiness_text(out).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  - DaemonSet shop/agent"))
    assert "(" + str(cluster) in lines[at] or str(cluster) in lines[at + 1]
    rest = lines[at:]
    policy_at = rest.index("      policy 'baseline':")
    assert rest[policy_at + 1 : policy_at + 3] == [f"        - {HOSTNET}", f"        - {PRIV}"]
    policy_at = rest.index("      policy 'restricted':")
    assert rest[policy_at + 1 : policy_at + 3] == [f"        - {HOSTNET}", f"        - {PRIV}"]


def test_text_wraps_long_errors_and_findings_at_the_console_width(tmp_path: Path) -> None:
    # twenty added capabilities: upstream's one error per capability, and a PSS detail naming
    # all of them (hundreds of characters on one line before)
    caps = ", ".join(f"CAP_NUMBER_{i:02}" for i in range(20))
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n"
        f"  containers: [{{name: c, image: i, securityContext: {{capabilities: {{add: [{caps}]}}}}}}]\n"
        "---\n" + CLUSTER.split("---\n")[0]
    )
    rc, out = scan(str(pod), "--user", "alice")
    assert rc == 1
    assert max(len(line) for line in out.splitlines() if "─" not in line and "━" not in line) <= 120
    flat = " ".join(line.strip() for line in out.splitlines())
    assert 'must not include "CAP_NUMBER_00", "CAP_NUMBER_01"' in flat.replace("\n", " ")


def test_text_says_what_an_empty_denial_means_for_the_workload(cluster: Path) -> None:
    _, out = scan(str(cluster))
    workloads = out[out.index("Workloads") :]
    block = workloads[workloads.index("FAIL  Pod lonely/stray") :]
    flat = " ".join(line.strip() for line in block.splitlines()[:6])
    assert (
        "PSP (requested by the user who creates it (--user not given; only its service "
        "account counts)): denied" in flat
    )
    assert (
        "no PodSecurityPolicy is usable by whoever creates the pod (nobody (no requester)) or by "
        "its service account (system:serviceaccount:lonely:default)"
    ) in flat
    assert "neither may use 'baseline', 'restricted'" in flat


def _json(cluster: Path) -> dict[str, Any]:
    rc, out = scan(str(cluster), "-o", "json")
    assert rc == 1
    data: dict[str, Any] = json.loads(out)
    return data


def test_json_adds_groups_by_reason_and_keeps_every_old_field(cluster: Path) -> None:
    rd = _json(cluster)["readiness"]
    groups = {g["reason"]: g for g in rd["rejectedByReason"]}
    assert list(groups) == ["noUsablePolicy", "privileged", "hostNetwork"]
    assert [(w["kind"], w["name"]) for w in groups["privileged"]["workloads"]] == [
        ("Deployment", "priv"),
        ("DaemonSet", "agent"),
    ]
    assert groups["privileged"]["count"] == 2
    assert groups["privileged"]["severity"] == "critical"
    assert groups["noUsablePolicy"]["severity"] is None
    assert groups["hostNetwork"]["workloads"][0]["source"]["file"] == str(cluster)
    mutated = rd["mutatedByPolicy"]
    assert [(g["policy"], g["count"]) for g in mutated] == [("baseline", 1)]
    pss = {g["control"]: g["count"] for g in rd["pssFailingByControl"]}
    assert pss == {"privileged": 2, "hostNetwork": 2}


def test_json_rejections_carry_errors_per_policy_and_upstreams_exact_message(
    cluster: Path,
) -> None:
    data = _json(cluster)
    rd = data["readiness"]
    agent = next(r for r in rd["rejected"] if r["workload"]["name"] == "agent")
    assert set(agent) >= {"workload", "message"}  # the fields that were there before
    assert agent["message"] == (
        f"PodSecurityPolicy: unable to admit pod: [{HOSTNET} {PRIV} {HOSTNET} {PRIV}]"
    )
    assert agent["errorsByPolicy"] == [
        {
            "policy": "baseline",
            "errors": [
                {"control": "hostNetwork", "message": HOSTNET},
                {"control": "privileged", "message": PRIV},
            ],
        },
        {
            "policy": "restricted",
            "errors": [
                {"control": "hostNetwork", "message": HOSTNET},
                {"control": "privileged", "message": PRIV},
            ],
        },
    ]
    assert agent["reasons"] == ["hostNetwork", "privileged"]
    assert agent["requester"] == "system:serviceaccount:kube-system:daemon-set-controller"
    assert agent["explanation"] is None
    assert [r["workload"]["name"] for r in rd["rejectedSystemComponents"]] == ["agent"]
    stray = next(r for r in rd["rejected"] if r["workload"]["name"] == "stray")
    assert stray["message"] == "PodSecurityPolicy: unable to admit pod: []"
    assert stray["errorsByPolicy"] == []
    assert stray["reasons"] == ["noUsablePolicy"]
    assert "no PodSecurityPolicy is usable by whoever creates the pod" in stray["explanation"]
    workload = next(w for w in data["workloads"] if w["name"] == "stray")
    assert workload["psp"]["unauthorized"] == ["baseline", "restricted"]
    assert workload["psp"]["explanation"] == stray["explanation"]
    assert workload["psp"]["errorsByPolicy"] == []


def test_two_workloads_sharing_a_name_keep_their_own_rejections(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: twin, namespace: ns}}\nspec: {{{}}}\n"
    first.write_text(
        POLICIES_AND_RBAC.split("---\n")[0]
        + "---\n"
        + pod.format("hostNetwork: true, containers: [{name: c, image: i}]")
    )
    second.write_text(pod.format("containers: [{name: c, image: i" + PRIVILEGED + "}]"))
    rc, out = scan(str(first), str(second), "--user", "alice", "-o", "json")
    assert rc == 1
    rd = json.loads(out)["readiness"]
    twins = [r for r in rd["rejected"] if r["workload"]["name"] == "twin"]
    assert [r["source"]["file"] for r in twins] == [str(first), str(second)]
    assert [r["reasons"] for r in twins] == [["hostNetwork"], ["privileged"]]
    groups = {g["reason"]: g["workloads"] for g in rd["rejectedByReason"]}
    assert [w["source"]["file"] for w in groups["hostNetwork"]] == [str(first)]
    assert [w["source"]["file"] for w in groups["privileged"]] == [str(second)]


def test_text_names_at_most_a_dozen_workloads_per_group_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    pods = "".join(
        f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i:02}, namespace: ns}}\n"
        "spec: {hostNetwork: true, containers: [{name: c, image: i}]}\n"
        for i in range(20)
    )
    path = tmp_path / "pods.yaml"
    path.write_text(POLICIES_AND_RBAC.split("---\n")[0] + pods)
    _, out = scan(str(path), "--user", "alice")
    lines = readiness_text(out).splitlines()
    at = lines.index("    [high] Host namespaces: hostNetwork: 20 workload(s)")
    named = " ".join(lines[at + 1 : at + 4])
    assert named.count("Pod ns/p") == 12
    assert "and 8 more (each is listed with its errors below)" in named
    workloads = out[out.index("Risk per category") :]
    assert all(f"FAIL  Pod ns/p{i:02}" in workloads for i in range(20))
