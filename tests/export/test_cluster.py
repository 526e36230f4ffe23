"""The export's reference asks "may X use P" as every other caller does: `rbac.Authorizer.can_use`
(API groups policy, extensions and podgate.io; system:masters may use every policy), or, with no
RBAC in the input, lets everyone use every policy."""

from __future__ import annotations

from typing import Any

from podgate.export.cluster import Cluster
from podgate.k8s.identity import UserInfo, pod_service_account

G = "rbac.authorization.k8s.io"
POLICY = {
    "apiVersion": "policy/v1beta1",
    "kind": "PodSecurityPolicy",
    "metadata": {"name": "p"},
    "spec": {
        "runAsUser": {"rule": "RunAsAny"},
        "seLinux": {"rule": "RunAsAny"},
        "supplementalGroups": {"rule": "RunAsAny"},
        "fsGroup": {"rule": "RunAsAny"},
    },
}
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "x", "namespace": "ns"},
    "spec": {"serviceAccountName": "app", "containers": [{"name": "c", "image": "i"}]},
}


def _grant(api_group: str, subject: dict[str, Any]) -> list[dict[str, Any]]:
    rule = {"apiGroups": [api_group], "resources": ["podsecuritypolicies"], "verbs": ["use"]}
    return [
        {
            "apiVersion": f"{G}/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "r"},
            "rules": [rule],
        },
        {
            "apiVersion": f"{G}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "b"},
            "roleRef": {"apiGroup": G, "kind": "ClusterRole", "name": "r"},
            "subjects": [subject],
        },
    ]


ALICE = UserInfo("alice", ("system:authenticated",))
SA = pod_service_account("ns", "app")


def test_a_podgate_io_grant_counts() -> None:
    cluster = Cluster.from_objects(
        [POLICY, POD, *_grant("podgate.io", {"kind": "User", "name": "alice"})]
    )
    assert cluster.can_use(ALICE, "ns", "p")
    assert not cluster.can_use(SA, "ns", "p")
    assert cluster.decide(POD, "ns", ALICE).allowed
    assert not cluster.decide(POD, "ns", None).allowed


def test_system_masters_may_use_every_policy() -> None:
    cluster = Cluster.from_objects(
        [POLICY, POD, *_grant("policy", {"kind": "User", "name": "bob"})]
    )
    root = UserInfo("root", ("system:masters",))
    assert cluster.can_use(root, "ns", "p")
    assert cluster.admits_unchanged(POD, "ns", root) == "p"
    assert cluster.admits_unchanged(POD, "ns", ALICE) is None
    assert cluster.admits_unchanged(POD, "ns", UserInfo("bob")) == "p"


def test_without_rbac_everyone_may_use_every_policy() -> None:
    cluster = Cluster.from_objects([POLICY, POD])
    assert cluster.authz is None
    assert cluster.can_use(ALICE, "ns", "p")
    assert cluster.decide(POD, "ns", None).allowed  # no identity at all: authorization is off
