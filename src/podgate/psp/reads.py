"""What a PodSecurityPolicy review of a CREATE reads of the pod, as one key: two pods with equal
keys, reviewed by one policy set for requesters the authorizer answers alike, get the same
decision but for what is each pod's own (the object, its patch, the name in a message), which
psp/memo.py makes again from the pod itself.

The key is `marshal.dumps` of a list holding, as they are in the pod: `kind`; whether there
is a `metadata` and an `annotations` in it; the annotations a review can read (keys starting
`container.` or `seccomp.`: the seccomp and AppArmor ones; `kubernetes.io/psp` is read only
where the memo works the decision out afresh); `hostNetwork`, `hostPID`, `hostIPC`,
`runtimeClassName` and `securityContext` of the spec; for each volume its FSType (the first
source set, as every view reads it), with its `name` when it is a hostPath or has no source,
and the source itself when it is a hostPath, flexVolume or csi; and for each container of
the three lists, in order: its `name`, its `securityContext`, the `hostPort` of each of its
`ports`, and the `name` and `readOnly` of its `volumeMounts` when the pod has a hostPath
volume (only then does a policy look at them). `READS` names them as recorded field paths.

Left out, because no strategy, PrepareForCreate or the API server's validation of an admitted
pod reads them: the pod's name, labels, owners and other metadata, every other annotation,
the volumes' and mounts' other fields, images, commands, env, resources, probes ... The
requester (the pod's service account, the user) is left out too: the memo keys by the
authorizer's answers for them instead.

Guards (tests/psp/test_psp_reads.py): a recording review of generated pods and of every PSP
conformance case fails if the review reads a field `READS` does not name (outside the code the
memo runs again on every pod); changing any field named changes the key; and the memo's
decision equals a fresh review's, field by field, on pods that differ in what is left out.

marshal's format 2 writes each value with its exact type (true, 1 and 1.0 differ; a list is
not a tuple) and each mapping in its order, and no references to objects written before (the
later formats do, as an object's reference count happens to be, so one shape could get many
keys): equal keys are equal values, and equal values equal keys.

Shapes outside plain decoded JSON (a metadata, annotations, spec, container list, container,
volume, port or mount of another type, an annotation key that is not a string, a value
marshal refuses) and keys over `MAX_KEY` bytes get no key: those pods are always reviewed
afresh."""

from __future__ import annotations

import marshal
from typing import Any, Final

from podgate.k8s import Obj
from podgate.psp.strategies._sources import fs_type

__all__ = ["ANNOTATION_PREFIXES", "MAX_KEY", "READS", "key"]

MAX_KEY: Final = 8192
"""Longer keys are not made (such a pod is reviewed afresh, not remembered)."""

ANNOTATION_PREFIXES: Final = ("container.", "seccomp.")
"""The annotations a review reads start so (`seccomp.security.alpha.kubernetes.io/pod`,
`container.seccomp.security.alpha.kubernetes.io/<name>`,
`container.apparmor.security.beta.kubernetes.io/<name>`); the key holds every one that does."""

READS: Final = frozenset(
    {
        "kind",
        "metadata",
        "metadata.annotations",
        "spec",
        "spec.hostNetwork",
        "spec.hostPID",
        "spec.hostIPC",
        "spec.runtimeClassName",
        "spec.securityContext",
        "spec.volumes",
        "spec.initContainers",
        "spec.containers",
        "spec.ephemeralContainers",
        "container.name",
        "container.securityContext",
        "container.ports",
        "port.hostPort",
        "volume.<source>",
        "volume.name (hostPath or no source)",
        "volume.hostPath",
        "volume.flexVolume",
        "volume.csi",
        "container.volumeMounts (with a hostPath volume)",
        "mount.name (with a hostPath volume)",
        "mount.readOnly (with a hostPath volume)",
        "annotation <prefix>*",
        "spec.serviceAccountName (through the authorizer's answers)",
    }
)
"""What the key holds, as the recording test names the reads (`container.X` of each
container, `volume.X` of each volume, `port.X`, `mount.X`); each with everything below it."""

_LISTS: Final = ("initContainers", "containers", "ephemeralContainers")
_LOOKED_INTO: Final = ("flexVolume", "csi")
_PORT: Final = ("hostPort",)
_MOUNT: Final = ("name", "readOnly")
_ABSENT: Final = 0  # in the key: metadata or annotations not there at all (None: null)


def key(pod: Obj) -> bytes | None:
    """The key of `pod`, or None when it has none (see the module)."""
    meta = pod.get("metadata", _ABSENT)
    annotations: Any = _ABSENT
    if meta is not _ABSENT and meta is not None:
        if type(meta) is not dict:
            return None
        annotations = meta.get("annotations", _ABSENT)
        if annotations is not _ABSENT and annotations is not None:
            if type(annotations) is not dict:
                return None
            annotations = _read_annotations(annotations)
            if annotations is None:
                return None
    spec = pod.get("spec")
    if type(spec) is not dict:
        return None
    volumes = spec.get("volumes")
    host_path = False
    if volumes is not None:
        if type(volumes) is not list:
            return None
        read_volumes: list[Any] = []
        for volume in volumes:
            if type(volume) is not dict:
                return None
            kind = fs_type(volume)
            if kind == "hostPath":
                host_path = True
                read_volumes.append((kind, volume.get("name"), volume[kind]))
            elif kind in _LOOKED_INTO:
                read_volumes.append((kind, volume[kind]))
            elif kind:
                read_volumes.append(kind)
            else:
                read_volumes.append((kind, volume.get("name")))
        volumes = read_volumes
    read: list[Any] = [
        pod.get("kind"),
        meta is _ABSENT,
        meta is None,
        annotations,
        spec.get("hostNetwork"),
        spec.get("hostPID"),
        spec.get("hostIPC"),
        spec.get("runtimeClassName"),
        spec.get("securityContext"),
        volumes,
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
            if ports is not None and (ports := _read_each(ports, _PORT)) is None:
                return None
            mounts = c.get("volumeMounts") if host_path else None
            if mounts is not None and (mounts := _read_each(mounts, _MOUNT)) is None:
                return None
            out.append((c.get("name"), c.get("securityContext"), ports, mounts))
        read.append(out)
    try:
        made = marshal.dumps(read, 2)
    except ValueError:
        return None
    return made if len(made) <= MAX_KEY else None


def _read_annotations(annotations: dict[Any, Any]) -> dict[str, Any] | None:
    """The annotations a review can read (see `ANNOTATION_PREFIXES`), None when a key is not a
    string."""
    kept: dict[str, Any] = {}
    for name, value in annotations.items():
        if type(name) is not str:
            return None
        if name.startswith(ANNOTATION_PREFIXES):
            kept[name] = value
    return kept


def _read_each(items: Any, fields: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
    """The `fields` of each object in a container's list (its ports, its volume mounts), in
    order; None when it is not a list of objects (a shape the key does not describe)."""
    if type(items) is not list:
        return None
    read = []
    for item in items:
        if type(item) is not dict:
            return None
        read.append(tuple([item.get(name) for name in fields]))
    return read
