"""The one step from documents read to documents judged, shared by scan, pss, admit, advise,
export, ui and serve: every pod field checked for its JSON type (a wrong type is refused as the
API server refuses it, never read as unset), then the API server's defaulting (unless turned
off). Each document keeps its `Source`, so every later message names where it was read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from podgate.errors import InternalError, LoadError
from podgate.k8s import PodSource
from podgate.k8s.defaults import default_object, default_policy
from podgate.k8s.packed import PackedDocument, Shared, pack
from podgate.k8s.shape import pod_shape_errors
from podgate.k8s.source import Document

__all__ = ["check_pod_shape", "prepare", "prepare_packed", "prepare_read"]


def check_pod_shape(doc: Document, found: PodSource) -> None:
    """Raise LoadError (file, document, line and the field) when the pod spec, or pod template,
    that `found` locates in `doc` has a field of the wrong type, or a user or group ID the API
    server's validation refuses. A whole float in an integer field is made the integer kubectl
    sends for it (k8s/shape.py), in `doc`'s pod spec."""
    holder: Any = doc.obj  # the pod, or the template (found.meta reads a bad one as empty)
    if found.is_template:
        for key in found.path.split("."):
            holder = holder[key]
    errors = pod_shape_errors(
        {"metadata": holder.get("metadata"), "spec": found.spec},
        within=found.path if found.is_template else "",
        manifest=True,
    )
    if not errors:
        return
    at = "" if not found.is_template else f"{found.path}."
    what = f"{found.kind} {found.name!r}" if found.name else found.kind or "object"
    line = doc.line
    if doc.source is not None and doc.item is not None:  # an item of a list: named, as
        from podgate.io.locate import item_line  # the loader names one (on the way to an error)

        what, line = f"items[{doc.item}]: {what}", item_line(doc.source)
    raise LoadError(
        f"{what} is not valid: {at}{errors[0]}",
        file=doc.file,
        document=doc.index,
        line=line,
    )


def prepare(docs: Iterable[Document], *, defaults: bool = True) -> list[Document]:
    """The documents as the API server would store them: the first whose pod fields have the
    wrong JSON type raises LoadError; with `defaults`, a PodSecurityPolicy gets the policy
    defaults and an object with a pod spec the pod-spec defaults, each document saying what
    was set (`defaulted`). Other objects, and objects nothing applies to, are kept as they are.
    A packed document (k8s/packed.py) is prepared unpacked, and packed again; one packed
    already prepared (`Packed.prepared`, alike), or prepared as it was read (`prepare_read`),
    is kept as it is."""
    out: list[Document] = []
    for doc in docs:
        if isinstance(doc, PackedDocument):
            if doc.body.prepared is None:
                doc = prepare_packed(doc.whole(), defaults)
            elif doc.body.prepared is not defaults:  # a defaulted object cannot be undone
                raise InternalError(f"{doc.where}: packed with defaults={doc.body.prepared}")
        elif doc.prepared is None:
            doc = _prepared(doc, defaults)
        elif doc.prepared is not defaults:  # (prepared as it was read: `prepare_read`)
            raise InternalError(f"{doc.where}: read with defaults={doc.prepared}")
        out.append(doc)
    return out


def prepare_read(docs: list[Document], defaults: bool) -> list[Document]:
    """`prepare` of each of one file's documents, done as the file is read (by the process that
    parses it: on every core), each marked prepared (`Document.prepared`), which `prepare` then
    keeps as it is. A document that `prepare` refuses (or fails on) is kept as read, unmarked:
    `prepare` refuses it at its turn, once every input has been read, as it does any other."""
    out: list[Document] = []
    for doc in docs:
        try:
            done = _prepared(doc, defaults)
        except Exception:  # noqa: BLE001 - raised again by `prepare`, in its order
            out.append(doc)
            continue
        out.append(Document(done.obj, done.source, done.defaulted, defaults))
    return out


def prepare_packed(doc: Document, defaults: bool, shared: Shared | None = None) -> PackedDocument:
    """`doc` (a Pod or workload) prepared (`prepare`), packed (`shared`: see `pack`)."""
    doc = _prepared(doc, defaults)
    found = doc.pod
    if found is None:  # packed only with a pod spec (io/snapshot.py)
        raise InternalError(f"{doc.where}: a packed object without a pod spec")
    return pack(doc.obj, found, doc.source, doc.defaulted, prepared=defaults, shared=shared)


def _prepared(doc: Document, defaults: bool) -> Document:
    """One document as `prepare` leaves it."""
    obj = doc.obj
    found = doc.pod
    if found is not None:
        check_pod_shape(doc, found)
    if defaults:
        if obj.get("kind") == "PodSecurityPolicy":
            obj, defaulted = default_policy(obj)
        else:
            obj, defaulted = default_object(obj, found)
        if defaulted:
            doc = replace(doc, obj=obj, defaulted=(*doc.defaulted, *defaulted))
    return doc
