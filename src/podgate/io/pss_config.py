"""Reading a PodSecurityConfiguration (or an AdmissionConfiguration naming one)."""

from __future__ import annotations

import os

from podgate.errors import LoadError
from podgate.io.loader import load_documents
from podgate.k8s import Obj
from podgate.pss.config import ConfigurationError, PodSecurityConfiguration, parse_configuration


def _read_config_doc(path: str, max_bytes: int) -> Obj | None:
    """The one document of a configuration file; None for an empty (zero-byte) file."""
    try:
        if os.path.getsize(path) == 0:
            return None
    except OSError as e:
        raise LoadError(e.strerror or str(e), file=path) from e
    docs = load_documents([path], max_bytes=max_bytes)
    if not docs:  # only comments or blank lines: not empty to upstream (errata C10)
        raise LoadError("Object 'Kind' is missing", file=path)
    if len(docs) > 1:
        raise LoadError(f"expected one configuration document, found {len(docs)}", file=path)
    return docs[0].obj


def load_pss_config(path: str, max_bytes: int) -> PodSecurityConfiguration:
    base = os.path.dirname(path)

    def read_path(ref: str) -> Obj | None:
        return _read_config_doc(os.path.join(base, ref), max_bytes)

    try:
        return parse_configuration(_read_config_doc(path, max_bytes), read_path=read_path)
    except ConfigurationError as e:
        raise LoadError(str(e), file=path) from e
