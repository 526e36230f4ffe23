"""PodSecurityPolicy object validation, as the API server's ValidatePodSecurityPolicy (1.21-1.24).

`validate_policy(policy)` returns the field errors the API server gives when the policy is
created: the object metadata (name, generateName, generation, labels, annotations), the PSP
annotations for AppArmor and seccomp, then the spec in upstream's order (runAsUser, runAsGroup,
seLinux, supplementalGroups, fsGroup, volumes, capabilities, privilege escalation, proc mount,
allowed host paths, flex volumes, CSI drivers, sysctls and their overlap, runtimeClass), with
upstream's paths, including its quirks (`requiredDropCapabilities` and `defaultAddCapabilities`
without `spec.`, `spec.allowedFlexVolumes.allowedFlexVolumes[i].driver`,
`spec.allowedCSIDrivers.allowedCSIDriver[i].name`).

Input is decoded JSON or YAML and may be anything. Where a value has the wrong type (a string
where a boolean belongs, a list where an object belongs, a number out of range) the API server
cannot decode the object and rejects it before validating; podgate reports each such value as
`<path>: Invalid value: <value>: must be <type>, not <type>`, first, and then validates the rest
as if the bad values were absent, leaving out errors at or under a badly typed path. Unknown
fields are ignored, as the API server of these releases ignored them (see `psp.lint`).

Differences from upstream, all deliberate: labels and annotations are checked in key order (Go
iterates a map at random); a name made from `generateName` is random upstream, so only
`generateName` itself is checked; ownerReferences, finalizers and managedFields are not checked;
`metadata.namespace` is not an error (the API server clears it on cluster-scoped objects).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from podgate.k8s.field import (
    INVALID,
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
from podgate.k8s.objects import Obj, json_kind

__all__ = [
    "FS_TYPES",
    "SUPPORTED_VOLUMES",
    "dns1123_subdomain_errors",
    "validate_policy",
]

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

APPARMOR_DEFAULT = "apparmor.security.beta.kubernetes.io/defaultProfileName"
APPARMOR_ALLOWED = "apparmor.security.beta.kubernetes.io/allowedProfileNames"
SECCOMP_DEFAULT = "seccomp.security.alpha.kubernetes.io/defaultProfileName"
SECCOMP_ALLOWED = "seccomp.security.alpha.kubernetes.io/allowedProfileNames"

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)

# --- apimachinery name rules --------------------------------------------------------------

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_QNAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_RE = re.compile(_QNAME)
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE = "(" + _QNAME + ")?"
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)
_ANNOTATIONS_LIMIT = 256 * 1024

_SYSCTL_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SYSCTL_PATTERN = "(" + _SYSCTL_SEGMENT + r"\.)*" + "([a-z0-9][-_a-z0-9]*)?[a-z0-9*]"
_SYSCTL_PATTERN_RE = re.compile(_SYSCTL_PATTERN)
_SYSCTL_MAX = 253


def _blen(s: str) -> int:
    """Go's len() of a string: its length in UTF-8 bytes."""
    return len(s.encode("utf-8", "surrogatepass"))


def _regex_error(msg: str, pattern: str, *examples: str) -> str:
    if not examples:
        return f"{msg} (regex used for validation is '{pattern}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{pattern}')"


def _max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def dns1123_subdomain_errors(value: str) -> list[str]:
    """apimachinery IsDNS1123Subdomain: the messages for a value that is not a DNS subdomain."""
    errs: list[str] = []
    if _blen(value) > 253:
        errs.append(_max_len_error(253))
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        errs.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN, "example.com"))
    return errs


def _qualified_name_errors(value: str) -> list[str]:
    parts = value.split("/")
    errs: list[str] = []
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in dns1123_subdomain_errors(prefix))
    else:
        return [
            "a qualified name "
            + _regex_error(_QNAME_MSG, _QNAME, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif _blen(name) > 63:
        errs.append("name part " + _max_len_error(63))
    if not _QNAME_RE.fullmatch(name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME, "MyName", "my.name", "123-abc"))
    return errs


def _label_value_errors(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > 63:
        errs.append(_max_len_error(63))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE, "MyValue", "my_value", "12345"))
    return errs


def _mask_trailing_dash(name: str) -> str:
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


# --- Go %#v renderings ----------------------------------------------------------------------


