"""Decoding a policy as the API server would decode it, type errors aside: each wrongly typed
value becomes a field error (and its path is remembered, so that errors under it are left out),
and the rest is read into the values the spec checks take."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from podgate.k8s.field import INVALID, FieldError
from podgate.k8s.gotext import go_quote
from podgate.k8s.objects import Obj, json_kind

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


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
class Decoder:
    """Reads typed values out of decoded JSON, recording a FieldError per wrongly typed value."""

    errors: list[FieldError] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)

    def wrong(self, path: str, value: Any, want: str) -> None:
        detail = f"must be {want}, not {json_kind(value)}"
        self.errors.append(FieldError(INVALID, (path,), _shown(value), detail))
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
            bits = 32 if bounds == INT32 else 64
            detail = f"must be an integer that fits in {bits} bits"
            self.errors.append(FieldError(INVALID, (path,), str(value), detail))
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
class Strategy:
    present: bool = False
    rule: str = ""
    ranges: list[tuple[int, int]] | None = None  # None: nil (absent or null)


@dataclass(slots=True)
class RuntimeClass:
    allowed: list[str] | None = None
    default: str | None = None


@dataclass(slots=True)
class Spec:
    run_as_user: Strategy
    run_as_group: Strategy
    se_linux: Strategy
    supplemental_groups: Strategy
    fs_group: Strategy
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
    runtime_class: RuntimeClass | None


def _strategy(d: Decoder, spec: Obj, key: str, *, selinux: bool = False) -> Strategy:
    path = f"spec.{key}"
    raw = spec.get(key)
    opts = d.obj(spec, key, path)
    st = Strategy(present=raw is not None and opts is not None)
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
        lo = d.integer(item, "min", f"{at}.min", INT64)
        hi = d.integer(item, "max", f"{at}.max", INT64)
        if (lo is None and item.get("min") is not None) or (
            hi is None and item.get("max") is not None
        ):
            d.bad.append(at)  # a range with a bad bound is not checked further
        ranges.append((lo or 0, hi or 0))
    st.ranges = ranges
    return st


def decode_spec(d: Decoder, spec: Obj) -> Spec:
    s = "spec"
    for key in ("privileged", "hostNetwork", "hostPID", "hostIPC", "readOnlyRootFilesystem"):
        d.boolean(spec, key, f"{s}.{key}")
    host_ports = d.objs(spec, "hostPorts", f"{s}.hostPorts")
    for i, hp in enumerate(host_ports or ()):
        d.integer(hp, "min", f"{s}.hostPorts[{i}].min", INT32)
        d.integer(hp, "max", f"{s}.hostPorts[{i}].max", INT32)
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
    runtime_class: RuntimeClass | None = None
    rc = d.obj(spec, "runtimeClass", f"{s}.runtimeClass")
    if rc is not None:
        runtime_class = RuntimeClass(
            d.strings(rc, "allowedRuntimeClassNames", f"{s}.runtimeClass.allowedRuntimeClassNames"),
            d.string(rc, "defaultRuntimeClassName", f"{s}.runtimeClass.defaultRuntimeClassName"),
        )
    return Spec(
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


def _all_strings(d: Decoder, items: list[Obj], key: str, path: str) -> bool:
    ok = True
    for i, item in enumerate(items):
        if d.string(item, key, f"{path}[{i}].{key}") is None and item.get(key) is not None:
            ok = False
    return ok
