"""The webhook's API client and SubjectAccessReview authorizer against a local HTTPS endpoint
that speaks those API calls (tests/webhook/test_webhook_kube_fake.py)."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from podgate.k8s.identity import UserInfo
from podgate.webhook.kube import (
    ApiClient,
    ApiError,
    SubjectAccessReviewAuthorizer,
    verifying_context,
)
from tests.webhook.test_webhook_kube_fake import SAR, FakeApi, Pki, make_pki, running, wait_for

SA = "system:serviceaccount:web:app"
SA_GROUPS = ("system:serviceaccounts", "system:serviceaccounts:web")
SA_USER = UserInfo(SA, SA_GROUPS)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def api(pki: Pki) -> Iterator[FakeApi]:
    with running(pki) as fake:
        yield fake


@pytest.fixture
def client(api: FakeApi, pki: Pki) -> Iterator[ApiClient]:
    c = ApiClient(api.url, ssl_context=verifying_context(pki.ca), token=lambda **_: "t0")
    yield c
    c.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the client -------------------------------------------------------------------------------


def test_request_over_verified_tls_with_keep_alive(api: FakeApi, client: ApiClient) -> None:
    for _ in range(5):
        got = client.request("GET", "/api/v1/namespaces")
        assert got["kind"] == "NamespaceList"
    assert api.connections == 1  # one connection, kept alive
    assert api.tokens == ["t0"] * 5


def test_a_stale_kept_alive_connection_is_replaced(api: FakeApi, client: ApiClient) -> None:
    api.drop_after_answer = True
    for _ in range(3):
        body = {
            "kind": "SubjectAccessReview",
            "spec": {"resourceAttributes": {"group": "policy", "namespace": "n", "name": "p"}},
        }
        assert client.request("POST", SAR, body=body)["status"] == {"allowed": False}
    assert api.connections == 3
    assert len(api.sar_bodies) == 3  # each sent once


def test_wrong_ca_fails_tls_verification(api: FakeApi, pki: Pki) -> None:
    c = ApiClient(api.url, ssl_context=verifying_context(pki.other_ca))
    with pytest.raises(ApiError, match=r"TLS verification of https://127\.0\.0\.1:\d+ failed"):
        c.request("GET", "/api/v1/namespaces")


def test_hostname_is_verified(api: FakeApi, pki: Pki) -> None:
    c = ApiClient(api.url, ssl_context=verifying_context(pki.ca), tls_server_name="elsewhere")
    with pytest.raises(ApiError, match="TLS verification"):
        c.request("GET", "/api/v1/namespaces")
    ok = ApiClient(api.url, ssl_context=verifying_context(pki.ca), tls_server_name="localhost")
    assert ok.request("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    ok.close()


def test_verification_cannot_be_switched_off(pki: Pki) -> None:
    loose = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    loose.check_hostname = False
    loose.verify_mode = ssl.CERT_NONE
    with pytest.raises(ApiError, match="does not verify"):
        ApiClient("https://127.0.0.1:1", ssl_context=loose)
    with pytest.raises(ApiError, match="not an https:// URL"):
        ApiClient("http://127.0.0.1:1", ssl_context=verifying_context(pki.ca))


def test_error_status_and_unreachable(api: FakeApi, client: ApiClient, pki: Pki) -> None:
    with pytest.raises(ApiError, match="404 not found") as e:
        client.request("GET", "/api/v1/nothing")
    assert e.value.status == 404
    assert e.value.reason == "NotFound"
    port = api.url.rsplit(":", 1)[1]
    api.stop()
    gone = ApiClient(f"https://127.0.0.1:{port}", ssl_context=verifying_context(pki.ca), timeout=1)
    with pytest.raises(ApiError, match="cannot reach") as e:
        gone.request("GET", "/api/v1/namespaces")
    assert e.value.status is None


def test_in_cluster_reads_the_rotated_token(api: FakeApi, pki: Pki, tmp_path: Path) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "ca.crt").write_bytes(pki.ca.read_bytes())
    (sa / "token").write_text("first\n")
    host, port = api.url.removeprefix("https://").split(":")
    env = {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
    c = ApiClient.in_cluster(service_account_dir=sa, environ=env)
    c.request("GET", "/api/v1/namespaces")
    (sa / "token").write_text("second-token\n")  # the kubelet rotated it
    c.request("GET", "/api/v1/namespaces")
    assert api.tokens == ["first", "second-token"]
    c.close()
    with pytest.raises(ApiError, match="not in a cluster"):
        ApiClient.in_cluster(service_account_dir=sa, environ={})


def test_a_401_reads_the_token_again(api: FakeApi, pki: Pki) -> None:
    calls: list[bool] = []

    def token(*, refresh: bool = False) -> str:
        calls.append(refresh)
        return "fresh" if refresh else "stale"

    api.reject_tokens.add("stale")
    c = ApiClient(api.url, ssl_context=verifying_context(pki.ca), token=token)
    assert c.request("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    assert calls == [False, True]
    assert api.tokens == ["stale", "fresh"]
    c.close()


def test_kubeconfig_context(api: FakeApi, pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("from-file")
    config = tmp_path / "config"
    config.write_text(
        f"""
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: fake
  cluster: {{server: "{api.url}", certificate-authority: {pki.ca}}}
