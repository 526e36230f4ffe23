"""What the built-in checks read of a pod (`ALWAYS_KEYED`, and `READS` per screen bit), as one
key: two pods with equal keys get equal violations (faults included) from every built-in check,
at every level and version, so the registry can remember the violations of a pod shape (the
replicas of one template, a webhook seeing the same Deployment again) and answer the next pod
of that shape with one lookup.

The key is `marshal.dumps` of a list that holds, as they are in the pod, every field
`ALWAYS_KEYED` and `READS` name: the `annotations` a check can read (keys starting `container.`
or `seccomp.`: AppArmor and seccomp annotations), `hostNetwork`, `hostPID`, `hostIPC`, the
volumes that are not plainly allowed, the pod's `securityContext`, `os`, `hostUsers`, and for
each container of the three lists, in order: its `name`, `securityContext`, its `ports` when
one may set a host port, and its probes and `lifecycle` when one may name a host. What is left
out is only what no check can report: a volume with no `hostPath` and an allowed source set as
an object, ports without a host port, probes and lifecycle handlers without a host, other
annotations, other fields.

Guards (tests/pss/test_pss_reads.py): a recording run of every revision of every check on the
conformance fixtures and generated pods fails if a check reads a field neither `ALWAYS_KEYED`
nor its bit's `READS` names; changing any field they name changes the key; and every check
gives the same result on the pod the key describes (`as_pod`) as on the pod itself.

marshal writes each value with its exact type (true, 1 and 1.0 differ; a list is not a
tuple; a `dict` subclass or any other type is refused) and each mapping in its order, and
`marshal.loads` gives back one value for one key, so equal keys are equal values. (Format 4
writes an object shared within the pod once and refers to it after, so one shape can have
two keys: that costs only a second evaluation. It writes ASCII strings without encoding
them, which makes it cheaper than format 2 here.)

Shapes outside plain decoded JSON (a metadata, spec or container list that is not an object
or list, a container that is not an object, a value marshal refuses) get no key: those pods
are always evaluated afresh.
"""

from __future__ import annotations

import marshal
from typing import Any, Final

from podgate.k8s import Obj
from podgate.pss.checks.restricted_volumes import ALLOWED_SOURCES
from podgate.pss.screen import (
    ALLOW_PRIVILEGE_ESCALATION,
    APP_ARMOR,
    CAPABILITIES_BASELINE,
    CAPABILITIES_RESTRICTED,
    HOST_NAMESPACES,
    HOST_PATH_VOLUMES,
    HOST_PORTS,
    HOST_PROBES,
    PRIVILEGED,
    PROC_MOUNT,
    RESTRICTED_VOLUMES,
    RUN_AS_NON_ROOT,
    RUN_AS_USER,
    SE_LINUX,
    SECCOMP_BASELINE,
    SECCOMP_RESTRICTED,
    SYSCTLS,
    WINDOWS_HOST_PROCESS,
)

__all__ = ["ALWAYS_KEYED", "MAX_KEY", "READS", "as_pod", "key"]

MAX_KEY: Final = 16384
"""Longer keys are not made (a pod that large is evaluated afresh, not remembered)."""

ALWAYS_KEYED: Final = frozenset(
    {
        "spec.securityContext",
        "spec.os",
        "spec.hostUsers",
        "container.name",
        "container.securityContext",
    }
)
"""The fields every check may read: every key holds them."""

