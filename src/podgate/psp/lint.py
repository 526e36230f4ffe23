"""Lint for PodSecurityPolicies: the mistakes people really make, with a did-you-mean.

`lint_policy(policy)` returns hints about a policy as written (before defaulting). A hint never
makes a policy valid or invalid; only `psp.validation.validate_policy` decides that. Hints cover:

* apiVersion and kind (PodSecurityPolicy was served as policy/v1beta1; extensions/v1beta1 only
  up to 1.15);
* unknown fields anywhere in the object, which the API server of 1.21-1.24 dropped silently,
  with the closest known name (`allowedCapabilites`, `RunAsUser`, a rule such as
  `MustRunAsNonRoot: true` written as a field, OpenShift SCC fields);
* values of the wrong type that people write by habit (`privileged: "false"`, `volumes: secret`);
* missing required strategies (seLinux, runAsUser, supplementalGroups, fsGroup);
* `volumes: [none]` and other unknown volume types, and an empty or missing `volumes` list;
* policies the admission plugin cannot build a provider for (MustRunAs without ranges, seLinux
  MustRunAs without seLinuxOptions), which it then skips without a word;
* allowPrivilegeEscalation left out (the API server defaults it to true) and similar traps.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from podgate.k8s.gotext import go_quote
from podgate.k8s.objects import Obj, json_kind
from podgate.psp.policy import WEBHOOK_API_VERSION
from podgate.psp.validation import (
    APPARMOR_ALLOWED,
    APPARMOR_DEFAULT,
    FS_TYPES,
    SECCOMP_ALLOWED,
    SECCOMP_DEFAULT,
    dns1123_subdomain_errors,
)

__all__ = ["Hint", "lint_policy"]


@dataclass(frozen=True, slots=True)
class Hint:
    """One lint finding: where, what is wrong or surprising, and the fix when there is one."""

    field: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}"
        return f"{text} (did you mean: {self.suggestion})" if self.suggestion else text


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
_TOP: dict[str, Any] = {"apiVersion": "str", "kind": "str", "metadata": _METADATA, "spec": _SPEC}

_REQUIRED_STRATEGIES = {
    "seLinux": "seLinux: {rule: RunAsAny}",
    "runAsUser": "runAsUser: {rule: MustRunAsNonRoot}",
    "supplementalGroups": "supplementalGroups: {rule: RunAsAny}",
    "fsGroup": "fsGroup: {rule: RunAsAny}",
}

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

_PSP_ANNOTATIONS = (APPARMOR_DEFAULT, APPARMOR_ALLOWED, SECCOMP_DEFAULT, SECCOMP_ALLOWED)
_BOOL_WORDS = {"true": "true", "false": "false", "yes": "true", "no": "false"}
_BOOL_WORDS |= {"on": "true", "off": "false", "y": "true", "n": "false"}


def _closest(name: str, known: Any) -> str | None:
    names = [k for k in known if isinstance(k, str)]
    for k in names:
        if k.lower() == name.lower():
            return k
    match = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    if match:
        return match[0]
    lowered = {k.lower(): k for k in names}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
    return lowered[match[0]] if match else None


# --- unknown fields and wrong types, walking the schema -------------------------------------


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
    if known is _TOP and key in _METADATA:
        return Hint(at, f"{key} belongs under metadata; here {dropped}", f"metadata.{key}")
    if known is _TOP and key in _SPEC:
        return Hint(at, f"{key} belongs under spec; here {dropped}", f"spec.{key}")
    if known is _SPEC and key in _METADATA:
        return Hint(at, f"{key} belongs under metadata; here {dropped}", f"metadata.{key}")
    if known is _STRATEGY and key == "type":
        return Hint(at, f"strategies take `rule`, not `type` (an SCC habit); {dropped}", "rule")
    if known is _STRATEGY and key in ("min", "max"):
        return Hint(
            at, f"ranges are a list of {{min, max}}; {dropped}", "ranges: [{min: .., max: ..}]"
        )
    guess = _closest(key, known)
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


def _walk(value: Any, node: Any, path: str) -> Iterator[Hint]:
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
                yield from _walk(sub, node[key], f"{path}.{key}" if path else key)
            else:
                yield _unknown_field(path, key, node)
    elif isinstance(node, list) and isinstance(value, list):
        for i, item in enumerate(value):
            if item is not None and not isinstance(item, Mapping):
                yield Hint(f"{path}[{i}]", f"must be an object, not {json_kind(item)}")
            else:
                yield from _walk(item, node[0], f"{path}[{i}]")
    elif node == "[str]" and isinstance(value, list):
        for i, item in enumerate(value):
            if item is not None and not isinstance(item, str):
                yield Hint(f"{path}[{i}]", f"must be a string, not {json_kind(item)}")


# --- the checks -----------------------------------------------------------------------------


def _type_and_kind(policy: Obj) -> Iterator[Hint]:
    api = policy.get("apiVersion")
    kind = policy.get("kind")
    if kind != "PodSecurityPolicy":
        if isinstance(kind, str) and kind.lower() in ("podsecuritypolicy", "podsecuritypolicies"):
            yield Hint(
                "kind",
                f"kind {go_quote(kind)} is not a kind the API server knows",
                "PodSecurityPolicy",
            )
        elif kind is None:
            yield Hint("kind", "kind is missing", "kind: PodSecurityPolicy")
    if api == "extensions/v1beta1":
        yield Hint(
            "apiVersion",
            "extensions/v1beta1 served PodSecurityPolicy only up to Kubernetes 1.15; 1.16-1.24 "
            "serve it as policy/v1beta1 only (RBAC still checks `use` in both groups)",
            "apiVersion: policy/v1beta1",
        )
    elif api is None:
        yield Hint("apiVersion", "apiVersion is missing", "apiVersion: policy/v1beta1")
    elif api not in ("policy/v1beta1", WEBHOOK_API_VERSION):  # podgate's webhook serves it
        yield Hint(
            "apiVersion",
            f"PodSecurityPolicy was never served as {go_quote(str(api))}: only policy/v1beta1 (and "
            "extensions/v1beta1 up to 1.15); it was removed in 1.25",
            "apiVersion: policy/v1beta1",
        )


def _metadata(meta: Obj) -> Iterator[Hint]:
    ns = meta.get("namespace")
    if isinstance(ns, str) and ns:
        yield Hint(
            "metadata.namespace",
            "PodSecurityPolicy is cluster-scoped: the namespace is ignored, and the policy "
            "applies in every namespace where a Role or ClusterRole grants `use` on it",
            None,
        )
    name = meta.get("name")
    if isinstance(name, str) and name and dns1123_subdomain_errors(name):
        fixed = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.")
        yield Hint(
            "metadata.name",
            "a name must be a DNS subdomain: lowercase letters, digits, '-' and '.', "
            "starting and ending with a letter or digit, at most 253 characters",
            fixed[:253] or None,
        )
    annotations = meta.get("annotations")
    if not isinstance(annotations, Mapping):
        return
    for key, value in annotations.items():
        if not isinstance(key, str):
            continue
        at = f"metadata.annotations[{key}]"
        if key not in _PSP_ANNOTATIONS and key.startswith(("seccomp.", "apparmor.")):
            guess = _closest(key, _PSP_ANNOTATIONS)
            msg = "not an annotation PodSecurityPolicy reads, so it has no effect"
            yield Hint(at, msg, guess)
        if key in _PSP_ANNOTATIONS and isinstance(value, str) and ", " in value:
            yield Hint(
                at,
                "the list is split on ',' without trimming spaces, so ' x' is not 'x'",
                ",".join(p.strip() for p in value.split(",")),
            )
        if key == APPARMOR_ALLOWED and isinstance(value, str) and "*" in value.split(","):
            yield Hint(at, "AppArmor has no wildcard: '*' is not a profile name", None)


def _strategies(spec: Obj) -> Iterator[Hint]:
    for key, example in _REQUIRED_STRATEGIES.items():
        st = spec.get(key)
        if st is None:
            yield Hint(
                f"spec.{key}",
                f"{key} is required: without it the API server rejects the policy",
                example,
            )
        elif isinstance(st, Mapping) and not st.get("rule"):
            yield Hint(f"spec.{key}.rule", f"{key} needs a rule", example)
    for key in ("runAsUser", "fsGroup", "supplementalGroups"):
        st = spec.get(key)
        if not isinstance(st, Mapping):
            continue
        rule = st.get("rule")
        has_ranges = isinstance(st.get("ranges"), list) and bool(st.get("ranges"))
        needs_ranges = ("MustRunAs",) if key == "runAsUser" else ("MustRunAs", "MayRunAs")
        if rule in needs_ranges and not has_ranges:
            why = (
                "MustRunAs requires at least one range"
                if key == "runAsUser"
                else f"ranges must be supplied for {rule}"
            )
            yield Hint(
                f"spec.{key}.ranges",
                f"the object is valid, but admission cannot build it ({why}): the policy is "
                "skipped for every pod, silently",
                f"{key}: {{rule: {rule}, ranges: [{{min: 1, max: 65535}}]}}",
            )
        elif rule in ("RunAsAny", "MustRunAsNonRoot") and has_ranges:
            yield Hint(f"spec.{key}.ranges", f"ranges are ignored with rule {rule}", None)
    se = spec.get("seLinux")
    if isinstance(se, Mapping):
        if se.get("rule") == "MustRunAs" and not isinstance(se.get("seLinuxOptions"), Mapping):
            yield Hint(
                "spec.seLinux.seLinuxOptions",
                "the object is valid, but admission cannot build it (MustRunAs requires "
                "SELinuxOptions): the policy is skipped for every pod, silently",
                "seLinux: {rule: MustRunAs, seLinuxOptions: {level: 's0:c123,c456'}}",
            )
        elif se.get("rule") == "RunAsAny" and se.get("seLinuxOptions") is not None:
            yield Hint("spec.seLinux.seLinuxOptions", "ignored with rule RunAsAny", None)


def _volumes(spec: Obj) -> Iterator[Hint]:
    volumes = spec.get("volumes")
    if volumes is None or volumes == []:
        yield Hint(
            "spec.volumes",
            "no volume of any kind is allowed (an empty or missing list means none, not all), "
            "so most pods are refused: even the service account token is a projected volume",
            "volumes: [configMap, secret, emptyDir, projected, downwardAPI, persistentVolumeClaim]",
        )
        return
    if not isinstance(volumes, list):
        return
    for i, v in enumerate(volumes):
        if not isinstance(v, str) or v in FS_TYPES or v == "*":
            continue
        at = f"spec.volumes[{i}]"
        if v.lower() == "none":
            yield Hint(
                at,
                "'none' is an OpenShift SCC value, not a PodSecurityPolicy volume type, and the "
                "API server rejects it; to allow no volumes at all, use an empty list",
                "volumes: []",
            )
        elif v.lower() in ("all", "any"):
            yield Hint(at, f"{go_quote(v)} is not a volume type; the wildcard is '*'", "'*'")
        else:
            guess = _closest(v, FS_TYPES) or _closest(v.rstrip("s"), FS_TYPES)
            msg = f"{go_quote(v)} is not a volume type, and the API server rejects it"
            if guess is not None and guess.lower() == v.lower():
                msg += " (names are case sensitive)"
            yield Hint(at, msg, guess)


def _capabilities(spec: Obj) -> Iterator[Hint]:
    for key in ("defaultAddCapabilities", "requiredDropCapabilities", "allowedCapabilities"):
        caps = spec.get(key)
        if not isinstance(caps, list):
            continue
        for i, cap in enumerate(caps):
            if not isinstance(cap, str):
                continue
            at = f"spec.{key}[{i}]"
            if cap.upper().startswith("CAP_"):
                yield Hint(
                    at,
                    "names are compared literally and pods write them without the CAP_ prefix",
                    cap[4:].upper(),
                )
            elif cap != cap.upper() and cap != "*":
                yield Hint(at, "names are compared literally, case sensitive", cap.upper())
            elif key == "allowedCapabilities" and cap == "ALL":
                yield Hint(
                    at, "ALL is not special here; the wildcard for any capability is '*'", "'*'"
                )


_REFUSED = (
    "the API server refuses a container with allowPrivilegeEscalation false and privileged "
    "true (cannot set `allowPrivilegeEscalation` to false and `privileged` to true)"
)


def _privilege_escalation(spec: Obj) -> Iterator[Hint]:
    """One consistent piece of advice on privilege escalation: a policy that allows privileged
    containers must leave escalation allowed (and not default it to false), since the API server
    refuses a privileged container that PSP has given allowPrivilegeEscalation: false."""
    allowed = spec.get("allowPrivilegeEscalation")
    privileged = spec.get("privileged") is True
    if allowed is None and privileged:
        yield Hint(
            "spec.allowPrivilegeEscalation",
            "not set: the API server defaults it to true, which this policy needs: it allows "
            f"privileged containers, and {_REFUSED}; say so explicitly, and give pods that need "
            "no privilege a policy of their own with allowPrivilegeEscalation: false",
            "allowPrivilegeEscalation: true",
        )
    elif allowed is None:
        yield Hint(
            "spec.allowPrivilegeEscalation",
            "not set: the API server defaults it to true, so containers may gain privileges "
            "(setuid binaries, file capabilities)",
            "allowPrivilegeEscalation: false",
        )
    elif allowed is False and privileged:
        yield Hint(
            "spec.allowPrivilegeEscalation",
            "this policy sets allowPrivilegeEscalation: false on every container that leaves it "
            f"unset and refuses true, and {_REFUSED}: privileged pods fail; a policy that "
            "allows privileged containers must allow privilege escalation",
            "allowPrivilegeEscalation: true",
        )
    if privileged and allowed is not False and spec.get("defaultAllowPrivilegeEscalation") is False:
        yield Hint(
            "spec.defaultAllowPrivilegeEscalation",
            "false: privileged containers that leave allowPrivilegeEscalation unset get false, "
            f"and {_REFUSED}: they fail unless they set allowPrivilegeEscalation: true",
            "defaultAllowPrivilegeEscalation: true",
        )
    adds = spec.get("defaultAddCapabilities")
    escalation_off = allowed is False or spec.get("defaultAllowPrivilegeEscalation") is False
    if escalation_off and isinstance(adds, list) and "CAP_SYS_ADMIN" in adds:
        yield Hint(
            f"spec.defaultAddCapabilities[{adds.index('CAP_SYS_ADMIN')}]",
            "added to every container that has allowPrivilegeEscalation false, which the API "
            "server refuses (cannot set `allowPrivilegeEscalation` to false and "
            "`capabilities.Add` CAP_SYS_ADMIN): those pods fail",
            "SYS_ADMIN",
        )


def _host_ports(spec: Obj) -> Iterator[Hint]:
    ports = spec.get("hostPorts")
    if not isinstance(ports, list):
        return
    for i, r in enumerate(ports):
        if not isinstance(r, Mapping):
            continue
        lo, hi = r.get("min"), r.get("max")
        if lo is None or hi is None:
            yield Hint(
                f"spec.hostPorts[{i}]",
                "min and max are both required (a missing one reads as 0)",
                "{min: 8000, max: 9000}",
            )
        elif isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            yield Hint(f"spec.hostPorts[{i}]", "min is above max: the range matches no port", None)


def _runtime_class(spec: Obj) -> Iterator[Hint]:
    rc = spec.get("runtimeClass")
    if isinstance(rc, Mapping) and not rc.get("allowedRuntimeClassNames"):
        yield Hint(
            "spec.runtimeClass.allowedRuntimeClassNames",
            "empty: every pod that names a runtimeClassName is refused",
            "allowedRuntimeClassNames: ['*']",
        )


def lint_policy(policy: Obj) -> list[Hint]:
    """Hints about a PodSecurityPolicy as written (before defaulting). Pure; never raises on
    malformed input. Hints do not affect validity."""
    raw: object = policy
    if not isinstance(raw, Mapping):
        return [Hint("<object>", f"a policy must be an object, not {json_kind(raw)}")]
    hints = list(_type_and_kind(policy))
    hints.extend(_walk(policy, _TOP, ""))
    meta = policy.get("metadata")
    if isinstance(meta, Mapping):
        hints.extend(_metadata(meta))
    spec = policy.get("spec")
    if spec is None:
        hints.append(Hint("spec", "spec is missing: the policy has no strategies", None))
        return hints
    if not isinstance(spec, Mapping):
        return hints
    hints.extend(_strategies(spec))
    hints.extend(_volumes(spec))
    hints.extend(_capabilities(spec))
    hints.extend(_privilege_escalation(spec))
    hints.extend(_host_ports(spec))
    hints.extend(_runtime_class(spec))
    return hints
