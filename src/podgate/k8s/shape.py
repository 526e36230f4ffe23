"""JSON types of the pod fields that PSP and PSS read, checked before a pod is evaluated.

The API server refuses a pod whose `runAsUser` is a string or whose `privileged` is "true";
an offline pod like that must be refused too (exit 2), not evaluated with the wrong value read
as unset, which could turn a denial into an allow. Unknown fields are not checked here.

An integer field holds what its Go type holds: `runAsUser: 18446744073709551615` is refused as
the API server's decoder (sigs.k8s.io/json) refuses it, `json: cannot unmarshal number
18446744073709552000 into Go struct field PodSecurityContext.spec.securityContext.runAsUser of
type int64` (kubectl holds a number past int64 as a float64, and sends it in Go's float text).

A pod read from a file (`manifest`) is read as kubectl sends it: kubectl decodes a JSON number
with a point or an exponent into a float64 and writes it back in Go's float text, so
`runAsUser: 1000.0` (or `1e3`) reaches the API server as `1000`, which its decoder takes for
the int64 (kubectl 1.32 here: `kubectl label --local -o json` prints `1000`, `-0.0` as `-0`,
`9007199254740993.0` as `9007199254740992`, `1e21` as `1e+21`, which is refused). Such a whole
float is replaced in the pod by that integer, where its Go type holds it: YAML's are read so
already (io/goyaml.py). The API server encodes what it sends a webhook from its typed objects,
so an AdmissionReview never holds `1000.0` in an integer field, and a webhook that decodes the
pod into its Go types (upstream's pod-security webhook: "failed to decode pod") refuses one:
the webhook's check (`manifest` false) refuses it too.

A manifest's user and group IDs (runAsUser, runAsGroup, fsGroup, supplementalGroups) are also
held to what the API server's validation of any pod or pod template allows, 0..2147483647
(IsValidUserID, IsValidGroupID): `runAsUser: 4294967296` or `-1` is refused as the API server
refuses the pod (`spec.securityContext.runAsUser: Invalid value: 4294967296: must be between 0
and 2147483647, inclusive`), where it was judged and met restricted (the checks look for 0;
4294967296 is 0 in a 32-bit UID). Not in the webhook's check: the API server validates a pod
before the validating webhooks see it, and PSP's review (psp/admission.py) reports an invalid
pod as upstream's validation words it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from typing import Any, NamedTuple

from podgate.k8s._shape_fits import fits as fits_pod
from podgate.k8s._shape_fits import fits_manifest
from podgate.k8s.gotext import go_json_float
from podgate.k8s.pod_validation import MAX_ID, id_errors

Schema = Any  # "str" | "bool" | an _INTEGERS key | dict[str, Schema] | [Schema] | ("map", Schema)


class _Integer(NamedTuple):
    """An integer field's Go type, its range and the Go struct holding it (upstream's message
    names the struct), and the range the API server's validation of a pod allows, when it
    allows less (`valid`)."""

    go_type: str
    low: int
    high: int
    struct: str
    valid: tuple[int, int] | None = None


_INT64, _INT32 = (-(2**63), 2**63 - 1), (-(2**31), 2**31 - 1)
_IDS = (0, MAX_ID)  # validation.IsValidUserID / IsValidGroupID
_INTEGERS = {
    "pod-id": _Integer("int64", *_INT64, "PodSecurityContext", _IDS),
    "container-id": _Integer("int64", *_INT64, "SecurityContext", _IDS),
    "port": _Integer("int32", *_INT32, "ContainerPort"),
}

_SE_LINUX: Schema = {"user": "str", "role": "str", "type": "str", "level": "str"}
_PROFILE: Schema = {"type": "str", "localhostProfile": "str"}
_WINDOWS: Schema = {"hostProcess": "bool", "runAsUserName": "str"}
_HANDLER: Schema = {
    "httpGet": {"host": "str"},
    "tcpSocket": {"host": "str"},
}
_CONTAINER: Schema = {
    "name": "str",
    "ports": [{"containerPort": "port", "hostPort": "port"}],
    "volumeMounts": [{"name": "str", "readOnly": "bool"}],
    "securityContext": {
        "privileged": "bool",
        "allowPrivilegeEscalation": "bool",
        "readOnlyRootFilesystem": "bool",
        "runAsUser": "container-id",
        "runAsGroup": "container-id",
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
            "runAsUser": "pod-id",
            "runAsGroup": "pod-id",
            "runAsNonRoot": "bool",
            "fsGroup": "pod-id",
            "supplementalGroups": ["pod-id"],
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

_NAMES = {"str": "a string", "bool": "a boolean (true or false)"}
_NAMES.update(dict.fromkeys(_INTEGERS, "an integer"))
_INDEX = re.compile(r"\[[^\]]*\]")
_DIGITS = re.compile(r"-?[0-9]+")


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
    if kind == "bool":
        return isinstance(value, bool)
    low, high = _INTEGERS[kind][1:3]
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _out_of_range(kind: str, value: Any, path: str, within: str) -> str | None:
    """Why a whole number does not fit integer field `kind`, in upstream's words (the field as
    Go names it: `within`, the object's path to the pod, then `path` without list indexes);
    None for anything else."""
    integer = _INTEGERS.get(kind)
    whole = isinstance(value, int) and not isinstance(value, bool)
    if integer is None or not (whole or (isinstance(value, float) and value.is_integer())):
        return None
    sent = str(value)  # what kubectl sends: a number past int64 it holds as a float64
    if not whole or not _INT64[0] <= value <= _INT64[1]:
        with suppress(OverflowError):  # (an int past float64: no decoder podgate uses makes one)
            sent = go_json_float(float(value))
    if _DIGITS.fullmatch(sent) and integer.low <= int(sent) <= integer.high:
        return None  # a whole float in range (`1000.0` in JSON): not a range error
    field = ".".join(part for part in (within, _INDEX.sub("", path)) if part)
    return (
        f"{path}: number {value if whole else sent} is beyond {integer.go_type}'s range, which "
        f"the API server refuses (json: cannot unmarshal number {sent} into Go struct field "
        f"{integer.struct}.{field} of type {integer.go_type})"
    )


def _as_sent(kind: str, value: Any) -> int | None:
    """The integer kubectl sends for a whole float in integer field `kind` (Go's float text of
    it, all digits, read back by the API server), when the field's Go type holds it; else
    None."""
    integer = _INTEGERS.get(kind)
    if integer is None or type(value) is not float or not value.is_integer():
        return None
    sent = go_json_float(value)
    if not _DIGITS.fullmatch(sent):
        return None  # `1e+21`: no integer
    whole = int(sent)
    return whole if integer.low <= whole <= integer.high else None


def _check(
    value: Any,
    schema: Schema,
    path: str,
    errors: list[str],
    within: str = "",
    manifest: bool = False,
) -> Any:
    """Append to `errors` what does not fit `schema` in `value`. Returns `value`, or with
    `manifest`, a whole float in an integer field as the integer kubectl sends (`_as_sent`),
    which the caller writes into its holder."""
    if value is None:
        return value
    if isinstance(schema, str):
        if not _ok(schema, value):
            whole = _as_sent(schema, value) if manifest else None
            if whole is None:
                beyond = _out_of_range(schema, value, path, within)
                errors.append(
                    beyond or f"{path}: expected {_NAMES[schema]}, got {_type_name(value)}"
                )
                return value
            value = whole
    elif isinstance(schema, dict):
        if not isinstance(value, Mapping):
            errors.append(f"{path}: expected a mapping, got {_type_name(value)}")
            return value
        for key, sub in schema.items():
            if key in value:
                item = value[key]
                at = f"{path}.{key}" if path else key
                got = _check(item, sub, at, errors, within, manifest)
                if got is not item:
                    _put(value, key, got, item, at, errors)
    elif isinstance(schema, list):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {_type_name(value)}")
            return value
        for i, item in enumerate(value):
            if item is None and isinstance(schema[0], dict):
                errors.append(f"{path}[{i}]: expected a mapping, got null")
                continue
            got = _check(item, schema[0], f"{path}[{i}]", errors, within, manifest)
            if got is not item:
                value[i] = got
    else:  # ("map", value schema)
        if not isinstance(value, Mapping):
            errors.append(f"{path}: expected a mapping, got {_type_name(value)}")
            return value
        changed = {}
        for key, item in value.items():
            got = _check(item, schema[1], f"{path}[{key}]", errors, within, manifest)
            if got is not item:
                changed[key] = (got, item)
        for key, (got, item) in changed.items():
            _put(value, key, got, item, f"{path}[{key}]", errors)
    return value


def _put(
    holder: Mapping[str, Any], key: str, value: int, was: Any, path: str, errors: list[str]
) -> None:
    """`holder[key] = value`, the integer kubectl sends for the whole float `was`; in a mapping
    that is not a dict (no decoder makes one), the float is refused instead."""
    if type(holder) is dict:
        holder[key] = value
    else:
        errors.append(f"{path}: expected an integer, got {_type_name(was)}")


def _emit(
    schema: Schema, var: str, lines: list[str], depth: int, names: list[int], valid: bool
) -> None:
    """Statements that `return False` when `var` does not fit `schema` (None always fits; with
    `valid`, an integer out of the range validation allows does not)."""
    pad = "    " * depth

    def fresh() -> str:
        names[0] += 1
        return f"v{names[0]}"

    if schema == "str":
        lines.append(f"{pad}if {var} is not None and not isinstance({var}, str): return False")
    elif isinstance(schema, str) and schema in _INTEGERS:
        _, low, high, _, allowed = _INTEGERS[schema]
        if valid and allowed is not None:
            low, high = allowed
        lines.append(
            f"{pad}if {var} is not None and (not isinstance({var}, int) "
            f"or isinstance({var}, bool) or not {low} <= {var} <= {high}): return False"
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
            _emit(sub, item, lines, depth + 1, names, valid)
    elif isinstance(schema, list):
        item = fresh()
        lines.append(f"{pad}if {var} is not None:")
        lines.append(f"{pad}    if not isinstance({var}, list): return False")
        lines.append(f"{pad}    for {item} in {var}:")
        if isinstance(schema[0], dict):  # a null list item is no object
            lines.append(f"{pad}        if {item} is None: return False")
        _emit(schema[0], item, lines, depth + 2, names, valid)
    else:  # ("map", value schema)
        item = fresh()
        lines.append(f"{pad}if {var} is not None:")
        lines.append(
            f"{pad}    if type({var}) is not dict and not isinstance({var}, Mapping): return False"
        )
        lines.append(f"{pad}    for {item} in {var}.values():")
        _emit(schema[1], item, lines, depth + 2, names, valid)


GENERATED = "_shape_fits.py"  # beside this module: `fits_source(POD)`, as written there


def fits_source(schema: Schema) -> str:
    """The module (`_shape_fits.py`) of two functions telling whether a value fits `schema`
    (None always does): `fits`, and `fits_manifest`, which also holds user and group IDs to
    the range validation allows (`_Integer.valid`). The fast path, straight-line code
    generated from the schema (a call per field would cost several times more); the messages
    come from `_check`, run only when it says no. Written once, not compiled at each start (50M
    instructions in each process that reads a file); tests/k8s/test_shape_generated.py holds
    the file to this."""
    lines = [
        '"""Generated from podgate.k8s.shape.POD by `python -m podgate.k8s.shape`: do not edit.',
        "",
        'Whether a pod fits the schema (`shape.fits_source`)."""',
        "",
        "from collections.abc import Mapping",
        "from typing import Any",
    ]
    for name, valid in (("fits", False), ("fits_manifest", True)):
        lines += ["", "", f"def {name}(v0: Any) -> bool:"]
        _emit(schema, "v0", lines, 1, [0], valid)
        lines.append("    return True")
    return "\n".join(lines) + "\n"