READS: Final[dict[int, frozenset[str]]] = {
    HOST_NAMESPACES: frozenset({"spec.hostNetwork", "spec.hostPID", "spec.hostIPC"}),
    HOST_PATH_VOLUMES: frozenset({"spec.volumes"}),
    RESTRICTED_VOLUMES: frozenset({"spec.volumes"}),
    SYSCTLS: frozenset(),
    SE_LINUX: frozenset(),
    APP_ARMOR: frozenset({"meta.annotations"}),
    SECCOMP_BASELINE: frozenset({"meta.annotations"}),
    SECCOMP_RESTRICTED: frozenset(),
    RUN_AS_NON_ROOT: frozenset(),
    RUN_AS_USER: frozenset(),
    WINDOWS_HOST_PROCESS: frozenset(),
    PRIVILEGED: frozenset(),
    ALLOW_PRIVILEGE_ESCALATION: frozenset(),
    CAPABILITIES_BASELINE: frozenset(),
    CAPABILITIES_RESTRICTED: frozenset(),
    PROC_MOUNT: frozenset(),
    HOST_PORTS: frozenset({"container.ports"}),
    HOST_PROBES: frozenset(
        {
            "container.livenessProbe",
            "container.readinessProbe",
            "container.startupProbe",
            "container.lifecycle",
        }
    ),
}
"""For each screen bit, what its checks (every revision) may read beyond `ALWAYS_KEYED`:
`meta.X` and `spec.X` of the pod, `container.X` of each container, each with everything below
it. The key holds them all, cut down to what a check can report (`_read_annotations`,
`_read_volumes`, `_read_ports`, `_read_hosts`)."""

_ALLOWED_SOURCES: Final = frozenset(ALLOWED_SOURCES)
_ANNOTATION_PREFIXES: Final = ("container.", "seccomp.")
_STR: Final = frozenset({str})
_NO_HOST: Final = (None, "")
_LISTS: Final = ("initContainers", "containers", "ephemeralContainers")
_PROBES: Final = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS: Final = (*_PROBES, "lifecycle")


def key(meta: Obj, spec: Obj) -> bytes | None:
    """The key of the pod `(meta, spec)`, or None when it has none (see the module).

    The helpers below (`_read_annotations`, `_read_volumes`, `_read_ports`, `_read_hosts`) say
    what is kept; here their usual cases are tested inline first (a Python call costs about as
    much as a dozen field reads): annotations without a key under either prefix, volumes with
    an allowed source and no hostPath, no ports, probes without a host. Whatever does not
    match goes through the helper, so the key is the same (guard: tests/pss/test_pss_reads.py,
    `reference_key`)."""
    if type(meta) is not dict or type(spec) is not dict:
        return None
    annotations = meta.get("annotations")
    if type(annotations) is dict:
        if {*map(type, annotations)} <= _STR:
            names = "\n".join(annotations)
            # each key follows a newline but the first: a key starting with a prefix is found
            # (a newline inside a key may find one that is not: the helper then decides)
            if (
                names.startswith(_ANNOTATION_PREFIXES)
                or "\ncontainer." in names
                or "\nseccomp." in names
            ):
                annotations = _read_annotations(annotations)
            else:
                annotations = None
        else:
            annotations = _read_annotations(annotations)
    volumes = spec.get("volumes")
    if type(volumes) is list:
        for volume in volumes:
            if type(volume) is not dict or (
                "hostPath" in volume and volume["hostPath"] is not None
            ):
                break
            for name in volume:
                if name in _ALLOWED_SOURCES and type(volume[name]) is dict:
                    break
            else:
                break
        else:
            volumes = None  # every volume left out (none kept)
        if volumes is not None:
            volumes = _read_volumes(volumes)
    read: list[Any] = [
        annotations,
        spec.get("hostNetwork"),
        spec.get("hostPID"),
        spec.get("hostIPC"),
        volumes,
        spec.get("securityContext"),
        spec.get("os"),
        spec.get("hostUsers"),
    ]
    for list_name in _LISTS:
        found = spec.get(list_name)
        if found is None:
            read.append(None)
            continue
        if type(found) is not list:
            return None
        out = []
        for c in found:
            if type(c) is not dict:
                return None
            ports = c.get("ports")
            if ports is not None:
                if type(ports) is list:
                    for port in ports:
                        if type(port) is not dict or "hostPort" in port:
                            ports = _read_ports(ports)
                            break
                    else:
                        ports = None
                else:
                    ports = _read_ports(ports)
            hosts = None
            for handler in _PROBES:
                if handler in c:
                    probe = c[handler]
                    if probe is None:
                        continue
                    if type(probe) is dict:
                        if "httpGet" in probe:
                            action = probe["httpGet"]
                            if type(action) is dict and "host" not in action:
                                if "tcpSocket" not in probe:
                                    continue
                            elif action is None and "tcpSocket" not in probe:
                                continue
                        elif "tcpSocket" in probe:
                            action = probe["tcpSocket"]
                            if action is None or (type(action) is dict and "host" not in action):
                                continue
                        else:
                            continue  # neither action (exec, grpc): no host
                    hosts = _read_hosts(c)
                    break
            else:
                if "lifecycle" in c:
                    hosts = _read_hosts(c)
            out.append((c.get("name"), c.get("securityContext"), ports, hosts))
        read.append(out)
    try:
        made = marshal.dumps(read)
    except ValueError:
        return None
    return made if len(made) <= MAX_KEY else None