def _go_slice(type_name: str, items: Sequence[str] | None) -> str:
    """`%#v` of a slice of a string type: `[]core.Capability{"A", "B"}`."""
    if items is None:
        return f"[]{type_name}(nil)"
    return f"[]{type_name}{{" + ", ".join(go_quote(s) for s in items) + "}"


def _go_ranges(ranges: Sequence[tuple[int, int]] | None) -> str:
    """`%#v` of a []policy.IDRange."""
    if ranges is None:
        return "[]policy.IDRange(nil)"
    inner = ", ".join(f"policy.IDRange{{Min:{lo}, Max:{hi}}}" for lo, hi in ranges)
    return "[]policy.IDRange{" + inner + "}"


# --- decoding: the values as the API server would decode them, type errors aside -----------


def _shown(value: Any) -> str:
    """A bad value, shown as a field error shows values (JSON for lists and objects)."""
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    try:
        text = json.dumps(value, separators=(",", ":"), default=str, sort_keys=False)
    except (TypeError, ValueError):  # non-string keys and the like: show the Python form
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(slots=True)
class _Decoder:
    """Reads typed values out of decoded JSON, recording a FieldError per wrongly typed value."""

    errors: list[FieldError] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)

    def wrong(self, path: str, value: Any, want: str) -> None:
        detail = f"must be {want}, not {json_kind(value)}"
        self.errors.append(FieldError(INVALID, path, _shown(value), detail))
        self.bad.append(path)

    def obj(self, parent: Obj, key: str, path: str) -> Obj | None:
        value = parent.get(key)
        if value is None or isinstance(value, Mapping):
            return value
        self.wrong(path, value, "an object")
        return None

    def boolean(self, parent: Obj, key: str, path: str) -> bool | None:
        value = parent.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.wrong(path, value, "a boolean")
        return None

    def string(self, parent: Obj, key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None or isinstance(value, str):
            return value
        self.wrong(path, value, "a string")
        return None

    def integer(self, parent: Obj, key: str, path: str, bounds: tuple[int, int]) -> int | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, float) and not isinstance(value, bool) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            if bounds[0] <= value <= bounds[1]:
                return value
            bits = 32 if bounds == _INT32 else 64
            detail = f"must be an integer that fits in {bits} bits"
            self.errors.append(FieldError(INVALID, path, str(value), detail))
            self.bad.append(path)
            return None
        self.wrong(path, value, "an integer")
        return None

    def strings(self, parent: Obj, key: str, path: str) -> list[str] | None:
        """A []string; any bad element makes the whole list unusable (None)."""
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self.wrong(path, value, "a list of strings")
            return None
        ok = True
        out: list[str] = []
        for i, item in enumerate(value):
            if item is None:  # Go decodes null into a string element as ""
                out.append("")
            elif isinstance(item, str):
                out.append(item)
            else:
                self.wrong(f"{path}[{i}]", item, "a string")
                ok = False
        return out if ok else None

    def objs(self, parent: Obj, key: str, path: str) -> list[Obj] | None:
        """A list of structs (null elements read as empty); None when absent or bad."""
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self.wrong(path, value, "a list of objects")
            return None
        ok = True
        out: list[Obj] = []
        for i, item in enumerate(value):
            if item is None:
                out.append({})
            elif isinstance(item, Mapping):
                out.append(item)
            else:
                self.wrong(f"{path}[{i}]", item, "an object")
                ok = False
        return out if ok else None

    def string_map(self, parent: Obj, key: str, path: str) -> dict[str, str] | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.wrong(path, value, "an object of strings")
            return None
        out: dict[str, str] = {}
        ok = True
        for k, v in value.items():
            if not isinstance(k, str):
                self.wrong(f"{path}[{k}]", k, "a string key")
                ok = False
            elif v is None:
                out[k] = ""
            elif isinstance(v, str):
                out[k] = v
            else:
                self.wrong(f"{path}[{k}]", v, "a string")
                ok = False
        return out if ok else None


@dataclass(slots=True)
class _Strategy:
    present: bool = False
    rule: str = ""
    ranges: list[tuple[int, int]] | None = None  # None: nil (absent or null)


@dataclass(slots=True)
class _RuntimeClass:
    allowed: list[str] | None = None
    default: str | None = None


