"""Objects kept packed until they are needed, so that a large snapshot's objects never all
exist at once (io/snapshot.py packs its Pods and workloads; scan/packed.py unpacks each when
it is judged).

A packed object is `marshal` bytes of the whole object (`Packed.data`: about a sixth of the
memory of its Python objects), beside two small dicts that say what the steps before and after
judging read of it (`head`: kind, apiVersion and the metadata that tells objects apart and
names their owner; `spec`: the service account of its pod spec). marshal writes each value
with its type (true, 1 and 1.0 stay apart) and each mapping in its order, so what is unpacked
equals what was packed.
"""

from __future__ import annotations

import marshal
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from podgate.k8s.defaults import Defaulted
from podgate.k8s.objects import Obj, PodSource
from podgate.k8s.source import Document, Source

__all__ = ["Packed", "PackedDocument", "Shared", "pack"]

# what is kept unpacked of an object's metadata: its identity (kind, namespace, name) as the
# scan and the loader tell objects apart, its uid and owners (folding), nothing more
_HEAD_META = ("name", "generateName", "namespace", "uid", "ownerReferences")
_SPEC_KEPT = ("serviceAccountName", "serviceAccount")  # Workload.service_account


@dataclass(frozen=True, slots=True)
class Packed:
    """An object packed (`data`), with what is read of it while it is packed."""

    data: bytes
    head: Obj  # apiVersion, kind, and the metadata fields of _HEAD_META that it has
    spec: Obj  # the pod (template) spec's service account fields, when it has them
    prepared: bool | None  # as io.prepare leaves it, with defaults (True) or without; None: not

    def unpack(self) -> Any:
        """The object, as packed."""
        return marshal.loads(self.data)


class PackedDocument(Document):
    """A document whose object is packed: `obj` is the packed object's `head`, `pod` says where
    its pod spec is (with `meta` empty and `spec` the service account fields), `body` holds
    the whole object."""

    __slots__ = ("body",)
    body: Packed

    def whole(self) -> Document:
        """The document with its whole object."""
        return Document(self.body.unpack(), self.source, self.defaulted)


class Shared:
    """Equal values of the heads of one input made one object (the namespace, owner references
    and service account shared by the replicas of a workload): heads, like every object read,
    are never changed. Two values are one only when marshal writes them alike: same types,
    same order."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str | bytes, Any] = {}

    def one(self, value: Any) -> Any:
        """The first value read equal to `value` (itself if it is the first)."""
        if type(value) is str:
            return self._seen.setdefault(value, value)
        try:
            key = marshal.dumps(value, 2)
        except ValueError:  # not marshallable: not shared
            return value
        return self._seen.setdefault(key, value)


_SHARED = ("apiVersion", "kind", "namespace", "generateName", "ownerReferences")
_NO_META: Obj = {}


def pack(
    obj: Obj,
    found: PodSource,
    source: Source | None,
    defaulted: tuple[Defaulted, ...],
    prepared: bool | None = None,
    shared: Shared | None = None,
) -> PackedDocument:
    """`obj` (a Pod or workload whose pod spec `found` locates) as a packed document
    (`prepared`: see `Packed`; `shared`: the values shared with the heads packed before)."""
    data = marshal.dumps(obj, 4)  # type: ignore[arg-type]  # Obj: what a decoder made
    one = shared.one if shared is not None else _itself
    head: dict[str, Any] = {k: obj[k] for k in ("apiVersion", "kind", "metadata") if k in obj}
    meta = head.get("metadata")
    if isinstance(meta, Mapping):
        head["metadata"] = {
            k: one(meta[k]) if k in _SHARED else meta[k] for k in _HEAD_META if k in meta
        }
    for k in ("apiVersion", "kind"):
        if k in head:
            head[k] = one(head[k])
    spec = one({k: found.spec[k] for k in _SPEC_KEPT if k in found.spec})
    body = Packed(data, head, spec, prepared)
    doc = PackedDocument(head, source, defaulted)
    light = replace(found, meta=_NO_META, spec=spec)
    object.__setattr__(doc, "_pod", light)
    object.__setattr__(doc, "body", body)
    return doc


def _itself(value: Any) -> Any:
    return value
