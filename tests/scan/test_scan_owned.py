"""scan/owned.py: owned objects that read alike share one verdict key, and nothing an engine
reads is ever left out of it."""

from __future__ import annotations

import copy
from typing import Any

from podgate.k8s.source import documents
from podgate.scan.inventory import find_workloads
from podgate.scan.owned import verdict_key
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
