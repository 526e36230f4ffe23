"""`export --to psa` names every looser gap that a value the Pod Security Standards allow opens:
the generated pods try each value a PSS check lets through (every capability baseline allows,
every sysctl it has called safe, every volume type, AppArmor localhost profiles, user-namespace
and Windows pods), not only the values the policies name. Found by the red team: a pod adding
KILL, setting net.ipv4.tcp_keepalive_time, mounting an iscsi volume, naming a localhost
AppArmor profile, or running as root with hostUsers: false was admitted by the exported level
and denied by PSP, and the export listed no looser gap (a wrong allow, silent)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from podgate.export import Direction, export
from podgate.export.cluster import Cluster
from podgate.k8s.identity import controller_user, requesting_user
from podgate.pss import Level, evaluate, parse_version
from tests.psp_helpers import policy

VERSION = "1.36"

# baseline in all but a few lists: capabilities, volumes and AppArmor profiles named one by one
BASELINE_PSP = policy(
    "base",
    annotations={
        "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*",
        "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default",
        "apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default",
    },
    allowedCapabilities=["CHOWN", "NET_BIND_SERVICE"],
    volumes=[
        "configMap",
        "emptyDir",
        "projected",
        "secret",
        "downwardAPI",
        "persistentVolumeClaim",
        "ephemeral",
        "csi",
        "nfs",
        "gitRepo",
        "flexVolume",
    ],
)

# restricted, but a pod must name its seccomp profile itself (no default)
RESTRICTED_PSP = policy(
    "restricted",
    annotations={"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default"},
    allowPrivilegeEscalation=False,
    requiredDropCapabilities=["ALL"],
    volumes=["configMap", "emptyDir", "secret"],
    runAsUser={"rule": "MustRunAsNonRoot"},
)


def pod(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p", "namespace": "apps"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def container(**sc: Any) -> dict[str, Any]:
    return {"name": "app", "image": "img", **({"securityContext": sc} if sc else {})}


RESTRICTED_SC = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}

# case: (policy, a pod the exported level admits and PSP denies, the field its gap names)
CASES = {
    "baseline capability": (
        BASELINE_PSP,
        pod({"containers": [container(capabilities={"add": ["KILL"]})]}),
        "securityContext.capabilities.add",
    ),
    "sysctl PSS calls safe": (
        BASELINE_PSP,
        pod(
            {
                "securityContext": {
                    "sysctls": [{"name": "net.ipv4.tcp_keepalive_time", "value": "60"}]
                },
                "containers": [container()],
            }
        ),
        "securityContext.sysctls",
    ),
    "volume type": (
        BASELINE_PSP,
        pod(
            {
                "volumes": [{"name": "v", "iscsi": {"targetPortal": "t", "iqn": "i", "lun": 0}}],
                "containers": [container()],
            }
        ),
        "volumes",
    ),
    "AppArmor localhost profile": (
        BASELINE_PSP,
        pod(
            {"containers": [container()]},
            {"container.apparmor.security.beta.kubernetes.io/app": "localhost/custom"},
        ),
        "metadata.annotations[apparmor]",
    ),
    "user namespace, procMount Unmasked": (
        BASELINE_PSP,
        pod({"hostUsers": False, "containers": [container(procMount="Unmasked")]}),
        "hostUsers",
    ),
    "user namespace, root": (
        RESTRICTED_PSP,
        pod(
            {
                "hostUsers": False,
                "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container(**RESTRICTED_SC)],
            }
        ),
        "hostUsers",
    ),
    "Windows pod without seccomp": (
        RESTRICTED_PSP,
        pod(
            {
                "os": {"name": "windows"},
                "securityContext": {"runAsNonRoot": True},
                "containers": [container()],
            }
        ),
        "os.name",
    ),
}


def workload(psp: dict[str, Any]) -> dict[str, Any]:
    """A pod PSP admits as written, at the level of its policy (baseline or restricted)."""
    if psp is BASELINE_PSP:
        return pod({"containers": [container()]})
    return pod({"securityContext": RESTRICTED_POD, "containers": [container(**RESTRICTED_SC)]})


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_value_pss_allows_and_psp_denies_is_a_looser_gap(case: str) -> None:
    psp, tried, field = CASES[case]
    good = workload(psp)
    good["metadata"]["name"] = "good"
    cluster = Cluster.from_objects([psp])
    who = controller_user("replicaset-controller")
    assert cluster.decide(copy.deepcopy(good), "apps", who).allowed
    result = export([psp, good], [], [], "psa", VERSION)
    (ns,) = result.namespaces
    level = Level(ns.details["labels"]["pod-security.kubernetes.io/enforce"])
    assert level is (Level.BASELINE if psp is BASELINE_PSP else Level.RESTRICTED)
    # the pod is a wrong allow: the exported level admits it, PSP denies it
    version = parse_version(f"v{VERSION}")
    assert not evaluate(level, version, tried["metadata"], tried["spec"])
    assert not cluster.decide(copy.deepcopy(tried), "apps", who).allowed
    # ... and the export says so
    looser = [g.field for g in ns.gaps if g.direction is Direction.LOOSER]
    assert field in looser, f"{case}: no looser gap at {field} among {looser}"


def test_pods_users_create_are_tried_where_users_may_use_less_than_controllers() -> None:
    """Controllers (kube-system service accounts) may use a privileged policy everywhere, as
    the classic PSP setup granted; users only restricted. A namespace whose workloads need
    privileged is labelled privileged: the pods a user creates there, that PSP denied, are
    admitted, and each such field must be a looser gap. Found by the red team: the generated
    pods were requested by a controller only, so no hostPID, hostIPC ... gap was named."""
    privileged = policy(
        "privileged",
        privileged=True,
        allowPrivilegeEscalation=True,
        allowedCapabilities=["*"],
        volumes=["*"],
        hostNetwork=True,
        hostPID=True,
        hostIPC=True,
        hostPorts=[{"min": 0, "max": 65535}],
        annotations={"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*"},
    )
    restricted = RESTRICTED_PSP
    grants = [
        *use_grant("privileged", "system:serviceaccounts:kube-system"),
        *use_grant("restricted", "system:authenticated"),
    ]
    agent = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "agent", "namespace": "apps"},
        "spec": {
            "template": {
                "spec": {
                    "hostNetwork": True,
                    "containers": [container(privileged=True)],
                }
            }
        },
    }
    result = export([privileged, restricted, *grants, agent], [], [], "psa", VERSION)
    (ns,) = result.namespaces
    assert ns.details["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    # a user's pod with hostPID: PSP denied it (the user may use restricted only)
    tried = pod({"hostPID": True, "serviceAccountName": "default", "containers": [container()]})
    cluster = Cluster.from_objects([privileged, restricted, *grants])
    user = requesting_user("alice")
    assert not cluster.decide(copy.deepcopy(tried), "apps", user).allowed
    looser = [g.field for g in ns.gaps if g.direction is Direction.LOOSER]
    assert "hostPID" in looser, looser


def use_grant(name: str, group: str) -> list[dict[str, Any]]:
    """A ClusterRole that may `use` policy `name`, bound to `group` everywhere."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": f"use-{name}"},
        "rules": [
            {
                "apiGroups": ["policy"],
                "resources": ["podsecuritypolicies"],
                "verbs": ["use"],
                "resourceNames": [name],
            }
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": f"use-{name}"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": f"use-{name}",
        },
        "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": group}],
    }
    return [role, binding]
