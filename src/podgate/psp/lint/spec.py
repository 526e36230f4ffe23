"""The spec's traps: missing strategies, policies admission cannot build, volume types,
capability names, privilege escalation, host port ranges, runtime classes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from podgate.k8s.gotext import go_quote
from podgate.k8s.objects import Obj
from podgate.psp.lint.hint import Hint, closest
from podgate.psp.validation.spec import FS_TYPES

_REQUIRED_STRATEGIES = {
    "seLinux": "seLinux: {rule: RunAsAny}",
    "runAsUser": "runAsUser: {rule: MustRunAsNonRoot}",
    "supplementalGroups": "supplementalGroups: {rule: RunAsAny}",
    "fsGroup": "fsGroup: {rule: RunAsAny}",
}


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
            guess = closest(v, FS_TYPES) or closest(v.rstrip("s"), FS_TYPES)
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


def spec_hints(spec: Obj) -> Iterator[Hint]:
    """The spec's hints, in the order `lint_policy` reports them."""
    yield from _strategies(spec)
    yield from _volumes(spec)
    yield from _capabilities(spec)
    yield from _privilege_escalation(spec)
    yield from _host_ports(spec)
    yield from _runtime_class(spec)
