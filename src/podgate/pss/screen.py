"""A first look at a pod that clears, in one pass over its fields, every built-in check it
cannot fail, so that the registry runs only the checks that may fail (none for most pods that
pass). It is a superset by construction: each test below flags a check on anything that is not
plainly allowed, for every version of the check (no version relaxation is applied here: the
Windows and user-namespace exemptions are left to the checks), and on any wrong type. The check
itself decides; the screen only ever skips a check that would have allowed the pod.

Guard: tests/pss/test_pss_screen.py runs every revision of every check on the upstream
conformance fixtures and on generated and arbitrary JSON pods, and fails if a revision forbids
a pod whose screen bit is clear.

A check the screen does not know (a registry built from other modules) gets `ALWAYS`, which
every screen result carries, so it always runs.

On its way the screen collects the pod's (container, securityContext) pairs for the checks
(`fields.Contexts`), unless a container list, a container or a securityContext has the wrong
type: it then sets `ODD`, and the registry builds them with `fields.pod_contexts`. It also
writes down the pod's facts (`marks.py`: each container's name and mark, exact where the check
bits are a superset), which decide the frequent restricted checks, so that the registry judges
each distinct finding once.
"""

from __future__ import annotations

from typing import Any, Final

from podgate.k8s import Obj
from podgate.pss.checks.app_armor_profile import ANNOTATION_PREFIX as _APP_ARMOR_PREFIX
from podgate.pss.checks.app_armor_profile import allowed_annotation
from podgate.pss.checks.capabilities_baseline import ALLOWED as _DEFAULT_CAPABILITIES
from podgate.pss.checks.restricted_volumes import ALLOWED_SOURCES
from podgate.pss.checks.seccomp_profile_baseline import VALID_TYPES as _SECCOMP_TYPES
from podgate.pss.marks import (
    ADDS,
    APE,
    NO_DROP,
    NON_ROOT_BAD,
    NON_ROOT_UNSET,
    POD_NON_ROOT,
    POD_NON_ROOT_BAD,
    POD_ROOT_USER,
    POD_SECCOMP,
    POD_SECCOMP_BAD,
    ROOT_USER,
    SECCOMP_UNSET,
    UNMARKED,
    USER_NAMESPACE,
    WINDOWS,
)
from podgate.pss.model import Check, CheckId

__all__ = ["ALL", "ALWAYS", "ODD", "bit_of", "screen"]

HOST_NAMESPACES: Final = 1 << 0
HOST_PATH_VOLUMES: Final = 1 << 1
RESTRICTED_VOLUMES: Final = 1 << 2
SYSCTLS: Final = 1 << 3
SE_LINUX: Final = 1 << 4
APP_ARMOR: Final = 1 << 5
SECCOMP_BASELINE: Final = 1 << 6
SECCOMP_RESTRICTED: Final = 1 << 7
RUN_AS_NON_ROOT: Final = 1 << 8
RUN_AS_USER: Final = 1 << 9
WINDOWS_HOST_PROCESS: Final = 1 << 10
PRIVILEGED: Final = 1 << 11
ALLOW_PRIVILEGE_ESCALATION: Final = 1 << 12
CAPABILITIES_BASELINE: Final = 1 << 13
CAPABILITIES_RESTRICTED: Final = 1 << 14
PROC_MOUNT: Final = 1 << 15  # procMount and procMount_restricted
HOST_PORTS: Final = 1 << 16
HOST_PROBES: Final = 1 << 17
ALWAYS: Final = 1 << 18
ODD: Final = 1 << 19  # the collected contexts are not to be used
ALL: Final = (1 << 20) - 1

_BITS: Final[dict[str, int]] = {
    "hostNamespaces": HOST_NAMESPACES,
    "hostPathVolumes": HOST_PATH_VOLUMES,
    "restrictedVolumes": RESTRICTED_VOLUMES,
    "sysctls": SYSCTLS,
    "seLinuxOptions": SE_LINUX,
    "appArmorProfile": APP_ARMOR,
    "seccompProfile_baseline": SECCOMP_BASELINE,
    "seccompProfile_restricted": SECCOMP_RESTRICTED,
    "runAsNonRoot": RUN_AS_NON_ROOT,
    "runAsUser": RUN_AS_USER,
    "windowsHostProcess": WINDOWS_HOST_PROCESS,
    "privileged": PRIVILEGED,
    "allowPrivilegeEscalation": ALLOW_PRIVILEGE_ESCALATION,
    "capabilities_baseline": CAPABILITIES_BASELINE,
    "capabilities_restricted": CAPABILITIES_RESTRICTED,
    "procMount": PROC_MOUNT,
    "procMount_restricted": PROC_MOUNT,
    "hostPorts": HOST_PORTS,
    "hostProbesAndHostLifecycle": HOST_PROBES,
}

