"""A self-signed CA and a serving certificate for development (`podgate certs`).

The CA is valid 10 years, the serving certificate 1 year, both ECDSA P-256. The serving
certificate names every host given (IP addresses as IP SANs) and, for a host `svc.ns`, also
`svc.ns.svc` and `svc.ns.svc.cluster.local`, the names the API server uses to reach a
Service; its extended key usage is serverAuth only."""

from __future__ import annotations

import base64
import contextlib
import datetime
import ipaddress
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from podgate.errors import PodgateError

__all__ = ["Bundle", "UnsafeDirectory", "self_signed", "subject_alt_names", "write_bundle"]

CA_DAYS = 3650
LEAF_DAYS = 365


@dataclass(frozen=True, slots=True)
class Bundle:
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    @property
    def ca_bundle(self) -> str:
        """The base64 `caBundle` of a webhook configuration's clientConfig."""
        return base64.b64encode(self.ca_pem).decode("ascii")


def subject_alt_names(hosts: Sequence[str]) -> list[str]:
    """The DNS names and IPs a certificate for `hosts` carries, in order, without repeats."""
    names: list[str] = []
    for host in hosts:
        names.append(host)
        parts = host.split(".")
        if len(parts) == 2 and all(parts) and not _is_ip(host):
            names += [f"{host}.svc", f"{host}.svc.cluster.local"]
    return list(dict.fromkeys(names))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def self_signed(hosts: Sequence[str], now: datetime.datetime | None = None) -> Bundle:
    """A new CA and a serving certificate for `hosts` signed by it."""
    if not hosts:
        raise ValueError("at least one host is needed")
    now = now or datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(minutes=5)  # tolerate small clock skew
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("podgate-ca")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address(n)) if _is_ip(n) else x509.DNSName(n)
        for n in subject_alt_names(hosts)
    ]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                key_cert_sign=False,
                crl_sign=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Bundle(
        ca.public_bytes(serialization.Encoding.PEM),
        leaf.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


class UnsafeDirectory(PodgateError):
    """An output directory that someone else could write into (and so swap the key)."""


def _check_private(path: str) -> None:
    """Refuse a directory that other users can write to or that another user owns: they could
    replace the key or the certificates after they are written."""
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeDirectory(f"{path}: not a directory")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeDirectory(
            f"{path}: writable by other users (mode {stat.S_IMODE(st.st_mode):04o}); "
            "give --out a directory only you can write (podgate creates a missing one with 0700)"
        )
    if st.st_uid not in (os.geteuid(), 0):
        raise UnsafeDirectory(
            f"{path}: owned by another user (uid {st.st_uid}); "
            "give --out a directory of your own (podgate creates a missing one with 0700)"
        )


def _make_private_dirs(path: str) -> None:
    """Create `path` and any missing parents with mode 0700, whatever the umask."""
    missing = []
    head = os.path.abspath(path)
    while not os.path.lexists(head):
        missing.append(head)
        head = os.path.dirname(head)
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            continue  # made meanwhile: _check_private judges the final directory
        os.chmod(d, 0o700)  # the umask may have taken bits from 0700


def _write(directory: str, name: str, data: bytes, mode: int) -> str:
    """Write `directory/name` atomically with `mode`: a new temporary file (O_EXCL, never a
    planted one, never through a symlink) in the same directory, renamed over the target."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        path = os.path.join(directory, name)
        os.replace(tmp, path)  # replaces a symlink at `path` itself, never its target
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def write_bundle(bundle: Bundle, out_dir: str) -> list[str]:
    """ca.crt, tls.crt (0644) and tls.key (0600) in `out_dir`, created with mode 0700 when
    missing. Raises UnsafeDirectory when others can write to `out_dir`, OSError on I/O errors."""
    _make_private_dirs(out_dir)
    _check_private(out_dir)
    return [
        _write(out_dir, name, data, mode)
        for name, data, mode in (
            ("ca.crt", bundle.ca_pem, 0o644),
            ("tls.key", bundle.key_pem, 0o600),
            ("tls.crt", bundle.cert_pem, 0o644),
        )
    ]
