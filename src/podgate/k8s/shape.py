"""JSON types of the pod fields that PSP and PSS read, checked before a pod is evaluated.

The API server refuses a pod whose `runAsUser` is a string or whose `privileged` is "true";
an offline pod like that must be refused too (exit 2), not evaluated with the wrong value read
as unset, which could turn a denial into an allow. Unknown fields are not checked here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Schema = Any  # "str" | "int" | "bool" | dict[str, Schema] | list[Schema] | ("map", Schema)

_SE_LINUX: Schema = {"user": "str", "role": "str", "type": "str", "level": "str"}
_PROFILE: Schema = {"type": "str", "localhostProfile": "str"}
_WINDOWS: Schema = {"hostProcess": "bool", "runAsUserName": "str"}
_HANDLER: Schema = {
    "httpGet": {"host": "str"},
    "tcpSocket": {"host": "str"},
}
_CONTAINER: Schema = {
    "name": "str",
    "ports": [{"containerPort": "int", "hostPort": "int"}],
    "volumeMounts": [{"name": "str", "readOnly": "bool"}],
    "securityContext": {
        "privileged": "bool",
        "allowPrivilegeEscalation": "bool",
        "readOnlyRootFilesystem": "bool",
        "runAsUser": "int",
        "runAsGroup": "int",
        "runAsNonRoot": "bool",
        "procMount": "str",
        "capabilities": {"add": ["str"], "drop": ["str"]},
        "seLinuxOptions": _SE_LINUX,
        "seccompProfile": _PROFILE,
        "appArmorProfile": _PROFILE,
        "windowsOptions": _WINDOWS,
    },
    "livenessProbe": _HANDLER,
    "readinessProbe": _HANDLER,
    "startupProbe": _HANDLER,
    "lifecycle": {"postStart": _HANDLER, "preStop": _HANDLER},
}
POD: Schema = {
    "metadata": {
        "name": "str",
        "namespace": "str",
        "annotations": ("map", "str"),
        "labels": ("map", "str"),
    },
    "spec": {
        "hostNetwork": "bool",
        "hostPID": "bool",
        "hostIPC": "bool",
        "hostUsers": "bool",
        "serviceAccountName": "str",
        "runtimeClassName": "str",
        "os": {"name": "str"},
        "securityContext": {
            "runAsUser": "int",
            "runAsGroup": "int",
            "runAsNonRoot": "bool",
            "fsGroup": "int",
            "supplementalGroups": ["int"],
            "seLinuxOptions": _SE_LINUX,
            "sysctls": [{"name": "str", "value": "str"}],
            "seccompProfile": _PROFILE,
            "appArmorProfile": _PROFILE,
            "windowsOptions": _WINDOWS,
        },
        "volumes": [
            {
                "name": "str",
                "hostPath": {"path": "str", "type": "str"},
                "flexVolume": {"driver": "str"},
                "csi": {"driver": "str"},
            }
        ],
        "initContainers": [_CONTAINER],
        "containers": [_CONTAINER],
        "ephemeralContainers": [_CONTAINER],
    },
}

_NAMES = {"str": "a string", "int": "an integer", "bool": "a boolean (true or false)"}


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, bool)


def _check(value: Any, schema: Schema, path: str, errors: list[str]) -> None:
    if value is None:
        return
    if isinstance(schema, str):
        if not _ok(schema, value):
            errors.append(f"{path}: expected {_NAMES[schema]}, got {_type_name(value)}")
    elif isinstance(schema, dict):
        if not isinstance(value, Mapping):
            errors.append(f"{path}: expected a mapping, got {_type_name(value)}")
            return
        for key, sub in schema.items():
            if key in value:
                _check(value[key], sub, f"{path}.{key}" if path else key, errors)
    elif isinstance(schema, list):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {_type_name(value)}")
            return
        for i, item in enumerate(value):
            if item is None and isinstance(schema[0], dict):
                errors.append(f"{path}[{i}]: expected a mapping, got null")
                continue
            _check(item, schema[0], f"{path}[{i}]", errors)
    else:  # ("map", value schema)
        if not isinstance(value, Mapping):
            errors.append(f"{path}: expected a mapping, got {_type_name(value)}")
            return
        for key, item in value.items():
            _check(item, schema[1], f"{path}[{key}]", errors)


Check = Callable[[Any], bool]


def _emit(schema: Schema, var: str, lines: list[str], depth: int, names: list[int]) -> None:
    """Statements that `return False` when `var` does not fit `schema` (None always fits)."""
    pad = "    " * depth

    def fresh() -> str:
        names[0] += 1
        return f"v{names[0]}"

    if schema == "str":
        lines.append(f"{pad}if {var} is not None and not isinstance({var}, str): return False")
    elif schema == "int":
        lines.append(
            f"{pad}if {var} is not None and (not isinstance({var}, int) "
            f"or isinstance({var}, bool)): return False"
        )
    elif schema == "bool":
        lines.append(f"{pad}if {var} is not None and not isinstance({var}, bool): return False")
    elif isinstance(schema, dict):
        lines.append(f"{pad}if {var} is not None:")
        lines.append(
            f"{pad}    if type({var}) is not dict and not isinstance({var}, Mapping): return False"
        )
        for key, sub in schema.items():
            item = fresh()
            lines.append(f"{pad}    {item} = {var}.get({key!r})")
            _emit(sub, item, lines, depth + 1, names)
    elif isinstance(schema, list):
        item = fresh()
        lines.append(f"{pad}if {var} is not None:")
        lines.append(f"{pad}    if not isinstance({var}, list): return False")
        lines.append(f"{pad}    for {item} in {var}:")
        if isinstance(schema[0], dict):  # a null list item is no object
            lines.append(f"{pad}        if {item} is None: return False")
        _emit(schema[0], item, lines, depth + 2, names)
    else:  # ("map", value schema)
        item = fresh()
        lines.append(f"{pad}if {var} is not None:")
        lines.append(
            f"{pad}    if type({var}) is not dict and not isinstance({var}, Mapping): return False"
        )
        lines.append(f"{pad}    for {item} in {var}.values():")
        _emit(schema[1], item, lines, depth + 2, names)


def _compile(schema: Schema) -> Check:
    """A function telling whether a value fits `schema` (None always does): the fast path, one
    function of straight-line code generated from the schema (a call per field would cost
    several times more); the messages come from `_check`, run only when this says no."""
    lines = ["def fits(v0):"]
    _emit(schema, "v0", lines, 1, [0])
    lines.append("    return True")
    namespace: dict[str, Any] = {"Mapping": Mapping}
    exec(compile("\n".join(lines), "<podgate.k8s.shape>", "exec"), namespace)
    fits: Check = namespace["fits"]
    return fits


_FITS_POD = _compile(POD)


def pod_shape_errors(pod: Any, schema: Schema = POD) -> list[str]:
    """Field paths with the wrong JSON type, as `spec.containers[0].securityContext.runAsUser:
    expected an integer, got string 'root'`. Empty when the pod is well formed."""
    errors: list[str] = []
    if not isinstance(pod, Mapping):
        return [f"expected a mapping, got {_type_name(pod)}"]
    if not isinstance(pod.get("spec"), Mapping):
        return ["spec: a pod needs a spec mapping"]
    if schema is POD and _FITS_POD(pod):
        return errors
    _check(pod, schema, "", errors)
    return errors