# every check reading a pod-level securityContext / a container's securityContext
_POD_CONTEXT = (
    SYSCTLS
    | SE_LINUX
    | APP_ARMOR
    | SECCOMP_BASELINE
    | SECCOMP_RESTRICTED
    | RUN_AS_NON_ROOT
    | RUN_AS_USER
    | WINDOWS_HOST_PROCESS
)
_CONTEXT = (
    SE_LINUX
    | APP_ARMOR
    | SECCOMP_BASELINE
    | SECCOMP_RESTRICTED
    | RUN_AS_NON_ROOT
    | RUN_AS_USER
    | WINDOWS_HOST_PROCESS
    | PRIVILEGED
    | ALLOW_PRIVILEGE_ESCALATION
    | CAPABILITIES_BASELINE
    | CAPABILITIES_RESTRICTED
    | PROC_MOUNT
)
_CONTAINER = _CONTEXT | HOST_PORTS | HOST_PROBES | ODD
# the screen bits with the marks (`marks.py`) of what a container's securityContext sets
_APE = ALLOW_PRIVILEGE_ESCALATION | APE
_NO_DROP = CAPABILITIES_RESTRICTED | NO_DROP
_ADDS = CAPABILITIES_RESTRICTED | ADDS
_CAPS_ODD = CAPABILITIES_BASELINE | CAPABILITIES_RESTRICTED | UNMARKED
_SECCOMP_UNSET = SECCOMP_RESTRICTED | SECCOMP_UNSET  # and the pod sets no allowed profile
_SECCOMP_BAD = SECCOMP_BASELINE | SECCOMP_RESTRICTED | UNMARKED
_NON_ROOT_UNSET = RUN_AS_NON_ROOT | NON_ROOT_UNSET  # and the pod does not set true
_NON_ROOT_BAD = RUN_AS_NON_ROOT | NON_ROOT_BAD
_ROOT_USER = RUN_AS_USER | ROOT_USER
# a container without a securityContext: what it fails wherever the pod does not cover it
_UNSET = _APE | _NO_DROP | SECCOMP_UNSET | NON_ROOT_UNSET
_VOLUME_SOURCES: Final = frozenset(ALLOWED_SOURCES)
_ANNOTATION_PREFIXES = ("container.", "seccomp.")  # AppArmor and seccomp annotation keys
_NO_HOST = (None, "")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
# the checks that read a container's allowPrivilegeEscalation, capabilities.drop, runAsNonRoot
# and runAsUser (and the pod's): a plan with none of them (baseline) has them left unread
_RESTRICTED_READS = (
    ALLOW_PRIVILEGE_ESCALATION | CAPABILITIES_RESTRICTED | RUN_AS_NON_ROOT | RUN_AS_USER
)


def bit_of(check: Check, builtin: Check | None) -> int:
    """The screen bit of `check`: its own when it is the built-in check of its ID (`builtin`),
    else `ALWAYS` (a check the screen does not know always runs)."""
    if builtin is None or check is not builtin:
        return ALWAYS
    return _BITS.get(CheckId(check.id), ALWAYS)