- name: loose
  cluster: {{server: "{api.url}", insecure-skip-tls-verify: true}}
users:
- name: me
  user: {{tokenFile: token}}
contexts:
- name: test
  context: {{cluster: fake, user: me}}
- name: insecure
  context: {{cluster: loose, user: me}}
"""
    )
    c = ApiClient.from_kubeconfig(str(config))
    assert c.request("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    assert api.tokens == ["from-file"]
    c.close()
    with pytest.raises(ApiError, match="insecure-skip-tls-verify"):
        ApiClient.from_kubeconfig(str(config), "insecure")


# --- SubjectAccessReviews ---------------------------------------------------------------------


def test_service_account_review_shape(api: FakeApi, client: ApiClient) -> None:
    api.grants.add((SA, "policy", "web", "restricted"))
    authz = SubjectAccessReviewAuthorizer(client)
    assert authz.can_use(SA_USER, "web", "restricted")
    assert api.sar_bodies == [
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": SA,
                "groups": list(SA_GROUPS),
                "resourceAttributes": {
                    "namespace": "web",
                    "verb": "use",
                    "group": "policy",
                    "version": "*",
                    "resource": "podsecuritypolicies",
                    "name": "restricted",
                },
            },
        }
    ]


def test_requester_is_copied_verbatim(api: FakeApi, client: ApiClient) -> None:
    requester = UserInfo(
        "alice",
        ("dev", "system:authenticated"),
        uid="u-1",
        extra=(("authentication.kubernetes.io/pod-name", ("p",)), ("scopes", ("a", "b"))),
    )
    authz = SubjectAccessReviewAuthorizer(client)
    assert not authz.can_use(requester, "web", "restricted")
    spec = api.sar_bodies[0]["spec"]
    assert spec["user"] == "alice"
    assert spec["uid"] == "u-1"
    assert spec["groups"] == ["dev", "system:authenticated"]
    assert spec["extra"] == {"authentication.kubernetes.io/pod-name": ["p"], "scopes": ["a", "b"]}


def test_groups_tried_in_order_until_one_allows(api: FakeApi, client: ApiClient) -> None:
    api.grants.add(("dev", "podgate.io", "web", "restricted"))
    authz = SubjectAccessReviewAuthorizer(client)
    assert authz.can_use(UserInfo("bob", ("dev",)), "web", "restricted")
    groups = [b["spec"]["resourceAttributes"]["group"] for b in api.sar_bodies]
    assert groups == ["policy", "extensions", "podgate.io"]
    api.sar_bodies.clear()
    api.grants.add(("dev", "extensions", "web", "legacy"))
    assert authz.can_use(UserInfo("bob", ("dev",)), "web", "legacy")
    assert [b["spec"]["resourceAttributes"]["group"] for b in api.sar_bodies] == [
        "policy",
        "extensions",
    ]
    assert not authz.can_use(UserInfo("bob", ("dev",)), "other-ns", "restricted")


def test_cache_ttls(api: FakeApi, client: ApiClient) -> None:
    api.grants.add((SA, "policy", "web", "restricted"))
    clock = Clock()
    authz = SubjectAccessReviewAuthorizer(client, groups=("policy",), denied_ttl=2.0, clock=clock)
    assert authz.can_use(SA_USER, "web", "restricted")
    assert not authz.can_use(SA_USER, "web", "privileged")
    assert len(api.sar_bodies) == 2
    assert (authz.hits, authz.misses) == (0, 2)
    clock.now += 1.9
    assert authz.can_use(SA_USER, "web", "restricted")
    assert not authz.can_use(SA_USER, "web", "privileged")
    assert len(api.sar_bodies) == 2
    assert (authz.hits, authz.misses) == (2, 2)
    clock.now += 0.2  # the denial (2 s) expired, the grant (10 s) did not
    api.grants.add((SA, "policy", "web", "privileged"))
    assert authz.can_use(SA_USER, "web", "privileged")
    assert authz.can_use(SA_USER, "web", "restricted")
    assert len(api.sar_bodies) == 3
    clock.now += 10.0
    api.grants.clear()
    assert not authz.can_use(SA_USER, "web", "restricted")
    assert len(api.sar_bodies) == 4


def test_cache_key_is_the_whole_spec(api: FakeApi, client: ApiClient) -> None:
    authz = SubjectAccessReviewAuthorizer(client, groups=("policy",))
    authz.can_use(UserInfo("u", ("a", "b")), "web", "p")
    authz.can_use(UserInfo("u", ("b", "a")), "web", "p")  # the same groups: a hit
    authz.can_use(UserInfo("u", ("a",)), "web", "p")
    authz.can_use(UserInfo("u", ("a", "b")), "other", "p")
    authz.can_use(UserInfo("u", ("a", "b")), "web", "q")
    authz.can_use(UserInfo("u", ("a", "b"), uid="x"), "web", "p")
    assert len(api.sar_bodies) == 5
    assert authz.hits == 1


def test_cache_is_a_bounded_lru(api: FakeApi, client: ApiClient) -> None:
    authz = SubjectAccessReviewAuthorizer(client, groups=("policy",), max_entries=2)
    for name in ("a", "b", "a", "c", "a", "b"):
        authz.can_use(SA_USER, "web", name)
    # a, b miss; a hits; c evicts b; a hits; b misses again
    assert authz.cache_size() == 2
    assert (authz.hits, authz.misses) == (2, 4)


def test_errors_deny_and_are_not_cached(api: FakeApi, client: ApiClient) -> None:
    api.grants.add((SA, "policy", "web", "restricted"))
    api.sar_status = 500
    authz = SubjectAccessReviewAuthorizer(client, groups=("policy",))
    failed = authz.for_request(None)
    assert not failed.can_use(SA_USER, "web", "restricted")
    assert authz.errors == 1
    assert authz.last_error is not None and "500 internal error" in authz.last_error
    assert failed.errors == (authz.last_error,)
    api.sar_status = 201
    later = authz.for_request(None)  # the next request's lookups: its own errors, none
    assert later.can_use(SA_USER, "web", "restricted")
    assert later.errors == ()
    assert failed.errors == (authz.last_error,)
    assert len(api.sar_bodies) == 2


def test_evaluation_error_denial_is_an_error(api: FakeApi, client: ApiClient) -> None:
    api.sar_evaluation_error = "webhook authorizer timed out"
    authz = SubjectAccessReviewAuthorizer(client, groups=("policy",))
    lookups = authz.for_request(None)
    assert not lookups.can_use(SA_USER, "web", "restricted")
    assert not authz.can_use(SA_USER, "web", "restricted")
    assert len(api.sar_bodies) == 2  # never cached
    assert authz.errors == 2
    assert len(lookups.errors) == 1  # the other lookup was not this request's
    assert lookups.errors[0].endswith("webhook authorizer timed out")
    api.grants.add((SA, "policy", "web", "restricted"))  # allowed despite the error: allowed
    assert authz.can_use(SA_USER, "web", "restricted")
    assert authz.can_use(SA_USER, "web", "restricted")
    assert len(api.sar_bodies) == 4
    assert authz.errors == 2


def test_timeout_denies(api: FakeApi, client: ApiClient) -> None:
    api.sar_gate.clear()
    authz = SubjectAccessReviewAuthorizer(client, groups=("policy",), timeout=0.2)
    assert not authz.can_use(SA_USER, "web", "restricted")
    assert authz.last_error is not None and "did not answer in time" in authz.last_error
    api.sar_gate.set()


def test_the_callers_deadline_bounds_lookups(api: FakeApi, client: ApiClient) -> None:
    api.grants.add((SA, "policy", "web", "restricted"))
    authz = SubjectAccessReviewAuthorizer(client, groups=("policy",), timeout=5.0)
    assert authz.can_use(SA_USER, "web", "restricted")  # cached from now on
    late = authz.for_request(time.monotonic() - 1)
    assert late.can_use(SA_USER, "web", "restricted")  # the cache still answers
    assert not late.can_use(SA_USER, "web", "privileged")
    assert len(api.sar_bodies) == 1  # not sent
    assert late.errors == ("SubjectAccessReview: not sent, the request's deadline has passed",)
    api.sar_gate.clear()
    soon = authz.for_request(time.monotonic() + 0.3)
    started = time.monotonic()
    assert not soon.can_use(SA_USER, "web", "privileged")
    assert time.monotonic() - started < 2.0  # the time left, not the 5 s timeout
    api.sar_gate.set()
    assert authz.for_request(None).can_use(SA_USER, "web", "restricted")


def test_concurrent_identical_lookups_collapse(api: FakeApi, client: ApiClient) -> None:
    api.grants.add((SA, "policy", "web", "restricted"))
    api.sar_gate.clear()
    authz = SubjectAccessReviewAuthorizer(client)
    results: list[bool] = []
    lock = threading.Lock()

    def ask() -> None:
        ok = authz.can_use(SA_USER, "web", "restricted")
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    wait_for(lambda: api.sar_waiting == 1 and authz.collapsed == 7)
    api.sar_gate.set()
    for t in threads:
        t.join(5)
    assert results == [True] * 8
    assert len(api.sar_bodies) == 1
    assert authz.requests == 1
    assert api.sar_bodies[0]["kind"] == "SubjectAccessReview"
    assert SAR.endswith("subjectaccessreviews")


def test_negative_settings_are_refused(client: ApiClient) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        SubjectAccessReviewAuthorizer(client, denied_ttl=-1)
