"""The result of every action: the change as a file to download (YAML, or a patch, for GitOps)
and as the API calls that make it (for `--allow-changes --live`). Built from the action's
parameters on the server each time; nothing a browser sends is applied as it is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from podgate.k8s import Obj, mapping
from podgate.pss.labels import LABEL_KEYS
from podgate.scan.preview import DISABLED_ANNOTATION, binding_objects, relabelled

MERGE_PATCH = "application/merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
FIELD_MANAGER = "podgate-ui"


@dataclass(frozen=True, slots=True)
class ApiCall:
    method: str
    path: str
    body: Any
    content_type: str
    summary: str  # "patch Namespace shop", for the audit line and the page


@dataclass(frozen=True, slots=True)
class Change:
    action: Literal["disable-policy", "enable-policy", "bind-policy", "label-namespace"]
    title: str
    filename: str
    text: str  # the file to download
    calls: tuple[ApiCall, ...]


def to_yaml(*objs: Any) -> str:
    return "---\n".join(yaml.safe_dump(o, sort_keys=False, default_flow_style=False) for o in objs)


def _name(obj: Obj) -> str:
    return str(mapping(obj.get("metadata")).get("name") or "")


def _policy_path(policy: Obj) -> str:
    group_version = str(policy.get("apiVersion") or "policy/v1beta1")
    return f"/apis/{group_version}/podsecuritypolicies/{_name(policy)}"


def toggle_change(policy: Obj, disable: bool) -> Change:
    """Disable a policy (annotate it `podgate.io/disabled: "true"`; a policy/v1beta1
    PodSecurityPolicy has no off switch, so it is deleted and its YAML kept to restore it) or
    enable a disabled one (the annotation removed)."""
    name = _name(policy)
    podgate_kind = str(policy.get("apiVersion") or "").startswith("podgate.io/")
    if disable and not podgate_kind:
        text = (
            f"# Disabling PodSecurityPolicy {name}: a policy/v1beta1 PodSecurityPolicy has no off\n"
            f"# switch, so it is deleted (kubectl delete podsecuritypolicy {name}).\n"
            "# This is the policy as it is, to apply again to enable it:\n" + to_yaml(policy)
        )
        call = ApiCall("DELETE", _policy_path(policy), None, "", f"delete PodSecurityPolicy {name}")
        return Change("disable-policy", f"Disable {name}", f"disable-{name}.yaml", text, (call,))
    patch = {"metadata": {"annotations": {DISABLED_ANNOTATION: "true" if disable else None}}}
    verb = "disable" if disable else "enable"
    text = (
        f"# {verb} policy {name}: a JSON merge patch\n"
        f"# kubectl patch {policy.get('kind', '').lower()} {name} --type merge --patch-file "
        f"{verb}-{name}.yaml\n" + to_yaml(patch)
    )
    call = ApiCall("PATCH", _policy_path(policy), patch, MERGE_PATCH, f"{verb} policy {name}")
    return Change(
        "disable-policy" if disable else "enable-policy",
        f"{verb.title()} {name}",
        f"{verb}-{name}.yaml",
        text,
        (call,),
    )


def binding_change(policy: str, namespace: str, service_account: str | None) -> Change:
    objs = binding_objects(policy, namespace, service_account)
    role, binding = objs
    who = f"service account {namespace}/{service_account}" if service_account else namespace
    calls = (
        ApiCall(
            "PATCH",
            f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{_name(role)}",
            role,
            APPLY_PATCH,
            f"apply ClusterRole {_name(role)}",
        ),
        ApiCall(
            "PATCH",
            f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings/{_name(binding)}",
            binding,
            APPLY_PATCH,
            f"apply RoleBinding {namespace}/{_name(binding)}",
        ),
    )
    text = f"# Grant `use` of PodSecurityPolicy {policy} to {who}\n" + to_yaml(*objs)
    return Change(
        "bind-policy",
        f"Bind {policy} to {who}",
        f"bind-{policy}-{namespace}{'-' + service_account if service_account else ''}.yaml",
        text,
        calls,
    )


def labels_change(namespace_obj: Obj, labels: Mapping[str, str]) -> Change:
    """New Pod Security labels: a merge patch that sets the given labels and removes the
    other Pod Security labels."""
    name = _name(namespace_obj)
    new = mapping(relabelled(namespace_obj, labels)["metadata"]).get("labels") or {}
    old = mapping(mapping(namespace_obj.get("metadata")).get("labels"))
    patch_labels: dict[str, str | None] = {
        k: new.get(k) for k in LABEL_KEYS if k in new or k in old
    }
    patch = {"metadata": {"labels": patch_labels}}
    sets = " ".join(f"{k}={v}" for k, v in patch_labels.items() if v is not None)
    unsets = " ".join(f"{k}-" for k, v in patch_labels.items() if v is None)
    text = (
        f"# New Pod Security labels for namespace {name}: a JSON merge patch\n"
        f"# kubectl label --overwrite ns {name} {' '.join(x for x in (sets, unsets) if x)}\n"
        + to_yaml(patch)
    )
    call = ApiCall(
        "PATCH", f"/api/v1/namespaces/{name}", patch, MERGE_PATCH, f"label Namespace {name}"
    )
    return Change("label-namespace", f"Label {name}", f"label-{name}.yaml", text, (call,))
