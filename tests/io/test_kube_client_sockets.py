"""The API client lets go of its socket on every way a request ends, at once.

After `getresponse()`, a response that will close the connection (no Content-Length, or
`Connection: close`) owns the socket: `http.client` hands it over, so closing the connection
alone leaves the descriptor open for as long as the response lives. An error raised while the
response is a local of the request's frame keeps it alive through the exception's traceback,
and a traceback caught in a reference cycle is freed by a later garbage collection: then the
socket is finalized before the reader that holds it, and says "unclosed <ssl.SSLSocket [closed]
fd=...>" in whatever test runs at that moment (a flaky ResourceWarning, raised as an error).

Each case holds the exception, as a caller that logs or chains it does, and checks that every
socket the client opened is closed down to its descriptor."""

from __future__ import annotations

import http.client
import socket
import weakref

import pytest

from podgate.errors import ApiError
from podgate.io.kube import client as client_module
from tests.kube_fake import FakeApi, Pki, client_for


class Opened:
    """Every socket the client's connections open, weakly held: a socket still alive with its
    descriptor open is one the client has not let go of."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sockets: list[weakref.ref[socket.socket]] = []
        connect = client_module._HTTPSConnection.connect

        def recording(conn: http.client.HTTPSConnection) -> None:
            connect(conn)  # type: ignore[arg-type]
            assert conn.sock is not None
            self.sockets.append(weakref.ref(conn.sock))

        monkeypatch.setattr(client_module._HTTPSConnection, "connect", recording)

    def held(self) -> list[str]:
        alive = (ref() for ref in self.sockets)
        return [repr(s) for s in alive if s is not None and s.fileno() != -1]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Opened:
    return Opened(monkeypatch)


pytestmark = pytest.mark.e2e


def test_the_probe_sees_a_connection_the_client_keeps(
    api: FakeApi, pki: Pki, opened: Opened
) -> None:
    client = client_for(api, pki.ca)
    try:
        client.request("GET", "/api/v1/namespaces")
        assert len(opened.held()) == 1  # kept alive, in the client's pool
    finally:
        client.close()
    assert opened.held() == []


@pytest.mark.parametrize("stream", [True, False], ids=["until-close", "content-length"])
def test_an_answer_over_max_bytes_closes_the_socket(
    api: FakeApi, pki: Pki, opened: Opened, stream: bool
) -> None:
    api.stream = stream  # no Content-Length: the answer ends when the server closes
    client = client_for(api, pki.ca, max_bytes=20)
    try:
        with pytest.raises(ApiError, match="is over 20 bytes") as caught:
            client.request("GET", "/api/v1/namespaces")
    finally:
        client.close()
    assert caught.value.__traceback__ is not None  # still held, with the frames it went through
    assert opened.held() == []


@pytest.mark.parametrize("watch", [False, True], ids=["request", "watch"])
@pytest.mark.parametrize("stream", [True, False], ids=["until-close", "content-length"])
def test_an_error_status_closes_the_socket(
    api: FakeApi, pki: Pki, opened: Opened, stream: bool, watch: bool
) -> None:
    api.stream = stream
    api.forbidden.add("pods")
    client = client_for(api, pki.ca)

    def ask() -> object:
        if watch:
            return client.stream("/api/v1/pods", params={"watch": "1"}, timeout=10)
        return client.request("GET", "/api/v1/pods")

    try:
        with pytest.raises(ApiError, match="forbidden") as caught:
            ask()
    finally:
        client.close()
    assert caught.value.status == 403
    assert opened.held() == []
