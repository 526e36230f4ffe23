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
from dataclasses import dataclass
from typing import Any

from podgate.k8s.defaults import Defaulted
from podgate.k8s.fold import fold_digest
from podgate.k8s.objects import Obj, PodSource
from podgate.k8s.source import Document, Source

__all__ = ["Packed", "PackedDocument", "Sent", "Shared", "pack", "received", "sent"]

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
    fold: bytes  # `k8s.fold.fold_digest` of the object's pod (template): its verdict, told apart

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

    def adopt(self, value: Any, same: dict[int, tuple[Any, Any]]) -> Any:
        """`one(value)`, for a value of one `marshal.loads`, remembered in `same` (by its id,
        with the value, kept alive so that no other object takes its id): marshal keeps a value
        written several times one object, so what one replica's head gives is made one once."""
        if type(value) is str:
            return self._seen.setdefault(value, value)
        made = same.get(id(value))
        if made is None:
            made = same[id(value)] = (value, self.one(value))
        return made[1]


_SHARED = ("apiVersion", "kind", "namespace", "generateName", "ownerReferences")
_SHARED_META = tuple(k for k in _HEAD_META if k in _SHARED)
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
    fold = fold_digest(found.meta, found.spec)
    if fold is None:  # (marshal wrote the whole object: it writes any part of it)
        raise ValueError("a packed object whose pod marshal cannot write")
    head = {k: obj[k] for k in ("apiVersion", "kind", "metadata") if k in obj}
    spec = {k: found.spec[k] for k in _SPEC_KEPT if k in found.spec}
    return _document(data, head, spec, found, source, defaulted, prepared, fold, shared)


def _document(
    data: bytes,
    head: dict[str, Any],
    spec: Obj,
    found: PodSource,
    source: Source | None,
    defaulted: tuple[Defaulted, ...],
    prepared: bool | None,
    fold: bytes,
    shared: Shared | None,
) -> PackedDocument:
    """The packed document of `data`, with `head` (the object's apiVersion, kind and metadata:
    only the metadata fields of _HEAD_META are kept) and `spec` (the service account fields)
    made of the values `shared` holds. `head` is a new dict of the caller's, changed here."""
    one = shared.one if shared is not None else _itself
    meta = head.get("metadata")
    if isinstance(meta, Mapping):
        head["metadata"] = {
            k: one(meta[k]) if k in _SHARED else meta[k] for k in _HEAD_META if k in meta
        }
    for k in ("apiVersion", "kind"):
        if k in head:
            head[k] = one(head[k])
    spec = one(spec)
    body = Packed(data, head, spec, prepared, fold)
    doc = PackedDocument(head, source, defaulted)
    light = PodSource(
        found.kind,
        found.namespace,
        found.name,
        _NO_META,
        spec,
        found.is_template,
        found.generic,
        found.path,
    )
    object.__setattr__(doc, "_pod", light)
    object.__setattr__(doc, "body", body)
    return doc


Sent = tuple[Any, ...]
"""A packed document as plain values, which marshal writes (`sent`, `received`): how a worker
process sends it back."""


def sent(doc: PackedDocument) -> Sent:
    """`doc` as plain values (its source and defaults as tuples, its pod source's fields)."""
    body, found, source = doc.body, doc._pod, doc.source
    return (
        body.data,
        body.head,
        body.spec,
        body.prepared,
        body.fold,
        (found.kind, found.namespace, found.name, found.is_template, found.generic, found.path),
        None if source is None else (source.file, source.document, source.line, source.item),
        tuple((d.field, d.value, d.why) for d in doc.defaulted),
    )


def received(
    values: Sent,
    shared: Shared,
    defaults: dict[Any, tuple[Defaulted, ...]],
    same: dict[int, tuple[Any, Any]],
) -> PackedDocument:
    """The packed document `sent` gave `values` of (one of a `marshal.loads`, whose values
    `same` remembers: `Shared.adopt`), its head made of the values `shared` holds as if
    it had been packed in this process; `defaults` remembers the defaults made (replicas share
    theirs). The head is as `_document` left it in the process that packed it: its metadata
    holds only the fields of _HEAD_META."""
    data, head, spec, prepared, fold, pod, where, done = values
    adopt = shared.adopt
    meta = head.get("metadata")
    if type(meta) is dict:
        for k in _SHARED_META:
            if k in meta:
                meta[k] = adopt(meta[k], same)
    for k in ("apiVersion", "kind"):
        if k in head:
            head[k] = adopt(head[k], same)
    spec = adopt(spec, same)
    defaulted = defaults.get(done)
    if defaulted is None:
        defaulted = defaults[done] = tuple(Defaulted(*d) for d in done)
    doc = PackedDocument(head, None if where is None else Source(*where), defaulted)
    object.__setattr__(doc, "_pod", PodSource(pod[0], pod[1], pod[2], _NO_META, spec, *pod[3:]))
    object.__setattr__(doc, "body", Packed(data, head, spec, prepared, fold))
    return doc


def _itself(value: Any) -> Any:
    return value
