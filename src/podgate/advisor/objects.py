"""The objects the advice is made of: the names of its policies (DNS-1123, one per group, shared
ones by content), each PodSecurityPolicy, and the ClusterRole and bindings that let a group's
service accounts use it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from podgate.advisor.model import ROLE_PREFIX, AdvisedPolicy, Group, GroupBy

PSP_API = "policy/v1beta1"
RBAC_API = "rbac.authorization.k8s.io/v1"
NAME_PREFIX = "podgate"
_MAX_NAME = 253


def _dns_part(text: str) -> str:
    """A DNS-1123 subdomain fragment: lowercase alphanumerics, '-' and '.'."""
    out = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-.") else "-" for ch in text)
    return out.lower().strip("-.") or "x"


def content_digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:10]


def fit(name: str, value: Any) -> str:
    if len(name) <= _MAX_NAME:
        return name
    return f"{name[: _MAX_NAME - 11].rstrip('-.')}-{content_digest(value)}"


def group_name(group: Group) -> str:
    """podgate.NS.SA, podgate.NS or podgate.cluster (a namespace has no dots, so each name
    belongs to one group)."""
    if group.namespace is None:
        return f"{NAME_PREFIX}.cluster"
    parts = group.key.split("/", 1)
    return fit(".".join([NAME_PREFIX, *(_dns_part(p) for p in parts)]), group.key)


def merged_name(groups: Sequence[Group], content: Any) -> str:
    if len(groups) == 1:
        return group_name(groups[0])
    namespaces = {g.namespace for g in groups}
    ns = next(iter(namespaces)) if len(namespaces) == 1 else None
    digest = content_digest(content)
    if ns is not None:
        return fit(f"{NAME_PREFIX}.{_dns_part(ns)}.shared-{digest}", content)
    return f"{NAME_PREFIX}.shared-{digest}"


def cluster_role(policy: str) -> dict[str, Any]:
    return {
        "apiVersion": RBAC_API,
        "kind": "ClusterRole",
        "metadata": {"name": ROLE_PREFIX + policy},
        "rules": [
            {
                "apiGroups": ["policy"],
                "resources": ["podsecuritypolicies"],
                "verbs": ["use"],
                "resourceNames": [policy],
            }
        ],
    }


def _subjects(sas: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"kind": "ServiceAccount", "name": n, "namespace": ns} for ns, n in sas]


def bindings(p: AdvisedPolicy, by: GroupBy) -> list[dict[str, Any]]:
    role_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole"}
    role_ref["name"] = ROLE_PREFIX + p.name
    if by is GroupBy.CLUSTER:
        return [
            {
                "apiVersion": RBAC_API,
                "kind": "ClusterRoleBinding",
                "metadata": {"name": ROLE_PREFIX + p.name},
                "roleRef": role_ref,
                "subjects": _subjects(p.service_accounts),
            }
        ]
    by_ns: dict[str, list[tuple[str, str]]] = {}
    for sa in p.service_accounts:
        by_ns.setdefault(sa[0], []).append(sa)
    return [
        {
            "apiVersion": RBAC_API,
            "kind": "RoleBinding",
            "metadata": {"name": ROLE_PREFIX + p.name, "namespace": ns},
            "roleRef": role_ref,
            "subjects": _subjects(sas),
        }
        for ns, sas in sorted(by_ns.items())
    ]


def policy_object(name: str, spec: dict[str, Any], annotations: dict[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return {"apiVersion": PSP_API, "kind": "PodSecurityPolicy", "metadata": meta, "spec": spec}
