"""The schema of a PodSecurityPolicy (field name -> what it holds), walked to find unknown
fields, with the closest known name, and values of the wrong type that people write by habit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from podgate.k8s.gotext import go_quote
from podgate.k8s.objects import json_kind
from podgate.psp.lint.hint import Hint, closest
from podgate.psp.validation.metadata import SECCOMP_ALLOWED

# --- the schema: field name -> what it holds ------------------------------------------------
# A node is "bool", "str", "int", "[str]", "map" (string to string), "any", a dict (an object
# with these fields) or a one-element list holding the node of each item.

_RANGE = {"min": "int", "max": "int"}
_STRATEGY = {"rule": "str", "ranges": [_RANGE]}
_SPEC: dict[str, Any] = {
    "privileged": "bool",
    "defaultAddCapabilities": "[str]",
    "requiredDropCapabilities": "[str]",
    "allowedCapabilities": "[str]",
    "volumes": "[str]",
    "hostNetwork": "bool",
    "hostPorts": [_RANGE],
    "hostPID": "bool",
    "hostIPC": "bool",
    "seLinux": {
        "rule": "str",
        "seLinuxOptions": {"user": "str", "role": "str", "type": "str", "level": "str"},
    },
    "runAsUser": _STRATEGY,
    "runAsGroup": _STRATEGY,
    "supplementalGroups": _STRATEGY,
    "fsGroup": _STRATEGY,
    "readOnlyRootFilesystem": "bool",
    "defaultAllowPrivilegeEscalation": "bool",
    "allowPrivilegeEscalation": "bool",
    "allowedHostPaths": [{"pathPrefix": "str", "readOnly": "bool"}],
    "allowedFlexVolumes": [{"driver": "str"}],
    "allowedCSIDrivers": [{"name": "str"}],
    "allowedUnsafeSysctls": "[str]",
    "forbiddenSysctls": "[str]",
    "allowedProcMountTypes": "[str]",
    "runtimeClass": {"allowedRuntimeClassNames": "[str]", "defaultRuntimeClassName": "str"},
}
_METADATA: dict[str, Any] = {
    "name": "str",
    "generateName": "str",
    "namespace": "str",
    "labels": "map",
    "annotations": "map",
    "uid": "any",
    "resourceVersion": "any",
    "generation": "any",
    "creationTimestamp": "any",
    "deletionTimestamp": "any",
    "deletionGracePeriodSeconds": "any",
    "ownerReferences": "any",
    "finalizers": "any",
    "managedFields": "any",
    "selfLink": "any",
    "clusterName": "any",
}
TOP: dict[str, Any] = {"apiVersion": "str", "kind": "str", "metadata": _METADATA, "spec": _SPEC}

# Strategy rules written as if they were fields directly under spec.
_RULE_AS_FIELD = {
    "mustrunasnonroot": "runAsUser: {rule: MustRunAsNonRoot}",
    "runasnonroot": "runAsUser: {rule: MustRunAsNonRoot}",
    "mustrunas": "runAsUser: {rule: MustRunAs, ranges: [{min: 1000, max: 65535}]}",
    "mustrunasrange": "runAsUser: {rule: MustRunAs, ranges: [{min: 1000, max: 65535}]}",
    "runasany": "runAsUser: {rule: RunAsAny}",
    "mayrunas": "fsGroup: {rule: MayRunAs, ranges: [{min: 1, max: 65535}]}",
}

# OpenShift SecurityContextConstraints fields that people carry over.
_SCC_FIELDS = {
    "allowPrivilegedContainer": "privileged",
    "allowHostNetwork": "hostNetwork",
    "allowHostPID": "hostPID",
    "allowHostIPC": "hostIPC",
    "allowHostPorts": "hostPorts: [{min: 0, max: 65535}]",
    "allowHostDirVolumePlugin": "volumes: [hostPath]",
    "seLinuxContext": "seLinux",
    "seccompProfiles": f"the annotation {SECCOMP_ALLOWED}",
    "users": "a RoleBinding granting `use` on the policy",
    "groups": "a RoleBinding granting `use` on the policy",
    "priority": None,
}

_BOOL_WORDS = {"true": "true", "false": "false", "yes": "true", "no": "false"}
_BOOL_WORDS |= {"on": "true", "off": "false", "y": "true", "n": "false"}


def _unknown_field(path: str, key: str, known: Mapping[str, Any]) -> Hint:
    at = f"{path}.{key}" if path else key
    dropped = (
        "the API server ignores unknown fields, so it has no effect "
        "(kubectl's client-side validation refuses it)"
    )
    if known is _SPEC:
        rule = _RULE_AS_FIELD.get(key.lower())
        if rule is not None:
            msg = (
                f"{key} is a strategy rule, not a field: it goes in a strategy's `rule`; {dropped}"
            )
            return Hint(at, msg, rule)
        if key in _SCC_FIELDS and key not in known:
            msg = (
                f"{key} is an OpenShift SecurityContextConstraints field, not a PSP one; {dropped}"
            )
            return Hint(at, msg, _SCC_FIELDS[key])
    if known is TOP and key in _METADATA:
        return Hint(at, f"{key} belongs under metadata; here {dropped}", f"metadata.{key}")
    if known is TOP and key in _SPEC:
        return Hint(at, f"{key} belongs under spec; here {dropped}", f"spec.{key}")
    if known is _SPEC and key in _METADATA:
        return Hint(at, f"{key} belongs under metadata; here {dropped}", f"metadata.{key}")
    if known is _STRATEGY and key == "type":
        return Hint(at, f"strategies take `rule`, not `type` (an SCC habit); {dropped}", "rule")
    if known is _STRATEGY and key in ("min", "max"):
        return Hint(
            at, f"ranges are a list of {{min, max}}; {dropped}", "ranges: [{min: .., max: ..}]"
        )
    guess = closest(key, known)
    if guess is not None and guess.lower() == key.lower():
        msg = f"unknown field {go_quote(key)}: field names are case sensitive; {dropped}"
    else:
        msg = f"unknown field {go_quote(key)}: {dropped}"
    return Hint(at, msg, guess)


def _wrong_type(path: str, value: Any, node: Any) -> Hint | None:
    if node == "bool":
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            word = _BOOL_WORDS[value.strip().lower()]
            msg = (
                f"the string {go_quote(value)} is not a boolean (the quotes make it a string); "
                "the API server rejects the policy"
            )
            return Hint(path, msg, f"{path.rsplit('.', 1)[-1]}: {word}")
        return Hint(path, f"must be true or false, not {json_kind(value)}", None)
    if node == "int":
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            msg = f"the string {go_quote(value)} is not a number (the quotes make it a string)"
            return Hint(path, msg, f"{path.rsplit('.', 1)[-1]}: {value.strip()}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        return Hint(path, f"must be a number, not {json_kind(value)}", None)
    if node == "str":
        return (
            None
            if isinstance(value, str)
            else Hint(path, f"must be a string, not {json_kind(value)}")
        )
    if node == "[str]":
        name = path.rsplit(".", 1)[-1]
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            msg = f"must be a list, not the string {go_quote(value)}"
            return Hint(path, msg, f"{name}: [{', '.join(parts)}]")
        if not isinstance(value, list):
            return Hint(path, f"must be a list of strings, not {json_kind(value)}")
        return None
    if node == "map":
        return (
            None
            if isinstance(value, Mapping)
            else Hint(path, f"must be a map, not {json_kind(value)}")
        )
    if isinstance(node, dict) and not isinstance(value, Mapping):
        name = path.rsplit(".", 1)[-1]
        if node is _STRATEGY and isinstance(value, str):
            return Hint(path, "a strategy is an object with a rule", f"{name}: {{rule: {value}}}")
        return Hint(path, f"must be an object, not {json_kind(value)}")
    if isinstance(node, list) and not isinstance(value, list):
        return Hint(path, f"must be a list, not {json_kind(value)}")
    return None


def walk(value: Any, node: Any, path: str) -> Iterator[Hint]:
    if value is None or node == "any":
        return
    hint = _wrong_type(path, value, node)
    if hint is not None:
        yield hint
        return
    if isinstance(node, dict) and isinstance(value, Mapping):
        for key, sub in value.items():
            if not isinstance(key, str):
                yield Hint(path or "<object>", f"field name {key!r} is not a string", None)
            elif key in node:
                yield from walk(sub, node[key], f"{path}.{key}" if path else key)
            else:
                yield _unknown_field(path, key, node)
    elif isinstance(node, list) and isinstance(value, list):
        for i, item in enumerate(value):
            if item is not None and not isinstance(item, Mapping):
                yield Hint(f"{path}[{i}]", f"must be an object, not {json_kind(item)}")
            else:
                yield from walk(item, node[0], f"{path}[{i}]")
    elif node == "[str]" and isinstance(value, list):
        for i, item in enumerate(value):
            if item is not None and not isinstance(item, str):
                yield Hint(f"{path}[{i}]", f"must be a string, not {json_kind(item)}")
