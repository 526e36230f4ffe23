"""The webhook's API client and SubjectAccessReview authorizer against a local HTTPS endpoint
that speaks those API calls (tests/kube_fake.py)."""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from podgate.errors import ApiError
from podgate.io.kube import ApiClient, Credentials, TokenFile
from podgate.k8s.identity import UserInfo
from podgate.webhook.kube import SubjectAccessReviewAuthorizer, from_kubeconfig, in_cluster_client
from tests.kube_fake import (
    SAR,
    FakeApi,
    Pki,
    client_for,
    counting_exec_user,
    verifying,
    wait_for,
)

SA = "system:serviceaccount:web:app"
SA_GROUPS = ("system:serviceaccounts", "system:serviceaccounts:web")
SA_USER = UserInfo(SA, SA_GROUPS)


@pytest.fixture
def client(api: FakeApi, pki: Pki) -> Iterator[ApiClient]:
    c = client_for(api, pki.ca, "t0")
    yield c
    c.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the client -------------------------------------------------------------------------------


@pytest.mark.e2e
def test_request_over_verified_tls_with_keep_alive(api: FakeApi, client: ApiClient) -> None:
    for _ in range(5):
        got = client.request("GET", "/api/v1/namespaces")
        assert got["kind"] == "NamespaceList"
    assert api.connections == 1  # one connection, kept alive
    assert api.tokens == ["t0"] * 5


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_wrong_ca_fails_tls_verification(api: FakeApi, pki: Pki) -> None:
    c = ApiClient(api.url, ssl_context=verifying(pki.other_ca))
    with pytest.raises(ApiError, match=r"TLS verification of https://127\.0\.0\.1:\d+ failed"):
        c.request("GET", "/api/v1/namespaces")