def pod_shape_errors(
    pod: Any, schema: Schema = POD, *, within: str = "", manifest: bool = False
) -> list[str]:
    """Field paths with the wrong JSON type, as `spec.containers[0].securityContext.runAsUser:
    expected an integer, got string 'root'`, or a number its Go type does not hold. Empty when
    the pod is well formed. `within`: where the object holds `pod` (e.g. "spec.template", for
    upstream's name of a field). `manifest`: the pod is read from a file, as kubectl sends it:
    a whole float in an integer field is replaced in `pod` by the integer kubectl sends
    (`1000.0` by `1000`), and a user or group ID outside 0..2147483647 is refused in the words
    of the API server's validation (the module's docstring)."""
    errors: list[str] = []
    if not isinstance(pod, Mapping):
        return [f"expected a mapping, got {_type_name(pod)}"]
    if not isinstance(pod.get("spec"), Mapping):
        return ["spec: a pod needs a spec mapping"]
    if schema is POD and (fits_manifest if manifest else fits_pod)(pod):
        return errors
    _check(pod, schema, "", errors, within, manifest)
    if manifest and not errors and schema is POD:
        errors = [str(e) for e in id_errors(pod["spec"])]
    return errors


if __name__ == "__main__":  # the generated module, written again (`fits_source`)
    from pathlib import Path

    Path(__file__).with_name(GENERATED).write_text(fits_source(POD))
