"""An AdmissionReview holding a number beyond a 64-bit float's range (`1e400`) is JSON that
orjson refuses; the API server's decoder refuses such a number too (`json: cannot unmarshal
number 1e400 into Go value of type float64`), so it never sends one. The answer is the
failure behaviour with code 400 and one line naming the field, not "the body is not JSON"."""

from __future__ import annotations

import json
from collections.abc import Iterator

import orjson
import pytest

from podgate.webhook.decode import undecodable
from tests.webhook.test_webhook_e2e import Server, make_certs, review, start_server, stop

_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"containers": [{"name": "app", "image": "nginx", "securityContext": {}}]},
}


def _body(number: str) -> bytes:
    doc = review(_POD)
    doc["request"]["object"]["spec"]["containers"][0]["securityContext"]["runAsUser"] = 7
    return json.dumps(doc).encode().replace(b'"runAsUser": 7', b'"runAsUser": ' + number.encode())


def _reason(body: bytes) -> str:
    with pytest.raises(orjson.JSONDecodeError) as caught:
        orjson.loads(body)
    return str(caught.value)


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" + "0" * 400], ids=["e", "-e", "long"])
def test_a_number_beyond_range_is_named_with_its_field(number: str) -> None:
    body = _body(number)
    message = undecodable(body, _reason(body))
    shown = number if len(number) <= 32 else f"{number[:32]}... ({len(number)} characters)"
    assert message == (
        "podgate: the body is JSON, but request.object.spec.containers[0].securityContext"
        f".runAsUser: number {shown} is beyond a 64-bit float's range, which the API server "
        f"refuses (json: cannot unmarshal number {shown} into Go value of type float64)"
    )


@pytest.mark.parametrize(
    "body",
    [b'{"a": 1e400', b'{"a": 1e400, "b": "\xff"}', b"[" * 100_000 + b"1e400"],
    ids=["cut-short", "not-utf8", "too-deep"],
)
def test_a_body_that_is_no_json_after_all_is_said_to_be_none(body: bytes) -> None:
    reason = _reason(body)
    assert undecodable(body, reason) == f"podgate: the body is not JSON: {reason}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("webhook-range")
    make_certs(tmp / "tls")
    s = start_server(tmp, "--policy", "builtin:restricted", cert_dir=tmp / "tls")
    yield s
    stop(s)


@pytest.mark.e2e
@pytest.mark.parametrize("path", ["/validate", "/mutate"])
def test_the_server_answers_400_naming_the_field(server: Server, path: str) -> None:
    status, _, body = server.request(
        "POST", path + "?timeout=10s", _body("1e400"), {"Content-Type": "application/json"}
    )
    assert status == 200
    response = json.loads(body)["response"]
    assert response["allowed"] is False and response["status"]["code"] == 400
    assert response["status"]["message"].startswith(
        "podgate: the body is JSON, but request.object.spec.containers[0].securityContext"
        ".runAsUser: number 1e400 is beyond a 64-bit float's range"
    )


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("number", "shown", "sent"),
    [
        ("18446744073709551615", "18446744073709551615", "18446744073709552000"),
        ("-9223372036854775809", "-9223372036854776000", "-9223372036854776000"),
    ],
    ids=["uint64", "below-int64"],
)
def test_a_number_beyond_int64_in_a_pod_is_answered_400_naming_the_field(
    server: Server, number: str, shown: str, sent: str
) -> None:
    """JSON that orjson reads (an int, or a float), in a field the API server decodes as int64."""
    status, _, body = server.request(
        "POST", "/validate?timeout=10s", _body(number), {"Content-Type": "application/json"}
    )
    assert status == 200
    response = json.loads(body)["response"]
    assert response["allowed"] is False and response["status"]["code"] == 400
    assert response["status"]["message"] == (
        "podgate: failed to decode pod: request.object.spec.containers[0].securityContext"
        f".runAsUser: number {shown} is beyond int64's range, which the API server refuses "
        f"(json: cannot unmarshal number {sent} into Go struct field SecurityContext"
        ".spec.containers.securityContext.runAsUser of type int64)"
    )


@pytest.mark.e2e
@pytest.mark.parametrize("number", ["1000.0", "1e3", "0.0"])
def test_a_whole_float_in_an_integer_field_is_answered_400(server: Server, number: str) -> None:
    """The API server encodes the pod it sends from its Go types: an integer field never holds
    `1000.0` there, and a webhook decoding the pod into those types refuses it (upstream's
    pod-security webhook: "failed to decode pod"). A file's whole float is read as kubectl
    sends it (tests/io/test_whole_float_commands.py); a review's is not."""
    status, _, body = server.request(
        "POST", "/validate?timeout=10s", _body(number), {"Content-Type": "application/json"}
    )
    assert status == 200
    response = json.loads(body)["response"]
    assert response["allowed"] is False and response["status"]["code"] == 400
    assert response["status"]["message"] == (
        "podgate: failed to decode pod: request.object.spec.containers[0].securityContext"
        f".runAsUser: expected an integer, got number {float(number)}"
    )
