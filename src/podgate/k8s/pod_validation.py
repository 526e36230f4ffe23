"""The API server's validation of a new Pod, where it can refuse a pod that admission changed.

After mutating admission and PrepareForCreate, the API server validates the pod
(`ValidatePodCreate`, pkg/apis/core/validation) before validating admission runs; a pod that
fails is refused with `Pod "<name>" is invalid: ...` and never reaches the validating phase.
PodSecurityPolicy's mutation can make a valid pod invalid, so PSP admission is checked against
the parts of that validation its changes can break (Kubernetes 1.21-1.24):

* `ValidateSecurityContext`, per container (`containers` before `initContainers`):
  runAsUser and runAsGroup within 0..2147483647; with allowPrivilegeEscalation false, neither
  privileged true (`cannot set `allowPrivilegeEscalation` to false and `privileged` to true`)
  nor the literal capability `CAP_SYS_ADMIN` in capabilities.add. The value of those two
  errors is the whole internal SecurityContext, printed with Go's `%#v` (apimachinery's
  fallback for structs): each field a pointer, nil or an address. Addresses differ on every
  request; podgate writes every non-nil one as `0xc000000000`.
* `ValidatePodSecurityContext` (after the containers): fsGroup, runAsUser, runAsGroup and each
  supplementalGroups entry within 0..2147483647 (a policy's ID ranges may go beyond it).

Not covered: validation PSP cannot trip (names, images, ports ...) and the Windows-only rules
(spec.os.name: windows, IdentifyPodOS, beta from 1.24).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from podgate.k8s.field import FieldError, FieldPath, invalid, invalid_rendered
from podgate.k8s.gotext import go_quote
from podgate.k8s.objects import Obj
from podgate.k8s.prepare import SECCOMP_CONTAINER_PREFIX, SECCOMP_POD_KEY

MAX_ID = 2147483647
ID_RANGE = f"must be between 0 and {MAX_ID}, inclusive"
PRIVILEGED_CONFLICT = "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"
SYS_ADMIN_CONFLICT = (
    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"
)
ADDRESS = "0xc000000000"

# core.SecurityContext's fields in declaration order (1.19-1.29) and their Go pointer types
_SC_FIELDS = (
    ("Capabilities", "capabilities", "*core.Capabilities"),
    ("Privileged", "privileged", "*bool"),
    ("SELinuxOptions", "seLinuxOptions", "*core.SELinuxOptions"),
    ("WindowsOptions", "windowsOptions", "*core.WindowsSecurityContextOptions"),
    ("RunAsUser", "runAsUser", "*int64"),
    ("RunAsGroup", "runAsGroup", "*int64"),
    ("RunAsNonRoot", "runAsNonRoot", "*bool"),
    ("ReadOnlyRootFilesystem", "readOnlyRootFilesystem", "*bool"),
    ("AllowPrivilegeEscalation", "allowPrivilegeEscalation", "*bool"),
    ("ProcMount", "procMount", "*core.ProcMountType"),
    ("SeccompProfile", "seccompProfile", "*core.SeccompProfile"),
)


def security_context_value(sc: Mapping[str, Any]) -> str:
    """`%#v` of the internal core.SecurityContext decoded from `sc`."""
    parts = (
        f"{name}:({go_type})({'nil' if sc.get(key) is None else ADDRESS})"
        for name, key, go_type in _SC_FIELDS
    )
    return "core.SecurityContext{" + ", ".join(parts) + "}"


def _container_id_errors(sc: Mapping[str, Any], at: FieldPath) -> Iterator[FieldError]:
    for key in ("runAsUser", "runAsGroup"):
        value = sc.get(key)
        if _out_of_range(value):
            yield invalid((*at, key), value, ID_RANGE)


def _container_errors(sc: Mapping[str, Any], at: FieldPath) -> Iterator[FieldError]:
    yield from _container_id_errors(sc, at)
    if sc.get("allowPrivilegeEscalation") is not False:
        return
    if sc.get("privileged") is True:
        yield invalid_rendered(at, security_context_value(sc), PRIVILEGED_CONFLICT)
    caps = sc.get("capabilities")
    add = caps.get("add") if isinstance(caps, Mapping) else None
    for cap in add if isinstance(add, list) else ():
        if cap == "CAP_SYS_ADMIN":
            yield invalid_rendered(at, security_context_value(sc), SYS_ADMIN_CONFLICT)


def _pod_errors(psc: Mapping[str, Any]) -> list[FieldError]:
    at = ("spec", "securityContext")
    errors = [
        invalid((*at, key), psc[key], ID_RANGE)
        for key in ("fsGroup", "runAsUser", "runAsGroup")
        if _out_of_range(psc.get(key))
    ]
    groups = psc.get("supplementalGroups")
    if type(groups) is list:
        errors.extend(
            invalid((*at, "supplementalGroups", i), gid, ID_RANGE)
            for i, gid in enumerate(groups)
            if _out_of_range(gid)
        )
    return errors


def _out_of_range(value: Any) -> bool:
    return type(value) is int and not 0 <= value <= MAX_ID


def _clean(sc: Mapping[str, Any]) -> bool:
    """Whether a container's securityContext passes the checks of `_container_errors` (most
    do): they are then not run. A property test holds it to `_container_errors` itself."""
    value = sc.get("runAsUser")
    if type(value) is int and not 0 <= value <= MAX_ID:
        return False
    value = sc.get("runAsGroup")
    if type(value) is int and not 0 <= value <= MAX_ID:
        return False
    if sc.get("allowPrivilegeEscalation") is not False:
        return True
    if sc.get("privileged") is True:
        return False
    caps = sc.get("capabilities")
    if caps is None:
        return True
    add = caps.get("add") if type(caps) is dict or isinstance(caps, Mapping) else None
    return type(add) is not list or "CAP_SYS_ADMIN" not in add


def _pod_clean(psc: Mapping[str, Any]) -> bool:
    """Whether a pod's securityContext passes the checks of `_pod_errors` (a fast path, held
    to it by a property test)."""
    for key in ("fsGroup", "runAsUser", "runAsGroup"):
        value = psc.get(key)
        if type(value) is int and not 0 <= value <= MAX_ID:
            return False
    groups = psc.get("supplementalGroups")
    if type(groups) is list:
        for gid in groups:
            if type(gid) is int and not 0 <= gid <= MAX_ID:
                return False
    return True


def pod_create_errors(pod: Obj) -> tuple[FieldError, ...]:
    """The errors of ValidatePodCreate that PSP's changes can cause, in upstream's order."""
    spec = pod.get("spec")
    if type(spec) is not dict and not isinstance(spec, Mapping):
        return ()
    errors: list[FieldError] = []
    for list_name in ("containers", "initContainers"):
        items = spec.get(list_name)
        if type(items) is not list:
            continue
        for i, c in enumerate(items):
            # decoded JSON is dicts: `type(...) is dict` first spares the ABC check
            sc = c.get("securityContext") if type(c) is dict or isinstance(c, Mapping) else None
            if sc is not None and (type(sc) is dict or isinstance(sc, Mapping)) and not _clean(sc):
                errors.extend(_container_errors(sc, ("spec", list_name, i, "securityContext")))
    psc = spec.get("securityContext")
    if psc is not None and (type(psc) is dict or isinstance(psc, Mapping)) and not _pod_clean(psc):
        errors.extend(_pod_errors(psc))
    return tuple(errors) if errors else ()


_PREPARED_LISTS = (("initContainers", True), ("containers", True), ("ephemeralContainers", False))


def settled_for_psp(pod: Obj) -> bool:
    """Whether `pod` is a pod PrepareForCreate of PSP's release (1.24: the seccomp sync both
    ways, no AppArmor) leaves as it is, and `pod_create_errors` finds valid: `True` only when
    both are sure, read in one pass (PSP admission asks it of every admitted pod, and most
    are); `False` leaves the answer to `prepare_for_create` and `pod_create_errors`. Each pair
    of the sync is settled when its annotation and its field are both there or both absent
    (only one of them is what the sync copies); a property test holds this to the two."""
    spec = pod.get("spec")
    if type(spec) is not dict or pod.get("kind") not in (None, "Pod"):
        return False
    meta = pod.get("metadata")
    annotations = meta.get("annotations") if type(meta) is dict else None
    if type(annotations) is not dict:
        if annotations is not None or (meta is not None and type(meta) is not dict):
            return False
        annotations = _NO_ANNOTATIONS
    psc = spec.get("securityContext")
    if psc is not None:
        if type(psc) is not dict or not _pod_clean(psc):
            return False
        if (SECCOMP_POD_KEY in annotations) is (psc.get("seccompProfile") is None):
            return False
    elif SECCOMP_POD_KEY in annotations:
        return False
    for list_name, validated in _PREPARED_LISTS:
        items = spec.get(list_name)
        if items is None:
            continue
        if type(items) is not list:
            return False
        for c in items:
            if type(c) is not dict:
                return False
            sc = c.get("securityContext")
            if sc is None:
                profile = None
            elif type(sc) is not dict or (validated and not _clean(sc)):
                return False
            else:
                profile = sc.get("seccompProfile")
            name = c.get("name")
            if type(name) is not str:
                return False
            if (SECCOMP_CONTAINER_PREFIX + name in annotations) is (profile is None):
                return False
    return True


_NO_ANNOTATIONS: Obj = {}


def id_errors(spec: Mapping[str, Any]) -> list[FieldError]:
    """The user and group IDs of a pod spec outside 0..2147483647, which the API server's
    validation of any pod or pod template refuses (validatePodSpecSecurityContext and
    ValidateSecurityContext: IsValidUserID, IsValidGroupID), in the order ValidatePodSpec finds
    them: each container's (containers, initContainers, ephemeralContainers), then the pod's.
    Integers only (the shape check has refused any other type)."""
    errors: list[FieldError] = []
    for list_name in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(list_name)
        for i, c in enumerate(items if type(items) is list else ()):
            sc = c.get("securityContext") if isinstance(c, Mapping) else None
            if isinstance(sc, Mapping):
                errors.extend(_container_id_errors(sc, ("spec", list_name, i, "securityContext")))
    psc = spec.get("securityContext")
    if isinstance(psc, Mapping):
        errors.extend(_pod_errors(psc))
    return errors


def invalid_message(pod: Obj, errors: tuple[FieldError, ...]) -> str:
    """The API server's refusal: `Pod "<name>" is invalid: <error>` (errors.NewInvalid), several
    errors as `[e1, e2]`, repeated messages once (ErrorList.ToAggregate)."""
    meta = pod.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if not isinstance(name, str) or not name:
        generate = meta.get("generateName") if isinstance(meta, Mapping) else None
        name = generate if isinstance(generate, str) else ""
    texts = list(dict.fromkeys(str(e) for e in errors))
    body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return f"Pod {go_quote(name)} is invalid: {body}"