def _read_annotations(annotations: dict[Any, Any]) -> Any:
    """The annotations a check can read: those under the AppArmor and seccomp prefixes (None
    when there are none), or all of them if a key is not a string."""
    kept: dict[str, Any] | None = None
    for name, value in annotations.items():
        if type(name) is not str:
            return annotations
        if name.startswith(_ANNOTATION_PREFIXES):
            if kept is None:
                kept = {}
            kept[name] = value
    return kept


def _read_volumes(volumes: list[Any]) -> list[Any] | None:
    """The volumes either volume check may report, in order (None when there are none): all
    but those with no hostPath and an allowed source set as an object."""
    kept: list[Any] | None = None
    for volume in volumes:
        if type(volume) is dict and volume.get("hostPath") is None:
            for name in volume:
                if name in _ALLOWED_SOURCES and type(volume[name]) is dict:
                    break
            else:
                if kept is None:
                    kept = []
                kept.append(volume)
            continue
        if kept is None:
            kept = []
        kept.append(volume)
    return kept


def _read_ports(ports: Any) -> Any:
    """A container's ports when one may set a host port, else None."""
    if type(ports) is not list:
        return ports
    for port in ports:
        if type(port) is not dict:
            return ports
        host = port.get("hostPort")
        if host is not None and not (type(host) is int and host == 0):
            return ports
    return None


def _read_handler(handler: Any) -> Any:
    """A probe or lifecycle handler when it may name a host, else None."""
    if handler is None:
        return None
    if type(handler) is dict:
        action = handler.get("httpGet")
        if action is None or (type(action) is dict and action.get("host") in _NO_HOST):
            action = handler.get("tcpSocket")
            if action is None or (type(action) is dict and action.get("host") in _NO_HOST):
                return None
    return handler


def _read_hosts(c: dict[str, Any]) -> Any:
    """A container's probes and lifecycle when one may name a host, else None."""
    probe = c.get("livenessProbe")
    liveness = None if probe is None else _read_handler(probe)
    probe = c.get("readinessProbe")
    readiness = None if probe is None else _read_handler(probe)
    probe = c.get("startupProbe")
    startup = None if probe is None else _read_handler(probe)
    lifecycle = c.get("lifecycle")
    if lifecycle is not None:
        lifecycle = _read_lifecycle(lifecycle)
    if liveness is None and readiness is None and startup is None and lifecycle is None:
        return None
    return liveness, readiness, startup, lifecycle


def _read_lifecycle(lifecycle: Any) -> Any:
    """A container's lifecycle when a handler may name a host, else None."""
    if type(lifecycle) is not dict:
        return lifecycle
    if (
        _read_handler(lifecycle.get("postStart")) is None
        and _read_handler(lifecycle.get("preStop")) is None
    ):
        return None
    return lifecycle


def as_pod(made: bytes) -> tuple[Obj, Obj]:
    """The pod `(meta, spec)` the checks see through the key `made`."""
    read = marshal.loads(made)
    annotations, host_network, host_pid, host_ipc, volumes, psc, os, host_users = read[:8]
    meta = {} if annotations is None else {"annotations": annotations}
    spec: dict[str, Any] = {
        "hostNetwork": host_network,
        "hostPID": host_pid,
        "hostIPC": host_ipc,
        "volumes": volumes,
        "securityContext": psc,
        "os": os,
        "hostUsers": host_users,
    }
    for list_name, found in zip(_LISTS, read[8:], strict=True):
        if found is None:
            continue
        spec[list_name] = [
            {
                "name": name,
                "securityContext": sc,
                "ports": ports,
                **dict(zip(_HANDLERS, hosts or (None,) * 4, strict=True)),
            }
            for name, sc, ports, hosts in found
        ]
    return meta, spec
