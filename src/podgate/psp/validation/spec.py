"""The spec, in upstream's order (runAsUser, runAsGroup, seLinux, supplementalGroups, fsGroup,
volumes, capabilities, privilege escalation, proc mount, allowed host paths, flex volumes, CSI
drivers, sysctls and their overlap, runtimeClass), with upstream's paths and quirks."""

from __future__ import annotations

import re
from collections.abc import Sequence

from podgate.k8s.field import (
    FieldError,
    duplicate,
    forbidden,
    invalid,
    invalid_rendered,
    required,
    too_long,
    unsupported,
)
from podgate.k8s.gotext import go_quote
from podgate.k8s.objects import Obj
from podgate.psp.validation.decode import RuntimeClass, Spec, Strategy
from podgate.psp.validation.formats import blen, dns1123_subdomain_errors, go_ranges, go_slice

# --- constants (policy/v1beta1, 1.24) -------------------------------------------------------

FS_TYPES: tuple[str, ...] = (
    "azureFile",
    "flocker",
    "flexVolume",
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephFS",
    "downwardAPI",
    "fc",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "storageos",
    "projected",
    "portworxVolume",
    "scaleIO",
    "csi",
    "ephemeral",
)
"""The volume types (FSType) a policy may list, besides the wildcard `*`."""

SUPPORTED_VOLUMES: tuple[str, ...] = tuple(sorted({*FS_TYPES, "*"}))
"""What `spec.volumes` accepts, sorted as upstream prints it."""

RUN_AS_USER_RULES = ("MustRunAs", "MustRunAsNonRoot", "RunAsAny")
RUN_AS_GROUP_RULES = ("MustRunAs", "RunAsAny", "MayRunAs")  # upstream's order, unsorted
SELINUX_RULES = ("MustRunAs", "RunAsAny")
GROUP_RULES = ("MayRunAs", "MustRunAs", "RunAsAny")  # fsGroup and supplementalGroups
PROC_MOUNT_TYPES = ("Default", "Unmasked")

_SYSCTL_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SYSCTL_PATTERN = "(" + _SYSCTL_SEGMENT + r"\.)*" + "([a-z0-9][-_a-z0-9]*)?[a-z0-9*]"
_SYSCTL_PATTERN_RE = re.compile(_SYSCTL_PATTERN)
_SYSCTL_MAX = 253


def _id_range_errors(path: str, lo: int, hi: int) -> list[FieldError]:
    errs: list[FieldError] = []
    if lo < 0:
        errs.append(invalid(f"{path}.min", lo, "min cannot be negative"))
    if hi < 0:
        errs.append(invalid(f"{path}.max", hi, "max cannot be negative"))
    if lo > hi:
        errs.append(invalid(f"{path}.min", lo, "min cannot be greater than max"))
    return errs


def _ranges_errors(path: str, st: Strategy) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, (lo, hi) in enumerate(st.ranges or ()):
        errs.extend(_id_range_errors(f"{path}.ranges[{i}]", lo, hi))
    return errs


