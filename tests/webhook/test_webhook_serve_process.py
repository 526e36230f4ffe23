"""`podgate serve` as a real process on loopback: no implicit exemption outside a pod, and a
graceful SIGTERM (`/readyz` 503 at once, a review in flight answered before the exit)."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import time
from pathlib import Path

import pytest
import yaml

from tests.webhook.test_webhook_e2e import EXAMPLES, Server, make_certs, review, start_server, stop

pytestmark = pytest.mark.e2e

PRIVILEGED = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "podgate"},
    "spec": {
        "containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]
    },
}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("certs")
    make_certs(out)
    return out


def _env_outside_a_pod() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "POD_NAMESPACE"}


def test_outside_a_pod_a_namespace_named_podgate_is_not_exempt(tmp_path: Path, certs: Path) -> None:
    server = start_server(
        tmp_path, "--policy", "builtin:restricted", cert_dir=certs, env=_env_outside_a_pod()
    )
    try:
        answer = server.review("/validate", review(PRIVILEGED, namespace="podgate"))
        assert answer["allowed"] is False
        assert "auditAnnotations" not in answer or "exempt" not in answer["auditAnnotations"]
        warned = [r for r in server.logs() if r["msg"] == "Exempted no namespace as podgate's own"]
        assert warned and warned[0]["level"] == "warning"
        assert warned[0]["exemptNamespaces"] == []
        serving = next(r for r in server.logs() if r["msg"] == "Serving")
        assert serving["exemptNamespaces"] == []
    finally:
        stop(server)


def test_outside_a_pod_not_even_kube_system_is_exempt_unless_asked(
    tmp_path: Path, certs: Path
) -> None:
    server = start_server(
        tmp_path, "--policy", "builtin:restricted", cert_dir=certs, env=_env_outside_a_pod()
    )
    try:
        answer = server.review("/validate", review(PRIVILEGED, namespace="kube-system"))
        assert answer["allowed"] is False
    finally:
        stop(server)
    asked = start_server(
        tmp_path, "--policy", "builtin:restricted", "--exempt-namespace", "kube-system",
        cert_dir=certs, env=_env_outside_a_pod(),
    )  # fmt: skip
    try:
        answer = asked.review("/validate", review(PRIVILEGED, namespace="kube-system"))
        assert answer["allowed"] is True
        assert answer["auditAnnotations"] == {"exempt": "namespace"}
    finally:
        stop(asked)


def test_in_a_pod_kube_system_stays_exempt_by_default(tmp_path: Path, certs: Path) -> None:
    env = {**_env_outside_a_pod(), "POD_NAMESPACE": "podgate"}
    server = start_server(tmp_path, "--policy", "builtin:restricted", cert_dir=certs, env=env)
    try:
        answer = server.review("/validate", review(PRIVILEGED, namespace="kube-system"))
        assert answer["allowed"] is True
    finally:
        stop(server)


def test_pod_namespace_is_podgates_own_and_exempt(tmp_path: Path, certs: Path) -> None:
    env = {**_env_outside_a_pod(), "POD_NAMESPACE": "podgate"}
    server = start_server(tmp_path, "--policy", "builtin:restricted", cert_dir=certs, env=env)
    try:
        answer = server.review("/validate", review(PRIVILEGED, namespace="podgate"))
        assert answer["allowed"] is True
        assert answer["auditAnnotations"] == {"exempt": "namespace"}
        assert not any(r["msg"].startswith("Exempted no namespace") for r in server.logs())
    finally:
        stop(server)


def _tls(server: Server) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return server.context().wrap_socket(raw, server_hostname="127.0.0.1")


def _refused(server: Server) -> bool:
    try:
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    except OSError:
        return True
    return False


def test_sigterm_turns_readyz_503_at_once_and_answers_the_review_in_flight(
    tmp_path: Path, certs: Path
) -> None:
    server = start_server(
        tmp_path, "--policy", "builtin:restricted", "--shutdown-delay", "1",
        cert_dir=certs,
    )  # fmt: skip
    pod = yaml.safe_load((EXAMPLES / "pods" / "web.yaml").read_text())
    body = json.dumps(review(pod)).encode()
    in_flight = _tls(server)
    half = len(body) // 2
    try:
        in_flight.sendall(
            b"POST /mutate?timeout=10s HTTP/1.1\r\nHost: podgate\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:half]
        )
        time.sleep(0.2)  # the server is now reading this request's body
        server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 0.9  # well within the 1 s the server keeps listening
        status, _, text = server.request("GET", "/readyz")
        while status != 503 and time.monotonic() < deadline:
            status, _, text = server.request("GET", "/readyz")
        assert (status, text) == (503, b"not ready: draining\n")
        start = time.monotonic()
        while not _refused(server):  # then the listener closes ...
            assert time.monotonic() - start < 5, "the listener did not close"
            time.sleep(0.05)
        assert server.process.poll() is None  # ... while the review in flight holds the exit
        in_flight.sendall(body[half:])
        answer = in_flight.recv(65536)
        while b"\r\n\r\n" not in answer:
            answer += in_flight.recv(65536)
        head, _, rest = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
                     .split(b":")[1])  # fmt: skip
        while len(rest) < length:
            rest += in_flight.recv(65536)
        response = json.loads(rest)["response"]
        assert response["allowed"] is True and response["patchType"] == "JSONPatch"
    finally:
        in_flight.close()
    assert server.process.wait(10) == 0
    messages = [r["msg"] for r in server.logs()]
    assert "Shutting down" in messages and messages[-1] == "Stopped"
    shutting = next(r for r in server.logs() if r["msg"] == "Shutting down")
    assert (shutting["signal"], shutting["delay"]) == ("SIGTERM", 1.0)
