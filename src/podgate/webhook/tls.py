"""The serving certificate: TLS 1.2 or newer, reloaded when its files change.

kubelet updates a Secret volume by swapping a symlink (`..data`), and cert-manager renews
certificates in place, so the pair is re-read when the (mtime, inode, size) or the bytes of
either file change (a renewed certificate often has the same size: webhook/stamp.py). New
connections get the new pair through `SSLContext.sni_callback`, which runs for every
handshake (with or without SNI) and moves the connection to the current context; open
connections keep theirs. A pair that fails to load (a key that does not match, a half-written
file) is logged and the old one is kept, so the server never stops serving."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable

from cryptography import x509

from podgate.errors import PodgateError
from podgate.webhook.stamp import Stamp, file_stamp

__all__ = ["CertificateError", "CertificateReloader", "server_context"]

ALPN = ["http/1.1"]
_LIMIT = 1 << 20  # the bytes of a certificate or key file compared (a chain is a few KB)


class CertificateError(PodgateError):
    """A certificate/key pair that cannot be served."""


def server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context for one pair: TLS >= 1.2, HTTP/1.1, no compression or renegotiation."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION | ssl.OP_CIPHER_SERVER_PREFERENCE
    ctx.set_alpn_protocols(ALPN)
    try:
        ctx.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as e:
        raise CertificateError(f"cannot load {cert_file} and {key_file}: {e}") from e
    return ctx


def _expiry(cert_file: str) -> float:
    try:
        with open(cert_file, "rb") as fh:
            cert = x509.load_pem_x509_certificate(fh.read())
    except (OSError, ValueError) as e:
        raise CertificateError(f"cannot read {cert_file}: {e}") from e
    return cert.not_valid_after_utc.timestamp()


class CertificateReloader:
    """Serves `cert_file`/`key_file` and picks up new ones on `poll()`."""

    def __init__(
        self,
        cert_file: str,
        key_file: str,
        *,
        on_reload: Callable[[bool, str], None] | None = None,
    ) -> None:
        self.cert_file = cert_file
        self.key_file = key_file
        self._on_reload = on_reload
        self._lock = threading.Lock()
        self._signature = self._files()
        self._current = server_context(cert_file, key_file)  # raises CertificateError
        self.not_after = _expiry(cert_file)
        self.loaded = True
        # the listening context: its own pair serves until the first reload; then each
        # handshake is moved to the newest context
        self.context = server_context(cert_file, key_file)
        self.context.sni_callback = self._select

    def _files(self) -> tuple[Stamp, Stamp]:
        return (file_stamp(self.cert_file, _LIMIT), file_stamp(self.key_file, _LIMIT))

    def _select(
        self, conn: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: ssl.SSLContext
    ) -> None:
        current = self._current
        if conn.context is not current:
            conn.context = current

    def poll(self) -> bool:
        """Reload when either file changed; True when a new pair is in force."""
        signature = self._files()
        if signature == self._signature:
            return False
        with self._lock:
            self._signature = signature
            try:
                ctx = server_context(self.cert_file, self.key_file)
                not_after = _expiry(self.cert_file)
            except CertificateError as e:
                if self._on_reload is not None:
                    self._on_reload(False, str(e))
                return False
            self._current = ctx
            self.not_after = not_after
        if self._on_reload is not None:
            self._on_reload(True, "")
        return True