def _rule_and_ranges(path: str, st: Strategy, rules: Sequence[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    if st.rule not in rules:
        errs.append(unsupported(f"{path}.rule", st.rule, rules))
    errs.extend(_ranges_errors(path, st))
    return errs


def _run_as_group(st: Strategy) -> list[FieldError]:
    path = "spec.runAsGroup"
    if not st.present:
        return []
    if st.rule == "RunAsAny":
        if st.ranges:
            return [
                invalid_rendered(f"{path}.ranges", go_ranges(st.ranges), "Ranges must be empty")
            ]
        return []
    if st.rule in ("MustRunAs", "MayRunAs"):
        errs: list[FieldError] = []
        if not st.ranges:
            rendered = go_ranges(st.ranges)
            errs.append(
                invalid_rendered(f"{path}.ranges", rendered, "must provide at least one range")
            )
        errs.extend(_ranges_errors(path, st))
        return errs
    return [unsupported(f"{path}.rule", st.rule, RUN_AS_GROUP_RULES)]


def _caps_against_drops(
    drops: list[str] | None, caps: list[str] | None, name: str
) -> list[FieldError]:
    if drops is None:
        return []
    return [
        invalid(name, cap, f"capability is listed in {name} and requiredDropCapabilities")
        for cap in caps or ()
        if cap in drops
    ]


def _host_paths(items: list[Obj] | None) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, item in enumerate(items or ()):
        prefix = item.get("pathPrefix") or ""
        if not prefix:
            errs.append(required(f"spec.allowedHostPaths[{i}]", "is required"))
            break
        if ".." in prefix.split("/"):
            errs.append(invalid(f"spec.allowedHostPaths[{i}]", prefix, "must not contain '..'"))
    return errs


def _flex(items: list[Obj] | None) -> list[FieldError]:
    path = "spec.allowedFlexVolumes.allowedFlexVolumes"
    return [
        required(f"{path}[{i}].driver", "must specify a driver")
        for i, item in enumerate(items or ())
        if not item.get("driver")
    ]


def _csi(items: list[Obj] | None) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, item in enumerate(items or ()):
        path = f"spec.allowedCSIDrivers.allowedCSIDriver[{i}].name"
        name = item.get("name") or ""
        if not name:
            errs.append(required(path))
        if blen(name) > 63:
            errs.append(too_long(path, 63))
        errs.extend(invalid(path, name, m) for m in dns1123_subdomain_errors(name.lower()))
    return errs


def _sysctls(path: str, items: list[str] | None) -> list[FieldError]:
    if not items:
        return []
    errs: list[FieldError] = []
    covers_all = False
    for i, s in enumerate(items):
        if not s:
            errs.append(invalid(f"{path}[{i}]", s, "empty sysctl not allowed"))
        elif blen(s) > _SYSCTL_MAX or not _SYSCTL_PATTERN_RE.fullmatch(s):
            detail = f"must have at most {_SYSCTL_MAX} characters and match regex {_SYSCTL_PATTERN}"
            errs.append(invalid(f"{path}[{i}]", s, detail))
        elif s[0] == "*":
            covers_all = True
    if covers_all and len(items) > 1:
        errs.append(forbidden(f"{path}.items", "if '*' is present, must not specify other sysctls"))
    return errs


def _sysctl_overlap(allowed: list[str] | None, denied: list[str] | None) -> list[FieldError]:
    errs: list[FieldError] = []
    a_path, f_path = "spec.allowedUnsafeSysctls", "spec.forbiddenSysctls"
    for i, a in enumerate(allowed or ()):
        a_pat = a.endswith("*")
        a_pre = a[:-1] if a_pat else ""
        for j, f in enumerate(denied or ()):
            f_pat = f.endswith("*")
            f_pre = f[:-1] if f_pat else ""
            on_allowed = invalid(f"{a_path}[{i}]", a, f"sysctl overlaps with {f}")
            on_forbidden = invalid(f"{f_path}[{j}]", f, f"sysctl overlaps with {a}")
            if a_pat and f_pat:
                if a_pre.startswith(f_pre):
                    errs.append(on_allowed)
                elif f_pre.startswith(a_pre):
                    errs.append(on_forbidden)
            elif a_pat:
                if f.startswith(a_pre):
                    errs.append(on_forbidden)
            elif f_pat:
                if a.startswith(f_pre):
                    errs.append(on_allowed)
            elif a == f:
                errs.append(on_allowed)
    return errs


def _runtime_class(rc: RuntimeClass | None) -> list[FieldError]:
    if rc is None:
        return []
    path = "spec.runtimeClass"
    errs: list[FieldError] = []
    seen: set[str] = set()
    names = rc.allowed or []
    for i, name in enumerate(names):
        at = f"{path}.allowedRuntimeClassNames[{i}]"
        if name != "*":
            errs.extend(invalid(at, name, m) for m in dns1123_subdomain_errors(name))
        if name in seen:
            errs.append(duplicate(at, name))
        seen.add(name)
    if rc.default is not None:
        at = f"{path}.defaultRuntimeClassName"
        errs.extend(invalid(at, rc.default, m) for m in dns1123_subdomain_errors(rc.default))
        if rc.default not in seen and "*" not in seen:
            detail = f"default {go_quote(rc.default)} must be allowed"
            errs.append(required(f"{path}.allowedRuntimeClassNames", detail))
    if "*" in seen and len(names) > 1:
        errs.append(
            invalid_rendered(
                f"{path}.allowedRuntimeClassNames",
                go_slice("string", rc.allowed),
                "if '*' is present, must not specify other RuntimeClass names",
            )
        )
    return errs


def validate_spec(s: Spec) -> list[FieldError]:
    errs: list[FieldError] = []
    errs.extend(_rule_and_ranges("spec.runAsUser", s.run_as_user, RUN_AS_USER_RULES))
    errs.extend(_run_as_group(s.run_as_group))
    if s.se_linux.rule not in SELINUX_RULES:
        errs.append(unsupported("spec.seLinux.rule", s.se_linux.rule, SELINUX_RULES))
    errs.extend(_rule_and_ranges("spec.supplementalGroups", s.supplemental_groups, GROUP_RULES))
    errs.extend(_rule_and_ranges("spec.fsGroup", s.fs_group, GROUP_RULES))
    errs.extend(
        unsupported("spec.volumes", v, SUPPORTED_VOLUMES)
        for v in s.volumes or ()
        if v not in SUPPORTED_VOLUMES
    )
    if s.required_drop and "*" in (s.allowed_caps or ()):
        errs.append(
            invalid_rendered(
                "requiredDropCapabilities",
                go_slice("core.Capability", s.required_drop),
                "must be empty when all capabilities are allowed by a wildcard",
            )
        )
    errs.extend(_caps_against_drops(s.required_drop, s.default_add, "defaultAddCapabilities"))
    errs.extend(_caps_against_drops(s.required_drop, s.allowed_caps, "allowedCapabilities"))
    if s.default_ape is True and not s.ape:
        errs.append(
            invalid(
                "spec.defaultAllowPrivilegeEscalation",
                True,
                "Cannot set DefaultAllowPrivilegeEscalation to true without also setting "
                "AllowPrivilegeEscalation to true",
            )
        )
    errs.extend(
        unsupported(f"spec.allowedProcMountTypes[{i}]", t, PROC_MOUNT_TYPES)
        for i, t in enumerate(s.proc_mount_types or ())
        if t not in PROC_MOUNT_TYPES
    )
    errs.extend(_host_paths(s.host_paths))
    errs.extend(_flex(s.flex))
    errs.extend(_csi(s.csi))
    errs.extend(_sysctls("spec.allowedUnsafeSysctls", s.allowed_sysctls))
    errs.extend(_sysctls("spec.forbiddenSysctls", s.forbidden_sysctls))
    errs.extend(_sysctl_overlap(s.allowed_sysctls, s.forbidden_sysctls))
    errs.extend(_runtime_class(s.runtime_class))
    return errs
