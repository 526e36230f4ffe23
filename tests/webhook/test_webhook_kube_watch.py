"""The policy CRD and namespace watches against a local HTTPS endpoint that lists, watches
(chunked streams, bookmarks, 410 Gone) and takes /status writes (tests/kube_fake.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podgate.k8s.identity import UserInfo
from podgate.psp import PolicySet
from podgate.webhook.kube import (
    DISABLED_ANNOTATION,
    ApiClient,
    NamespaceWatcher,
    PolicyWatcher,
    SubjectAccessReviewAuthorizer,
)
from tests.kube_fake import (
    NAMESPACES,
    POLICIES,
    FakeApi,
    Pki,
    client_for,
    wait_for,
)

pytestmark = pytest.mark.e2e

NOW = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.UTC)


def spec(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "privileged": False,
        "runAsUser": {"rule": "MustRunAsNonRoot"},
        "seLinux": {"rule": "RunAsAny"},
        "supplementalGroups": {"rule": "RunAsAny"},
        "fsGroup": {"rule": "RunAsAny"},
        "volumes": ["configMap", "secret", "emptyDir"],
    }
    base.update(over)
    return base


def policy(name: str, annotations: dict[str, str] | None = None, **over: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": spec(**over)}


@pytest.fixture
def client(api: FakeApi, pki: Pki) -> Iterator[ApiClient]:
    c = client_for(api, pki.ca)
    yield c
    c.close()


@pytest.fixture
def watcher(client: ApiClient) -> Iterator[PolicyWatcher]:
    w = PolicyWatcher(client, write_status=True, now=lambda: NOW, backoff_base=0.01)
    yield w
    w.stop()
    assert w.reflector._thread is not None
    assert not w.reflector._thread.is_alive()


def ready_condition(api: FakeApi, name: str) -> dict[str, Any]:
    obj = api.get(POLICIES, name)
    (cond,) = obj["status"]["conditions"]
    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    return cond  # type: ignore[no-any-return]


def test_initial_list_compiles_valid_enabled_policies(api: FakeApi, watcher: PolicyWatcher) -> None:
    api.put(POLICIES, policy("restricted"))
    api.put(POLICIES, policy("broken", runAsUser={"rule": "Nope"}))
    api.put(POLICIES, policy("off", {DISABLED_ANNOTATION: "true"}))
    api.put(POLICIES, policy("on", {DISABLED_ANNOTATION: "false"}))
    assert watcher.current() is None
    assert not watcher.ready()
    watcher.start()
    wait_for(watcher.ready)
    current = watcher.current()
    assert current is not None
    assert current.names == ("on", "restricted")
    states = watcher.states()
    assert states["broken"].reason == "Invalid"
    assert states["broken"].message == (
        'spec.runAsUser.rule: Unsupported value: "Nope": supported values: '
        '"MustRunAs", "MustRunAsNonRoot", "RunAsAny"'
    )
    assert states["off"].reason == "Disabled"
    assert states["restricted"].reason == "Compiled"
    assert watcher.counts() == {"Compiled": 2, "Invalid": 1, "Disabled": 1}
    # the allowPrivilegeEscalation default (true) was applied before compiling
    restricted = next(p for p in current.providers if p.name == "restricted")
    assert restricted.policy["spec"]["allowPrivilegeEscalation"] is True
    assert restricted.policy["apiVersion"] == "policy/v1beta1"


def test_status_is_written_once_per_change(api: FakeApi, watcher: PolicyWatcher) -> None:
    api.put(POLICIES, policy("restricted"))
    api.put(POLICIES, policy("broken", runAsUser={"rule": "Nope"}))
    api.put(POLICIES, policy("off", {DISABLED_ANNOTATION: "true"}))
    watcher.start()
    wait_for(lambda: len(api.status_writes) == 3)
    assert ready_condition(api, "restricted") == {
        "type": "Ready",
        "status": "True",
        "reason": "Compiled",
        "message": "the policy is in force",
        "lastTransitionTime": "2026-11-28T12:00:00Z",
        "observedGeneration": 1,
    }
    broken = ready_condition(api, "broken")
    assert (broken["status"], broken["reason"]) == ("False", "Invalid")
    assert 'Unsupported value: "Nope"' in broken["message"]
    off = ready_condition(api, "off")
    assert (off["status"], off["reason"]) == ("False", "Disabled")
    assert all(method == "PATCH" for method, _, _ in api.status_writes)
    # a resourceVersion precondition on every write
    assert all(body["metadata"]["resourceVersion"] for _, _, body in api.status_writes)
    # our own writes come back as MODIFIED events, a bookmark triggers a sync: nothing to write
    api.bookmark(POLICIES)
    wait_for(lambda: watcher.reflector.events >= 3)
    api.put(POLICIES, policy("restricted"))  # same spec: same generation, same condition
    wait_for(lambda: watcher.reflector.events >= 4)
    assert len(api.status_writes) == 3
    assert watcher.status_writes == 3


def test_watch_events_added_modified_deleted(api: FakeApi, watcher: PolicyWatcher) -> None:
    changes: list[tuple[str, ...]] = []
    watcher._on_change = lambda ps: changes.append(ps.names)
    api.put(POLICIES, policy("a"))
    watcher.start()
    wait_for(lambda: api.open_watches(POLICIES) == 1)
    api.put(POLICIES, policy("b"))  # ADDED
    wait_for(lambda: (c := watcher.current()) is not None and c.names == ("a", "b"))
    api.put(POLICIES, policy("a", {DISABLED_ANNOTATION: "true"}))  # MODIFIED: switched off
    wait_for(lambda: (c := watcher.current()) is not None and c.names == ("b",))
    wait_for(lambda: ready_condition(api, "a")["reason"] == "Disabled")
    api.put(POLICIES, policy("a"))  # switched on again
    wait_for(lambda: (c := watcher.current()) is not None and c.names == ("a", "b"))
    wait_for(lambda: ready_condition(api, "a")["reason"] == "Compiled")
    api.put(POLICIES, policy("b", runAsUser={"rule": "Nope"}))  # MODIFIED: now invalid
    wait_for(lambda: (c := watcher.current()) is not None and c.names == ("a",))
    wait_for(lambda: ready_condition(api, "b")["reason"] == "Invalid")
    assert api.get(POLICIES, "b")["status"]["observedGeneration"] == 2
    api.delete(POLICIES, "a")  # DELETED
    wait_for(lambda: (c := watcher.current()) is not None and c.names == ())
    assert "a" not in watcher.states()
    assert changes == [("a",), ("a", "b"), ("b",), ("a", "b"), ("a",), ()]


def test_the_transition_time_moves_only_when_the_status_flips(
    api: FakeApi, client: ApiClient
) -> None:
    times = iter([NOW, NOW + dt.timedelta(hours=1), NOW + dt.timedelta(hours=2)])
    w = PolicyWatcher(client, write_status=True, now=lambda: next(times))
    api.put(POLICIES, policy("p", runAsUser={"rule": "Nope"}))
    w.start()
    try:
        wait_for(lambda: len(api.status_writes) == 1)
        assert ready_condition(api, "p")["lastTransitionTime"] == "2026-11-28T12:00:00Z"
        api.put(POLICIES, policy("p", runAsUser={"rule": "Nah"}))  # still False: time kept
        wait_for(lambda: len(api.status_writes) == 2)
        assert ready_condition(api, "p")["lastTransitionTime"] == "2026-11-28T12:00:00Z"
        api.put(POLICIES, policy("p"))  # now True: a new time
        wait_for(lambda: len(api.status_writes) == 3)
        cond = ready_condition(api, "p")
        assert (cond["status"], cond["lastTransitionTime"]) == ("True", "2026-11-28T13:00:00Z")
    finally:
        w.stop()


def test_no_status_writes_unless_asked(api: FakeApi, client: ApiClient) -> None:
    w = PolicyWatcher(client)
    api.put(POLICIES, policy("p", runAsUser={"rule": "Nope"}))
    w.start()
    try:
        wait_for(w.ready)
        api.bookmark(POLICIES)
        api.put(POLICIES, policy("q"))
        wait_for(lambda: (c := w.current()) is not None and c.names == ("q",))
        assert api.status_writes == []
    finally:
        w.stop()


def test_410_gone_in_the_stream_lists_again(api: FakeApi, watcher: PolicyWatcher) -> None:
    api.put(POLICIES, policy("a"))
    api.put(POLICIES, policy("b"))
    watcher.start()
    wait_for(lambda: api.open_watches(POLICIES) == 1)
    api.delete(POLICIES, "b", silently=True)  # missed by the watch: only a list shows it
    api.put(POLICIES, policy("c"))
    wait_for(lambda: (c := watcher.current()) is not None and "c" in c.names)
    api.expire(POLICIES)
    wait_for(lambda: watcher.reflector.relists == 1 and api.open_watches(POLICIES) == 1)
    current = watcher.current()
    assert current is not None and current.names == ("a", "c")
    assert watcher.reflector.lists == 2
    assert api.collections[POLICIES].lists == 2


def test_410_gone_on_watch_start_lists_again(api: FakeApi, watcher: PolicyWatcher) -> None:
    api.put(POLICIES, policy("a"))
    api.collections[POLICIES].gone_next_watch = 1
    watcher.start()
    wait_for(lambda: api.open_watches(POLICIES) == 1)
    assert watcher.reflector.relists == 1
    assert api.collections[POLICIES].lists == 2
    watches = api.collections[POLICIES].watches
    assert [w["allowWatchBookmarks"] for w in watches] == ["true", "true"]
    assert all(w["resourceVersion"] for w in watches)


def test_bookmark_moves_the_resource_version(api: FakeApi, watcher: PolicyWatcher) -> None:
    watcher.start()
    wait_for(lambda: api.open_watches(POLICIES) == 1)
    api.put(NAMESPACES, {"metadata": {"name": "elsewhere"}})  # moves the global version
    api.bookmark(POLICIES)
    wait_for(lambda: watcher.reflector.resource_version == str(api.rv))
    assert watcher.reflector.events == 0


def test_paged_list_and_errors_back_off(api: FakeApi, client: ApiClient) -> None:
    for name in "abcde":
        api.put(POLICIES, policy(name))
    api.reject_tokens.add("t")  # 401 for a while
    w = PolicyWatcher(client, page_size=2, backoff_base=0.01, backoff_max=0.02)
    w.start()
    try:
        wait_for(lambda: w.reflector.errors >= 2)
        assert not w.ready()
        assert w.reflector.last_error is not None and "401" in w.reflector.last_error
        api.reject_tokens.clear()
        wait_for(w.ready)
        current = w.current()
        assert current is not None and current.names == ("a", "b", "c", "d", "e")
        assert api.collections[POLICIES].lists == 3  # one list of three pages
    finally:
        w.stop()


def test_stop_ends_an_open_watch_promptly(api: FakeApi, client: ApiClient) -> None:
    w = NamespaceWatcher(client)
    w.start()
    wait_for(lambda: api.open_watches(NAMESPACES) == 1)
    w.stop(timeout=2)
    assert w.reflector._thread is not None and not w.reflector._thread.is_alive()


def test_namespace_labels(api: FakeApi, client: ApiClient) -> None:
    api.put(
        NAMESPACES,
        {
            "metadata": {
                "name": "web",
                "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
            }
        },
    )
    w = NamespaceWatcher(client, backoff_base=0.01)
    assert not w.ready()
    assert w.labels("web") is None
    w.start()
    try:
        wait_for(w.ready)
        assert w.labels("web") == {
            "pod-security.kubernetes.io/enforce": "restricted",
            "kubernetes.io/metadata.name": "web",
        }
        assert w.labels("nope") is None
        wait_for(lambda: api.open_watches(NAMESPACES) == 1)
        api.put(
            NAMESPACES,
            {
                "metadata": {
                    "name": "web",
                    "labels": {"pod-security.kubernetes.io/warn": "baseline"},
                }
            },
        )
        api.put(NAMESPACES, {"metadata": {"name": "new"}})
        wait_for(lambda: w.labels("new") is not None)
        assert w.labels("web") == {
            "pod-security.kubernetes.io/warn": "baseline",
            "kubernetes.io/metadata.name": "web",
        }
        api.delete(NAMESPACES, "new")
        wait_for(lambda: w.labels("new") is None)
        assert len(w) == 1
        api.expire(NAMESPACES)
        wait_for(lambda: w.reflector.relists == 1)
        assert w.ready()
    finally:
        w.stop()


def test_compiled_set_is_a_policy_set(api: FakeApi, watcher: PolicyWatcher) -> None:
    api.put(POLICIES, policy("p", allowPrivilegeEscalation=False))
    watcher.start()
    wait_for(watcher.ready)
    assert isinstance(watcher.current(), PolicySet)


def test_sources_from_a_kubeconfig(
    api: FakeApi, pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    config = tmp_path / "config"
    config.write_text(
        f"""
apiVersion: v1
kind: Config
current-context: test
clusters: [{{name: fake, cluster: {{server: "{api.url}", certificate-authority: {pki.ca}}}}}]
users: [{{name: me, user: {{token: abc}}}}]
contexts: [{{name: test, context: {{cluster: fake, user: me}}}}]
"""
    )
    api.put(POLICIES, policy("p"))
    w = PolicyWatcher.from_kubeconfig(str(config))
    n = NamespaceWatcher.from_kubeconfig(str(config))
    w.start()
    n.start()
    try:
        wait_for(lambda: w.ready() and n.ready())
    finally:
        w.stop()
        n.stop()
    assert set(api.tokens) == {"abc"}
    authz = SubjectAccessReviewAuthorizer.from_kubeconfig(str(config), groups=("policy",))
    assert not authz.can_use(UserInfo("u"), "ns", "p")
    assert authz.errors == 0
    authz.close()
