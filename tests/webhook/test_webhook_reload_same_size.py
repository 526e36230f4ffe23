"""A file rewritten in place, to the same size, within one tick of the file system's clock keeps
its (mtime, inode, size): the webhook compared only those, so it went on judging by the old
content (a Namespace tightened from privileged to restricted still admitted privileged pods;
a certificate renewed in place was not served). Its sources compare a digest of the bytes
too (webhook/stamp.py). The tick is made exact here by setting the old mtime back."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from podgate.webhook.files import FileNamespaceSource, FilePolicySource
from podgate.webhook.stamp import MISSING, file_stamp
from podgate.webhook.tls import CertificateReloader
from tests.pki_helpers import make_ca, make_server_cert

NAMESPACE = """apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels:
    pod-security.kubernetes.io/enforce: {level}
"""
POLICY = """apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {{name: {name}}}
spec:
  privileged: false
  seLinux: {{rule: RunAsAny}}
  runAsUser: {{rule: RunAsAny}}
  supplementalGroups: {{rule: RunAsAny}}
  fsGroup: {{rule: RunAsAny}}
  volumes: ['*']
"""


def rewrite_within_the_tick(path: Path, text: bytes) -> None:
    """Write `text` over the file in place (same inode), then give it its old mtime back."""
    before = os.stat(path)
    assert len(text) == before.st_size
    with open(path, "r+b") as fh:
        fh.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_mtime_ns, after.st_ino, after.st_size) == (
        before.st_mtime_ns,
        before.st_ino,
        before.st_size,
    )


def test_a_namespace_tightened_within_the_tick_is_judged_by_its_new_level(tmp_path: Path) -> None:
    file = tmp_path / "ns.yaml"
    file.write_text(NAMESPACE.format(level="privileged"))
    source = FileNamespaceSource([str(file)], max_bytes=1 << 20)
    source.load()
    assert source.labels("team") == {"pod-security.kubernetes.io/enforce": "privileged"}
    rewrite_within_the_tick(file, NAMESPACE.format(level="restricted").encode())
    assert source.poll() is True
    assert source.labels("team") == {"pod-security.kubernetes.io/enforce": "restricted"}
    assert source.poll() is False  # nothing changed since


def test_a_policy_renamed_within_the_tick_is_the_one_in_force(tmp_path: Path) -> None:
    (tmp_path / "psp.yaml").write_text(POLICY.format(name="aaaa"))
    source = FilePolicySource([str(tmp_path)], max_bytes=1 << 20)
    source.load()
    assert (current := source.current()) is not None and current.names == ("aaaa",)
    rewrite_within_the_tick(tmp_path / "psp.yaml", POLICY.format(name="bbbb").encode())
    assert source.poll() is True
    assert (current := source.current()) is not None and current.names == ("bbbb",)


def _pair(tmp_path: Path, tag: str) -> tuple[bytes, bytes]:
    ca_key, ca_cert = make_ca("ca")
    key, cert = make_server_cert(ca_key, ca_cert, tag)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_a_certificate_renewed_in_place_within_the_tick_is_served(tmp_path: Path) -> None:
    cert_file, key_file = tmp_path / "tls.crt", tmp_path / "tls.key"
    first = _pair(tmp_path, "one")
    cert_file.write_bytes(first[0])
    key_file.write_bytes(first[1])
    reloader = CertificateReloader(str(cert_file), str(key_file))
    # a renewal of the same sizes (ECDSA signatures vary by a byte or two: try a few)
    second = next(
        p
        for p in (_pair(tmp_path, "two") for _ in range(200))
        if (len(p[0]), len(p[1])) == (len(first[0]), len(first[1]))
    )
    rewrite_within_the_tick(cert_file, second[0])
    rewrite_within_the_tick(key_file, second[1])
    assert reloader.poll() is True
    assert reloader.poll() is False


def test_a_stamp_reads_no_fifo_and_names_a_missing_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert file_stamp(str(fifo), 1 << 20)[3] == b""  # and it returned: nothing was read
    assert file_stamp(str(tmp_path / "missing"), 1 << 20) == MISSING