@dataclass(slots=True)
class _Spec:
    run_as_user: _Strategy
    run_as_group: _Strategy
    se_linux: _Strategy
    supplemental_groups: _Strategy
    fs_group: _Strategy
    volumes: list[str] | None
    default_add: list[str] | None
    required_drop: list[str] | None
    allowed_caps: list[str] | None
    default_ape: bool | None
    ape: bool
    proc_mount_types: list[str] | None
    host_paths: list[Obj] | None
    flex: list[Obj] | None
    csi: list[Obj] | None
    allowed_sysctls: list[str] | None
    forbidden_sysctls: list[str] | None
    runtime_class: _RuntimeClass | None


def _strategy(d: _Decoder, spec: Obj, key: str, *, selinux: bool = False) -> _Strategy:
    path = f"spec.{key}"
    raw = spec.get(key)
    opts = d.obj(spec, key, path)
    st = _Strategy(present=raw is not None and opts is not None)
    if opts is None:
        return st
    st.rule = d.string(opts, "rule", f"{path}.rule") or ""
    if selinux:
        se = d.obj(opts, "seLinuxOptions", f"{path}.seLinuxOptions")
        if se is not None:
            for k in ("user", "role", "type", "level"):
                d.string(se, k, f"{path}.seLinuxOptions.{k}")
        return st
    items = d.objs(opts, "ranges", f"{path}.ranges")
    if items is None:
        return st
    ranges: list[tuple[int, int]] = []
    for i, item in enumerate(items):
        at = f"{path}.ranges[{i}]"
        lo = d.integer(item, "min", f"{at}.min", _INT64)
        hi = d.integer(item, "max", f"{at}.max", _INT64)
        if (lo is None and item.get("min") is not None) or (
            hi is None and item.get("max") is not None
        ):
            d.bad.append(at)  # a range with a bad bound is not checked further
        ranges.append((lo or 0, hi or 0))
    st.ranges = ranges
    return st


def _decode_spec(d: _Decoder, spec: Obj) -> _Spec:
    s = "spec"
    for key in ("privileged", "hostNetwork", "hostPID", "hostIPC", "readOnlyRootFilesystem"):
        d.boolean(spec, key, f"{s}.{key}")
    host_ports = d.objs(spec, "hostPorts", f"{s}.hostPorts")
    for i, hp in enumerate(host_ports or ()):
        d.integer(hp, "min", f"{s}.hostPorts[{i}].min", _INT32)
        d.integer(hp, "max", f"{s}.hostPorts[{i}].max", _INT32)
    run_as_user = _strategy(d, spec, "runAsUser")
    run_as_group = _strategy(d, spec, "runAsGroup")
    se_linux = _strategy(d, spec, "seLinux", selinux=True)
    supplemental_groups = _strategy(d, spec, "supplementalGroups")
    fs_group = _strategy(d, spec, "fsGroup")
    volumes = d.strings(spec, "volumes", f"{s}.volumes")
    default_add = d.strings(spec, "defaultAddCapabilities", f"{s}.defaultAddCapabilities")
    required_drop = d.strings(spec, "requiredDropCapabilities", f"{s}.requiredDropCapabilities")
    allowed_caps = d.strings(spec, "allowedCapabilities", f"{s}.allowedCapabilities")
    default_ape = d.boolean(
        spec, "defaultAllowPrivilegeEscalation", f"{s}.defaultAllowPrivilegeEscalation"
    )
    ape = d.boolean(spec, "allowPrivilegeEscalation", f"{s}.allowPrivilegeEscalation")
    proc = d.strings(spec, "allowedProcMountTypes", f"{s}.allowedProcMountTypes")
    host_paths = d.objs(spec, "allowedHostPaths", f"{s}.allowedHostPaths")
    if host_paths is not None:
        for i, hp in enumerate(host_paths):
            bad_prefix = d.string(hp, "pathPrefix", f"{s}.allowedHostPaths[{i}].pathPrefix")
            d.boolean(hp, "readOnly", f"{s}.allowedHostPaths[{i}].readOnly")
            if bad_prefix is None and hp.get("pathPrefix") is not None:
                host_paths = None
                break
    flex = d.objs(spec, "allowedFlexVolumes", f"{s}.allowedFlexVolumes")
    if flex is not None and not _all_strings(d, flex, "driver", f"{s}.allowedFlexVolumes"):
        flex = None
    csi = d.objs(spec, "allowedCSIDrivers", f"{s}.allowedCSIDrivers")
    if csi is not None and not _all_strings(d, csi, "name", f"{s}.allowedCSIDrivers"):
        csi = None
    allowed_sysctls = d.strings(spec, "allowedUnsafeSysctls", f"{s}.allowedUnsafeSysctls")
    forbidden_sysctls = d.strings(spec, "forbiddenSysctls", f"{s}.forbiddenSysctls")
    runtime_class: _RuntimeClass | None = None
    rc = d.obj(spec, "runtimeClass", f"{s}.runtimeClass")
    if rc is not None:
        runtime_class = _RuntimeClass(
            d.strings(rc, "allowedRuntimeClassNames", f"{s}.runtimeClass.allowedRuntimeClassNames"),
            d.string(rc, "defaultRuntimeClassName", f"{s}.runtimeClass.defaultRuntimeClassName"),
        )
    return _Spec(
        run_as_user=run_as_user,
        run_as_group=run_as_group,
        se_linux=se_linux,
        supplemental_groups=supplemental_groups,
        fs_group=fs_group,
        volumes=volumes,
        default_add=default_add,
        required_drop=required_drop,
        allowed_caps=allowed_caps,
        default_ape=default_ape,
        ape=bool(ape),
        proc_mount_types=proc,
        host_paths=host_paths,
        flex=flex,
        csi=csi,
        allowed_sysctls=allowed_sysctls,
        forbidden_sysctls=forbidden_sysctls,
        runtime_class=runtime_class,
    )


