"""scan/owned.py: owned objects that read alike share one verdict key, and nothing an engine
reads is ever left out of it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from podgate.k8s.source import documents
from podgate.scan.inventory import find_workloads
from podgate.scan.owned import verdict_key
from tests.conftest import RunScan
from tests.scan.test_scan_identity import HARDENED, owned_pod, replicaset


def _keys(*pods: dict[str, Any]) -> list[bytes | str]:
    [root] = find_workloads(documents([replicaset(HARDENED), *pods]))
    return [verdict_key(o) for o in root.owned]


def _replica(name: str, node: str, token: str) -> dict[str, Any]:
    pod = owned_pod(copy.deepcopy(HARDENED), ("ReplicaSet", "web-rs"), name=name)
    pod["spec"]["nodeName"] = node
    pod["spec"]["volumes"] = [{"name": f"kube-api-access-{token}", "projected": {"sources": []}}]
    pod["spec"]["containers"][0]["volumeMounts"] = [
        {"name": f"kube-api-access-{token}", "mountPath": "/var/run/secrets"}
    ]
    return pod


def test_replicas_differing_only_where_no_engine_looks_share_a_key() -> None:
    a, b = _keys(_replica("web-1", "node-a", "abcde"), _replica("web-2", "node-b", "vwxyz"))
    assert a == b


def test_a_value_of_another_json_type_gets_another_key() -> None:
    as_bool, as_int, as_float = (_replica(f"web-{i}", "n", "abcde") for i in range(3))
    as_bool["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] = True
    as_int["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] = 1
    as_float["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] = 1.0
    assert len(set(_keys(as_bool, as_int, as_float))) == 3


def test_an_annotation_or_a_read_field_gets_another_key() -> None:
    plain, annotated, host = (_replica(f"web-{i}", "n", "abcde") for i in range(3))
    annotated["metadata"]["annotations"] = {
        "container.apparmor.security.beta.kubernetes.io/web": "unconfined"
    }
    host["spec"]["hostPID"] = True
    assert len(set(_keys(plain, annotated, host))) == 3


def _named(volume: str, mounted: str) -> dict[str, Any]:
    """A replica with the token volume and a second volume named `volume`, a host path, and a
    read-write mount of `mounted`."""
    pod = _replica("web-1", "n", "abcde")
    pod["spec"]["volumes"].append({"name": volume, "hostPath": {"path": "/"}})
    pod["spec"]["containers"][0]["volumeMounts"] = [
        {"name": mounted, "mountPath": "/host", "readOnly": False}
    ]
    return pod


def test_names_the_token_rename_would_make_alike_get_another_key() -> None:
    """The token volume's name is made alike only where no name is already what it becomes:
    else two pods that mount different volumes would read alike (neither can exist in a
    cluster, but podgate does not validate names)."""
    token = "kube-api-access-abcde"
    mounts_host = _named(token, token)  # two volumes of the token's name: the mount reaches both
    mounts_token = _named("kube-api-access-?", token)  # the host path is mounted by no one
    mounts_token["metadata"]["name"] = "web-2"
    assert len(set(_keys(mounts_host, mounts_token))) == 2


def test_a_replica_a_policy_denies_is_never_folded_into_one_it_admits(
    run_scan: RunScan, tmp_path: Path
) -> None:
    token = "kube-api-access-abcde"
    template = _named("kube-api-access-?", token)["spec"]
    rs = replicaset(HARDENED)
    rs["spec"]["template"]["spec"] = copy.deepcopy(template)
    admitted, denied = _named("kube-api-access-?", token), _named(token, token)
    denied["metadata"]["name"] = "web-2"
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps({"kind": "List", "items": [rs, admitted, denied]}))
    policy = tmp_path / "psp.json"
    policy.write_text(json.dumps(_READ_ONLY_HOST))
    ran = run_scan(str(snapshot), "--policy", str(policy), "-o", "json", "--level", "privileged")
    verdicts = {
        w["name"]: (w["psp"]["allowed"], w.get("pods")) for w in json.loads(ran.stdout)["workloads"]
    }
    assert verdicts == {"web-rs": (True, ["web-1"]), "web-2": (False, [])}


_READ_ONLY_HOST = {
    "apiVersion": "policy/v1beta1",
    "kind": "PodSecurityPolicy",
    "metadata": {
        "name": "read-only-host",
        "annotations": {"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*"},
    },
    "spec": {
        "seLinux": {"rule": "RunAsAny"},
        "runAsUser": {"rule": "RunAsAny"},
        "supplementalGroups": {"rule": "RunAsAny"},
        "fsGroup": {"rule": "RunAsAny"},
        "volumes": ["*"],
        "allowedHostPaths": [{"pathPrefix": "/", "readOnly": True}],
    },
}