@pytest.mark.e2e
def test_hostname_is_verified(api: FakeApi, pki: Pki) -> None:
    c = ApiClient(api.url, ssl_context=verifying(pki.ca), tls_server_name="elsewhere")
    with pytest.raises(ApiError, match="TLS verification"):
        c.request("GET", "/api/v1/namespaces")
    ok = ApiClient(api.url, ssl_context=verifying(pki.ca), tls_server_name="localhost")
    assert ok.request("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    ok.close()


def test_verification_cannot_be_switched_off(pki: Pki) -> None:
    loose = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    loose.check_hostname = False
    loose.verify_mode = ssl.CERT_NONE
    with pytest.raises(ApiError, match="does not verify"):
        ApiClient("https://127.0.0.1:1", ssl_context=loose)
    with pytest.raises(ApiError, match="not an https:// URL"):
        ApiClient("http://127.0.0.1:1", ssl_context=verifying(pki.ca))


@pytest.mark.e2e
def test_error_status_and_unreachable(api: FakeApi, client: ApiClient, pki: Pki) -> None:
    with pytest.raises(ApiError, match="404 not found") as e:
        client.request("GET", "/api/v1/nothing")
    assert e.value.status == 404
    assert e.value.reason == "NotFound"
    port = api.url.rsplit(":", 1)[1]
    api.stop()
    gone = ApiClient(f"https://127.0.0.1:{port}", ssl_context=verifying(pki.ca), timeout=1)
    with pytest.raises(ApiError, match="cannot reach") as e:
        gone.request("GET", "/api/v1/namespaces")
    assert e.value.status is None


@pytest.mark.e2e
def test_in_cluster_reads_the_rotated_token(api: FakeApi, pki: Pki, tmp_path: Path) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "ca.crt").write_bytes(pki.ca.read_bytes())
    (sa / "token").write_text("first\n")
    host, port = api.url.removeprefix("https://").split(":")
    env = {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
    c = in_cluster_client(service_account_dir=sa, environ=env)
    c.request("GET", "/api/v1/namespaces")
    (sa / "token").write_text("second-token\n")  # the kubelet rotated it
    c.request("GET", "/api/v1/namespaces")
    assert api.tokens == ["first", "second-token"]
    c.close()
    with pytest.raises(ApiError, match="not in a cluster"):
        in_cluster_client(service_account_dir=sa, environ={})


@pytest.mark.e2e
def test_a_401_reads_the_token_file_again(api: FakeApi, pki: Pki, tmp_path: Path) -> None:
    """The file changed without its stat showing it (same size, inode and mtime): only the
    401 makes the client read it again."""
    path = tmp_path / "token"
    path.write_text("stale")
    c = ApiClient(
        api.url,
        ssl_context=verifying(pki.ca),
        credentials=Credentials(token_file=TokenFile(path)),
    )
    assert c.request("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    stamp = path.stat()
    path.write_text("fresh")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    api.reject_tokens.add("stale")
    assert c.request("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    assert api.tokens == ["stale", "stale", "fresh"]
    c.close()


@pytest.mark.e2e
def test_a_401_with_a_static_token_is_final(api: FakeApi, client: ApiClient) -> None:
    api.reject_tokens.add("t0")
    with pytest.raises(ApiError, match="401 Unauthorized") as e:
        client.request("GET", "/api/v1/namespaces")
    assert e.value.status == 401
    assert api.tokens == ["t0"]  # nothing to renew: not sent again


@pytest.mark.e2e
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
    c = from_kubeconfig(str(config))
    assert c.request("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    assert api.tokens == ["from-file"]
    c.close()
    with pytest.raises(ApiError, match="insecure-skip-tls-verify"):
        from_kubeconfig(str(config), "insecure")


def test_kubeconfig_plain_http_is_refused(tmp_path: Path) -> None:
    """`kubectl proxy` is fine for a scan, not for the webhook: it talks verified TLS only."""
    config = tmp_path / "config"
    config.write_text(
        """
current-context: proxy
clusters: [{name: p, cluster: {server: "http://127.0.0.1:8001"}}]
users: [{name: me, user: {token: t}}]
contexts: [{name: proxy, context: {cluster: p, user: me}}]
"""
    )
    with pytest.raises(ApiError, match=r"^http://127\.0\.0\.1:8001: the webhook talks to the API"):
        from_kubeconfig(str(config))


@pytest.mark.e2e
def test_kubeconfig_exec_token_is_renewed_after_a_401(
    api: FakeApi, pki: Pki, tmp_path: Path
) -> None:
    """A long-running webhook outlives an exec plugin's token: a 401 runs the plugin again
    and the request is sent once more, answered."""
    runs = tmp_path / "runs"
    user = counting_exec_user(runs, "f'token-{n}'")
    config = tmp_path / "config"
    config.write_text(
        json.dumps(
            {
                "current-context": "c",
                "clusters": [
                    {
                        "name": "f",
                        "cluster": {"server": api.url, "certificate-authority": str(pki.ca)},
                    }
                ],
                "users": [{"name": "me", "user": user}],
                "contexts": [{"name": "c", "context": {"cluster": "f", "user": "me"}}],
            }
        )
    )
    c = from_kubeconfig(str(config))
    assert runs.read_text() == "x"  # at start-up, not on the first request
    assert c.request("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    api.reject_tokens.add("token-0")
    assert c.request("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    assert runs.read_text() == "xx"
    assert api.tokens == ["token-0", "token-0", "token-1"]
    c.close()


# --- SubjectAccessReviews ---------------------------------------------------------------------


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_cache_is_a_bounded_lru(api: FakeApi, client: ApiClient) -> None:
    authz = SubjectAccessReviewAuthorizer(client, groups=("policy",), max_entries=2)
    for name in ("a", "b", "a", "c", "a", "b"):
        authz.can_use(SA_USER, "web", name)
    # a, b miss; a hits; c evicts b; a hits; b misses again
    assert authz.cache_size() == 2
    assert (authz.hits, authz.misses) == (2, 4)


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_timeout_denies(api: FakeApi, client: ApiClient) -> None:
    api.sar_gate.clear()
    authz = SubjectAccessReviewAuthorizer(client, groups=("policy",), timeout=0.2)
    assert not authz.can_use(SA_USER, "web", "restricted")
    assert authz.last_error is not None and "did not answer in time" in authz.last_error
    api.sar_gate.set()


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_negative_settings_are_refused(client: ApiClient) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        SubjectAccessReviewAuthorizer(client, denied_ttl=-1)
