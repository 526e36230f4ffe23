"""Adapters that read: files, directories, stdin and the bundled policy library."""

from podgate.io.loader import DEFAULT_MAX_BYTES, Document, load_documents, load_text

__all__ = ["DEFAULT_MAX_BYTES", "Document", "load_documents", "load_text"]