def screen(
    meta: Obj,
    spec: Obj,
    contexts: list[tuple[Obj, Obj | None]],
    facts: list[Any] | None,
    wanted: int = ALL,
) -> int:
    """The bits of the checks the pod `(meta, spec)` may fail, with `ALWAYS`, the union of its
    containers' marks and the pod bits (`marks.py`, above `ALL`); `ALL` for a metadata or spec
    that is not a plain object. Appends the (container, securityContext) pairs to `contexts`
    (complete unless `ODD` is set) and, unless `facts` is None, the pod's facts to `facts`
    (`marks.py`; complete unless `ODD` or `UNMARKED` is set).

    `wanted`: the bits of the plan asking (its checks'). A bit outside it may be left unset
    where finding it costs reads that no check of the plan makes (a baseline plan reads no
    restricted field; a restricted plan has restrictedVolumes in place of hostPathVolumes, and
    no seccompProfile_baseline from v1.19); the bits inside it are as with `ALL`, and so are
    the marks when `facts` is given."""
    if type(meta) is not dict or type(spec) is not dict:
        return ALL
    mask = ALWAYS
    value = spec.get("hostNetwork")
    if value is not None and value is not False:
        mask |= HOST_NAMESPACES
    value = spec.get("hostPID")
    if value is not None and value is not False:
        mask |= HOST_NAMESPACES
    value = spec.get("hostIPC")
    if value is not None and value is not False:
        mask |= HOST_NAMESPACES

    volumes = spec.get("volumes")
    if volumes is not None:
        if type(volumes) is not list:
            mask |= HOST_PATH_VOLUMES | RESTRICTED_VOLUMES
        else:
            if wanted & RESTRICTED_VOLUMES:
                for volume in volumes:
                    if type(volume) is not dict:
                        mask |= RESTRICTED_VOLUMES
                        continue
                    for key in volume:
                        if key in _VOLUME_SOURCES and type(volume[key]) is dict:
                            break
                    else:
                        mask |= RESTRICTED_VOLUMES
            if wanted & HOST_PATH_VOLUMES:
                for volume in volumes:
                    if type(volume) is not dict or volume.get("hostPath") is not None:
                        mask |= HOST_PATH_VOLUMES

    # the restricted fields are read for the facts, or for a plan that has their checks
    restricted = facts is not None or wanted & _RESTRICTED_READS
    non_root = False  # the pod sets runAsNonRoot: true
    seccomp = False  # the pod sets an allowed seccomp profile
    psc = spec.get("securityContext")
    if psc is not None:
        if type(psc) is not dict:
            mask |= _POD_CONTEXT | UNMARKED
        elif psc:
            if restricted:
                value = psc.get("runAsNonRoot")
                if value is True:
                    non_root = True
                    mask |= POD_NON_ROOT
                elif value is not None:
                    mask |= RUN_AS_NON_ROOT | POD_NON_ROOT_BAD
                value = psc.get("runAsUser")
                if value is not None and not (type(value) is int and value != 0):
                    mask |= RUN_AS_USER | POD_ROOT_USER
            profile = psc.get("seccompProfile")
            if profile is not None:
                kind = profile.get("type") if type(profile) is dict else None
                if type(kind) is str and kind in _SECCOMP_TYPES:
                    seccomp = True
                    mask |= POD_SECCOMP
                elif type(kind) is str:
                    mask |= SECCOMP_BASELINE | SECCOMP_RESTRICTED | POD_SECCOMP_BAD
                    if facts is not None:
                        facts.append(kind)  # the pod's facts start with it
                else:
                    mask |= _SECCOMP_BAD
            if "seLinuxOptions" in psc:
                mask |= SE_LINUX
            if "appArmorProfile" in psc:
                mask |= APP_ARMOR
            if "windowsOptions" in psc:
                mask |= WINDOWS_HOST_PROCESS
            if "sysctls" in psc:
                mask |= SYSCTLS

    annotations = meta.get("annotations")
    if annotations is not None:
        if type(annotations) is not dict:
            mask |= APP_ARMOR | SECCOMP_BASELINE
        elif wanted & SECCOMP_BASELINE:
            for key, value in annotations.items():
                if type(key) is not str:
                    mask |= APP_ARMOR | SECCOMP_BASELINE
                elif key.startswith(_ANNOTATION_PREFIXES):
                    mask |= SECCOMP_BASELINE
                    if key.startswith(_APP_ARMOR_PREFIX) and not allowed_annotation(value):
                        mask |= APP_ARMOR
        else:  # the AppArmor annotations alone
            for key, value in annotations.items():
                if type(key) is not str or (
                    key.startswith(_APP_ARMOR_PREFIX) and not allowed_annotation(value)
                ):
                    mask |= APP_ARMOR

    # the restricted checks' exemptions
    value = spec.get("os")
    if value is not None:
        if type(value) is not dict:
            mask |= UNMARKED
        elif value.get("name") == "windows":
            mask |= WINDOWS
    if spec.get("hostUsers") is False:
        mask |= USER_NAMESPACE

    unset = _UNSET  # the mark of a container without a securityContext
    if not non_root:
        unset |= RUN_AS_NON_ROOT
    if not seccomp:
        unset |= SECCOMP_RESTRICTED
    for found in (
        spec.get("initContainers"),
        spec.get("containers"),
        spec.get("ephemeralContainers"),
    ):
        if found is None:
            continue
        if type(found) is not list:
            mask |= _CONTAINER
            continue
        for c in found:
            if type(c) is not dict:
                mask |= _CONTAINER
                continue
            sc = c.get("securityContext")
            contexts.append((c, sc))
            adds = None
            if sc is None:
                mark = unset
            elif type(sc) is not dict:
                mark = _CONTEXT | ODD
            else:
                # `in` first for the fields that are mostly unset: cheaper than `get`
                mark = 0
                if "privileged" in sc:
                    value = sc["privileged"]
                    if value is not None and value is not False:
                        mark = PRIVILEGED
                if restricted and sc.get("allowPrivilegeEscalation") is not False:
                    mark |= _APE
                caps = sc.get("capabilities")
                if caps is None:
                    mark |= _NO_DROP
                elif type(caps) is not dict:
                    mark |= _CAPS_ODD
                else:
                    if restricted:
                        drop = caps.get("drop")
                        if (type(drop) is not list and type(drop) is not tuple) or (
                            "ALL" not in drop
                        ):
                            mark |= _NO_DROP
                    if "add" in caps:
                        add = caps["add"]
                        if add is None:
                            pass
                        elif type(add) is not list:
                            mark |= _CAPS_ODD
                        else:
                            for cap in add:
                                if type(cap) is not str:
                                    mark |= _CAPS_ODD
                                elif cap != "NET_BIND_SERVICE":
                                    mark |= _ADDS
                                    adds = add
                                    if cap not in _DEFAULT_CAPABILITIES:
                                        mark |= CAPABILITIES_BASELINE
                if "procMount" in sc:
                    value = sc["procMount"]
                    if value is not None and value != "Default":
                        mark |= PROC_MOUNT
                if "seccompProfile" not in sc or (profile := sc["seccompProfile"]) is None:
                    mark |= SECCOMP_UNSET if seccomp else _SECCOMP_UNSET
                else:
                    kind = profile.get("type") if type(profile) is dict else None
                    if not (type(kind) is str and kind in _SECCOMP_TYPES):
                        mark |= _SECCOMP_BAD
                if restricted:
                    value = sc.get("runAsNonRoot")
                    if value is None:
                        mark |= NON_ROOT_UNSET if non_root else _NON_ROOT_UNSET
                    elif value is not True:
                        mark |= _NON_ROOT_BAD
                    value = sc.get("runAsUser")
                    if value is not None and not (type(value) is int and value != 0):
                        mark |= _ROOT_USER
                if "seLinuxOptions" in sc:
                    mark |= SE_LINUX
                if "appArmorProfile" in sc:
                    mark |= APP_ARMOR
                if "windowsOptions" in sc:
                    mark |= WINDOWS_HOST_PROCESS
            if facts is not None:
                name = c.get("name")
                if type(name) is not str:
                    mask |= UNMARKED
                if adds is None:
                    facts += (name, mark)
                else:
                    facts += (name, mark, tuple(adds))
            mask |= mark

            if "ports" in c:
                ports = c["ports"]
                if ports is None:
                    pass
                elif type(ports) is not list:
                    mask |= HOST_PORTS
                else:
                    for port in ports:
                        if type(port) is not dict:
                            mask |= HOST_PORTS
                        elif "hostPort" in port:
                            host = port["hostPort"]
                            if host is not None and not (type(host) is int and host == 0):
                                mask |= HOST_PORTS

            for key in _PROBES:
                if key not in c:
                    continue
                probe = c[key]
                if probe is None:
                    continue
                if type(probe) is not dict:
                    mask |= HOST_PROBES
                    continue
                if "httpGet" in probe:
                    action = probe["httpGet"]
                    if action is not None and (
                        type(action) is not dict
                        or ("host" in action and action["host"] not in _NO_HOST)
                    ):
                        mask |= HOST_PROBES
                if "tcpSocket" in probe:
                    action = probe["tcpSocket"]
                    if action is not None and (
                        type(action) is not dict
                        or ("host" in action and action["host"] not in _NO_HOST)
                    ):
                        mask |= HOST_PROBES
            if "lifecycle" in c:
                lifecycle = c["lifecycle"]
                if lifecycle is None:
                    pass
                elif type(lifecycle) is not dict:
                    mask |= HOST_PROBES
                else:
                    hook = lifecycle.get("postStart")
                    if hook is not None and _names_host(hook):
                        mask |= HOST_PROBES
                    hook = lifecycle.get("preStop")
                    if hook is not None and _names_host(hook):
                        mask |= HOST_PROBES
    return mask


def _names_host(handler: Any) -> bool:
    """Whether a set probe or lifecycle handler may name a host."""
    if type(handler) is not dict:
        return True
    action = handler.get("httpGet")
    if action is not None and (type(action) is not dict or action.get("host") not in _NO_HOST):
        return True
    action = handler.get("tcpSocket")
    return action is not None and (type(action) is not dict or action.get("host") not in _NO_HOST)
