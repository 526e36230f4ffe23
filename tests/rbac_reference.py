"""A reference answer to a SubjectAccessReview from raw RBAC objects, for the fake API server
(tests/kube_fake.py), so that the SubjectAccessReview authorizer can be compared
with podgate's offline RBAC on the same objects without asking podgate.rbac for the answer.

Written from upstream, sharing no code with `podgate.rbac`: the API server's authorizer chain
allows the group `system:masters` everything before RBAC is asked; RBAC
(plugin/pkg/auth/authorizer/rbac) visits every ClusterRoleBinding, then every RoleBinding of
the request's namespace, and allows when a subject applies to the user (`appliesToUser`: a
ServiceAccount subject without a namespace takes the binding's) and the bound role has a rule
that allows the request (`VerbMatches`, `APIGroupMatches`, `ResourceMatches` with `*/sub`,
`ResourceNameMatches`); a binding to a role that does not exist grants nothing. ClusterRoles
with an `aggregationRule` hold what the aggregation controller gives them: the rules of the
ClusterRoles their selectors select (never their own), computed here by repeating the
controller's pass from empty until nothing changes. A plain scan of everything, on every
question: slow and obvious on purpose."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MASTERS = "system:masters"


def sar_allowed(objects: Sequence[Mapping[str, Any]], spec: Mapping[str, Any]) -> bool:
    """`status.allowed` of a SubjectAccessReview with this `spec` (resource attributes only)."""
    user = spec.get("user") or ""
    groups = list(spec.get("groups") or [])
    if MASTERS in groups:
        return True
    attrs = spec.get("resourceAttributes") or {}
    namespace = attrs.get("namespace") or ""
    rules = _role_rules(objects)
    for binding in objects:
        kind = binding.get("kind")
        binding_ns = (binding.get("metadata") or {}).get("namespace") or ""
        if kind == "RoleBinding":
            if not namespace or binding_ns != namespace:
                continue
        elif kind != "ClusterRoleBinding":
            continue
        subjects = binding.get("subjects") or []
        if not any(_applies(s, user, groups, binding_ns) for s in subjects):
            continue
        ref = binding["roleRef"]
        key = (ref["kind"], binding_ns if ref["kind"] == "Role" else "", ref["name"])
        if any(_rule_allows(r, attrs) for r in rules.get(key, [])):
            return True
    return False


def _applies(subject: Mapping[str, Any], user: str, groups: list[str], binding_ns: str) -> bool:
    kind = subject.get("kind")
    if kind == "User":
        return bool(user == subject.get("name"))
    if kind == "Group":
        return subject.get("name") in groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_ns
        return bool(ns) and user == f"system:serviceaccount:{ns}:{subject.get('name')}"
    return False


def _rule_allows(rule: Mapping[str, Any], attrs: Mapping[str, Any]) -> bool:
    verb, group = attrs.get("verb") or "", attrs.get("group") or ""
    resource, sub = attrs.get("resource") or "", attrs.get("subresource") or ""
    name = attrs.get("name") or ""
    combined = f"{resource}/{sub}" if sub else resource
    verbs, api_groups = rule.get("verbs") or [], rule.get("apiGroups") or []
    resources, names = rule.get("resources") or [], rule.get("resourceNames") or []
    return (
        any(v in ("*", verb) for v in verbs)
        and any(g in ("*", group) for g in api_groups)
        and any(r in ("*", combined) or (sub and r == f"*/{sub}") for r in resources)
        and (not names or name in names)
    )


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def _role_rules(objects: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, str], list[Any]]:
    out: dict[tuple[str, str, str], list[Any]] = {}
    cluster: dict[str, Mapping[str, Any]] = {}
    for o in objects:
        meta = o.get("metadata") or {}
        if o.get("kind") == "Role":
            out[("Role", meta.get("namespace") or "", meta["name"])] = list(o.get("rules") or [])
        elif o.get("kind") == "ClusterRole":
            cluster[meta["name"]] = o
    current = {
        name: [] if o.get("aggregationRule") is not None else list(o.get("rules") or [])
        for name, o in cluster.items()
    }
    changed = True
    while changed:
        changed = False
        for name in sorted(cluster):
            aggregation = cluster[name].get("aggregationRule")
            if aggregation is None:
                continue
            found: dict[str, Any] = {}
            for selector in aggregation.get("clusterRoleSelectors") or []:
                for other in sorted(cluster):
                    labels = (cluster[other].get("metadata") or {}).get("labels") or {}
                    if other != name and _selects(selector, labels):
                        for r in current[other]:
                            found.setdefault(json.dumps(r, sort_keys=True), r)
            if set(found) != {json.dumps(r, sort_keys=True) for r in current[name]}:
                current[name] = list(found.values())
                changed = True
    for name, rules in current.items():
        out[("ClusterRole", "", name)] = rules
    return out