def _all_strings(d: _Decoder, items: list[Obj], key: str, path: str) -> bool:
    ok = True
    for i, item in enumerate(items):
        if d.string(item, key, f"{path}[{i}].{key}") is None and item.get(key) is not None:
            ok = False
    return ok


# --- metadata -------------------------------------------------------------------------------


def _validate_meta(d: _Decoder, meta: Obj) -> tuple[list[FieldError], dict[str, str] | None]:
    errs: list[FieldError] = []
    name = d.string(meta, "name", "metadata.name") or ""
    generate_name = d.string(meta, "generateName", "metadata.generateName") or ""
    d.string(meta, "namespace", "metadata.namespace")
    generation = d.integer(meta, "generation", "metadata.generation", _INT64)
    labels = d.string_map(meta, "labels", "metadata.labels")
    annotations = d.string_map(meta, "annotations", "metadata.annotations")
    if generate_name:
        masked = _mask_trailing_dash(generate_name)
        errs.extend(
            invalid("metadata.generateName", generate_name, m)
            for m in dns1123_subdomain_errors(masked)
        )
    if name:
        errs.extend(invalid("metadata.name", name, m) for m in dns1123_subdomain_errors(name))
    elif not generate_name:
        errs.append(required("metadata.name", "name or generateName is required"))
    if generation is not None and generation < 0:
        errs.append(
            invalid("metadata.generation", generation, "must be greater than or equal to 0")
        )
    for key, value in sorted((labels or {}).items()):
        errs.extend(invalid("metadata.labels", key, m) for m in _qualified_name_errors(key))
        errs.extend(invalid("metadata.labels", value, m) for m in _label_value_errors(value))
    if annotations is not None:
        for key in sorted(annotations):
            errs.extend(
                invalid("metadata.annotations", key, m) for m in _qualified_name_errors(key.lower())
            )
        size = sum(_blen(k) + _blen(v) for k, v in annotations.items())
        if size > _ANNOTATIONS_LIMIT:
            errs.append(too_long("metadata.annotations", _ANNOTATIONS_LIMIT))
    return errs, annotations


def _apparmor_format_error(profile: str) -> str | None:
    if profile in ("", "runtime/default", "unconfined") or profile.startswith("localhost/"):
        return None
    return f"invalid AppArmor profile name: {go_quote(profile)}"


def _seccomp_errors(profile: str, path: str) -> list[FieldError]:
    if profile in ("runtime/default", "docker/default", "unconfined"):
        return []
    if profile.startswith("localhost/"):
        rel = profile[len("localhost/") :]
        errs: list[FieldError] = []
        if posixpath.isabs(rel):
            errs.append(invalid(path, rel, "must be a relative path"))
        if ".." in rel.split("/"):
            errs.append(invalid(path, rel, "must not contain '..'"))
        return errs
    return [invalid(path, profile, "must be a valid seccomp profile")]


