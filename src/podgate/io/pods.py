"""Refusing objects whose pod fields have the wrong JSON type, as the API server would refuse
them, before any engine reads them (a wrong type must never be read as "unset")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from podgate.errors import LoadError
from podgate.io.loader import Document
from podgate.k8s import pod_sources
from podgate.k8s.shape import pod_shape_errors


def check_pod_shapes(docs: Iterable[Document]) -> None:
    """Raise LoadError (file, document, line and the field) for the first object whose pod
    spec, or pod template, has a field of the wrong type."""
    for doc in docs:
        src = pod_sources(doc.obj)
        if src is None:
            continue
        holder: Any = doc.obj  # the pod, or the template (src.meta reads a bad one as empty)
        if src.is_template:
            for key in src.path.split("."):
                holder = holder[key]
        errors = pod_shape_errors({"metadata": holder.get("metadata"), "spec": src.spec})
        if not errors:
            continue
        at = "" if not src.is_template else f"{src.path}."
        what = f"{src.kind} {src.name!r}" if src.name else src.kind or "object"
        raise LoadError(
            f"{what} is not valid: {at}{errors[0]}",
            file=doc.file,
            document=doc.index,
            line=doc.line,
        )