def _validate_annotations(annotations: Mapping[str, str]) -> list[FieldError]:
    errs: list[FieldError] = []
    at = "metadata.annotations"
    profile = annotations.get(APPARMOR_DEFAULT, "")
    if profile:
        msg = _apparmor_format_error(profile)
        if msg:
            errs.append(invalid(f"{at}[{APPARMOR_DEFAULT}]", profile, msg))
    allowed = annotations.get(APPARMOR_ALLOWED, "")
    if allowed:
        for p in allowed.split(","):
            msg = _apparmor_format_error(p)
            if msg:
                errs.append(invalid(f"{at}[{APPARMOR_ALLOWED}]", allowed, msg))
    profile = annotations.get(SECCOMP_DEFAULT, "")
    if profile:
        errs.extend(_seccomp_errors(profile, f"{at}[{SECCOMP_DEFAULT}]"))
    allowed = annotations.get(SECCOMP_ALLOWED, "")
    if allowed:
        for p in allowed.split(","):
            if p != "*":
                errs.extend(_seccomp_errors(p, f"{at}[{SECCOMP_ALLOWED}]"))
    return errs


# --- spec -----------------------------------------------------------------------------------


def _id_range_errors(path: str, lo: int, hi: int) -> list[FieldError]:
    errs: list[FieldError] = []
    if lo < 0:
        errs.append(invalid(f"{path}.min", lo, "min cannot be negative"))
    if hi < 0:
        errs.append(invalid(f"{path}.max", hi, "max cannot be negative"))
    if lo > hi:
        errs.append(invalid(f"{path}.min", lo, "min cannot be greater than max"))
    return errs


def _ranges_errors(path: str, st: _Strategy) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, (lo, hi) in enumerate(st.ranges or ()):
        errs.extend(_id_range_errors(f"{path}.ranges[{i}]", lo, hi))
    return errs


def _rule_and_ranges(path: str, st: _Strategy, rules: Sequence[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    if st.rule not in rules:
        errs.append(unsupported(f"{path}.rule", st.rule, rules))
    errs.extend(_ranges_errors(path, st))
    return errs


def _run_as_group(st: _Strategy) -> list[FieldError]:
    path = "spec.runAsGroup"
    if not st.present:
        return []
    if st.rule == "RunAsAny":
        if st.ranges:
            return [
                invalid_rendered(f"{path}.ranges", _go_ranges(st.ranges), "Ranges must be empty")
            ]
        return []
    if st.rule in ("MustRunAs", "MayRunAs"):
        errs: list[FieldError] = []
        if not st.ranges:
            rendered = _go_ranges(st.ranges)
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
        if _blen(name) > 63:
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
        elif _blen(s) > _SYSCTL_MAX or not _SYSCTL_PATTERN_RE.fullmatch(s):
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


def _runtime_class(rc: _RuntimeClass | None) -> list[FieldError]:
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
                _go_slice("string", rc.allowed),
                "if '*' is present, must not specify other RuntimeClass names",
            )
        )
    return errs


def _validate_spec(s: _Spec) -> list[FieldError]:
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
                _go_slice("core.Capability", s.required_drop),
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


# --- entry point ----------------------------------------------------------------------------

# A spec-level type error hides errors reported at these upstream paths (which lack `spec.`).
_PATH_ALIASES = {
    "spec.requiredDropCapabilities": "requiredDropCapabilities",
    "spec.defaultAddCapabilities": "defaultAddCapabilities",
    "spec.allowedCapabilities": "allowedCapabilities",
    "spec.allowedFlexVolumes": "spec.allowedFlexVolumes.allowedFlexVolumes",
    "spec.allowedCSIDrivers": "spec.allowedCSIDrivers.allowedCSIDriver",
}


def _under(path: str, bad: Sequence[str]) -> bool:
    for b in bad:
        for root in (b, _PATH_ALIASES.get(b, b)):
            if path == root or path.startswith((root + ".", root + "[")):
                return True
    return False


def validate_policy(policy: Obj) -> list[FieldError]:
    """The field errors the API server gives for this PodSecurityPolicy, in upstream's order;
    an empty list when the policy is valid. Wrongly typed values come first (see the module
    docstring). Pure: the input is not changed."""
    d = _Decoder()
    raw: object = policy  # decoded input may be anything, whatever the signature says
    if not isinstance(raw, Mapping):
        d.wrong("<object>", raw, "an object")
        return d.errors
    meta = d.obj(policy, "metadata", "metadata") or {}
    spec = d.obj(policy, "spec", "spec") or {}
    meta_errors, annotations = _validate_meta(d, meta)
    decoded = _decode_spec(d, spec)
    found = [*meta_errors, *_validate_annotations(annotations or {}), *_validate_spec(decoded)]
    return [*d.errors, *(e for e in found if not _under(e.field, d.bad))]
