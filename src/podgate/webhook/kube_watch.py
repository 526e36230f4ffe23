"""Policies and namespace labels from the cluster, kept current by list-and-watch (webhook.md §9).

`PolicyWatcher` watches the cluster-scoped CRD `podsecuritypolicies.podgate.io` (version v1,
spec = policy/v1beta1 PodSecurityPolicySpec). Each policy is defaulted as the API server
defaulted a policy/v1beta1 PSP (`allowPrivilegeEscalation: true` when unset), validated as the
API server validated it (`psp.validation.validate_policy`) and, when valid, compiled. A policy
annotated `podgate.io/disabled: "true"` is switched off without being deleted. `current()` is the
compiled set of enabled, valid policies (None until the first list has completed).

Status: with `write_status=True` the watcher writes each policy's `status.observedGeneration`
and `status.conditions[type=Ready]` (reasons `Compiled`, `Invalid` with the validation errors,
`Disabled`) through the /status subresource, as a JSON merge patch conditioned on the object's
resourceVersion, and only when the condition differs from what the object already carries (so
replicas that agree write nothing, and its own write does not trigger another). There must be
one writer: turn it on in one replica (a leader-elected one, or a single-replica controller);
every replica watches and enforces either way. A failed write is tried again on the next event
or bookmark.

`NamespaceWatcher` watches namespaces and keeps their labels by name, for Pod Security
Standards levels.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Self, Unpack

import orjson

from podgate.errors import ApiError
from podgate.io.kube import ApiClient, Reflector
from podgate.io.kube.watch import Obj, WatchOptions
from podgate.k8s.defaults import default_policy
from podgate.psp import PolicySet
from podgate.psp.validation import validate_policy
from podgate.pss.labels import stored_labels
from podgate.webhook.kube_client import from_environment

__all__ = [
    "DISABLED_ANNOTATION",
    "NAMESPACES_PATH",
    "POLICIES_PATH",
    "NamespaceWatcher",
    "PolicyState",
    "PolicyWatcher",
]

log = logging.getLogger("podgate.webhook.kube")

POLICIES_PATH = "/apis/podgate.io/v1/podsecuritypolicies"
NAMESPACES_PATH = "/api/v1/namespaces"
DISABLED_ANNOTATION = "podgate.io/disabled"
MAX_MESSAGE = 32768  # metav1.Condition.message maxLength

COMPILED = "Compiled"
INVALID = "Invalid"
DISABLED = "Disabled"


@dataclass(frozen=True, slots=True)
class PolicyState:
    """What the watcher made of one policy: Ready with reason Compiled, or not Ready with
    reason Invalid (the message gives the errors) or Disabled."""

    name: str
    generation: int
    ready: bool
    reason: str
    message: str


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _name(obj: Mapping[str, Any]) -> str:
    name = _meta(obj).get("name")
    return name if isinstance(name, str) else ""


def _generation(obj: Mapping[str, Any]) -> int:
    gen = _meta(obj).get("generation")
    return gen if isinstance(gen, int) and not isinstance(gen, bool) else 0


def _as_psp(obj: Mapping[str, Any]) -> Obj:
    """The CRD object as the policy/v1beta1 PodSecurityPolicy it stands for."""
    meta = {k: v for k, v in _meta(obj).items() if k != "managedFields"}
    return {
        "apiVersion": "policy/v1beta1",
        "kind": "PodSecurityPolicy",
        "metadata": meta,
        "spec": obj.get("spec") if obj.get("spec") is not None else {},
    }


def _errors_text(errors: list[Any]) -> str:
    text = str(errors[0]) if len(errors) == 1 else "[" + ", ".join(map(str, errors)) + "]"
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def _evaluate(obj: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, PolicyState]:
    name, gen = _name(obj), _generation(obj)
    annotations = _meta(obj).get("annotations")
    if isinstance(annotations, Mapping) and annotations.get(DISABLED_ANNOTATION) == "true":
        message = f'switched off by the annotation {DISABLED_ANNOTATION}: "true"'
        return None, PolicyState(name, gen, False, DISABLED, message)
    policy, _ = default_policy(_as_psp(obj))
    errors = validate_policy(policy)
    if errors:
        return None, PolicyState(name, gen, False, INVALID, _errors_text(errors))
    return policy, PolicyState(name, gen, True, COMPILED, "the policy is in force")


def _memo_key(obj: Mapping[str, Any]) -> bytes:
    meta = _meta(obj)
    relevant = {
        "metadata": {k: meta.get(k) for k in ("name", "generation", "labels", "annotations")},
        "spec": obj.get("spec"),
    }
    return orjson.dumps(relevant, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def _now() -> datetime:
    return datetime.now(UTC)


class _Watcher:
    """What both watchers share: a reflector over one collection, started and stopped with
    the watcher, and a client of its own when made `from_kubeconfig` (closed by `stop()`)."""

    reflector: Reflector
    _owned: ApiClient | None = None

    def _reflector(
        self,
        client: ApiClient,
        path: str,
        name: str,
        on_idle: Callable[[], None] | None,
        options: WatchOptions,
    ) -> Reflector:
        """The reflector feeding `_replace` and `_event`, logging as the webhook's kube side."""
        return Reflector(
            client,
            path,
            on_replace=self._replace,
            on_event=self._event,
            on_idle=on_idle,
            name=name,
            log=log,
            **options,
        )

    def _replace(self, items: list[Obj]) -> None:
        raise NotImplementedError

    def _event(self, kind: str, obj: Obj) -> None:
        raise NotImplementedError

    @classmethod
    def from_kubeconfig(
        cls, kubeconfig: str | None = None, context: str | None = None, **options: Any
    ) -> Self:
        """With its own client from `kube_client.from_environment` (in-cluster in a pod),
        closed by `stop()`."""
        client = from_environment(kubeconfig, context)
        watcher = cls(client, **options)  # type: ignore[call-arg]
        watcher._owned = client
        return watcher

    def start(self) -> None:
        self.reflector.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.reflector.stop(timeout)
        if self._owned is not None:
            self._owned.close()


class PolicyWatcher(_Watcher):
    """A `PolicySource` over the `podsecuritypolicies.podgate.io` CRD. Thread-safe; call
    `start()` once and `stop()` at shutdown."""

    def __init__(
        self,
        client: ApiClient,
        *,
        write_status: bool = False,
        on_change: Callable[[PolicySet], None] | None = None,
        now: Callable[[], datetime] = _now,
        **watch: Unpack[WatchOptions],
    ) -> None:
        self._client = client
        self.write_status = write_status
        self._on_change = on_change
        self._now = now
        self._lock = threading.Lock()
        self._objects: dict[str, Obj] = {}
        self._memo: dict[bytes, tuple[Mapping[str, Any] | None, PolicyState]] = {}
        self._signature: tuple[bytes, ...] | None = None
        self._current: PolicySet | None = None
        self._states: Mapping[str, PolicyState] = MappingProxyType({})
        self.status_writes = 0
        self.status_errors = 0
        self.reflector = self._reflector(
            client, POLICIES_PATH, "podsecuritypolicies.podgate.io", self._idle, watch
        )

    # --- the PolicySource interface ------------------------------------------------------

    def current(self) -> PolicySet | None:
        return self._current

    def ready(self) -> bool:
        return self._current is not None

    def states(self) -> Mapping[str, PolicyState]:
        """Each policy's state by name (read-only), for logs and the `podgate_policies`
        metric."""
        return self._states

    def counts(self) -> dict[str, int]:
        """How many policies are Compiled, Invalid and Disabled."""
        out = {COMPILED: 0, INVALID: 0, DISABLED: 0}
        for state in self._states.values():
            out[state.reason] = out.get(state.reason, 0) + 1
        return out

    # --- reflector handlers (one thread) ------------------------------------------------

    def _replace(self, items: list[Obj]) -> None:
        self._objects = {_name(o): o for o in items if _name(o)}
        self._rebuild()

    def _event(self, kind: str, obj: Obj) -> None:
        name = _name(obj)
        if not name:
            return
        if kind == "DELETED":
            self._objects.pop(name, None)
        else:
            self._objects[name] = obj
        self._rebuild()

    def _idle(self) -> None:
        if self.write_status:
            self._sync_status()

    def _rebuild(self) -> None:
        memo: dict[bytes, tuple[Mapping[str, Any] | None, PolicyState]] = {}
        keys: list[bytes] = []
        for _, obj in sorted(self._objects.items()):
            key = _memo_key(obj)
            memo[key] = self._memo.get(key) or _evaluate(obj)
            keys.append(key)
        self._memo = memo
        signature = tuple(keys)
        if signature != self._signature or self._current is None:
            self._signature = signature
            policies = [p for p, _ in memo.values() if p is not None]
            compiled = PolicySet.compile(policies)
            states = {s.name: s for _, s in memo.values()}
            for u in compiled.unusable:
                if u.name in states:
                    old = states[u.name]
                    message = f"the policy cannot be used: {u.reason}"
                    states[u.name] = PolicyState(u.name, old.generation, False, INVALID, message)
            with self._lock:
                self._current = compiled
                self._states = MappingProxyType(states)
            log.info(
                "Loaded policies",
                extra={"policies": list(compiled.names), "counts": self.counts()},
            )
            if self._on_change is not None:
                self._on_change(compiled)
        if self.write_status:
            self._sync_status()

    # --- status -------------------------------------------------------------------------

    def _sync_status(self) -> None:
        for name, obj in list(self._objects.items()):
            state = self._states.get(name)
            if state is None:
                continue
            body = self._status_patch(obj, state)
            if body is None:
                continue
            try:
                written = self._client.request(
                    "PATCH",
                    f"{POLICIES_PATH}/{name}/status",
                    body=body,
                    content_type="application/merge-patch+json",
                )
            except ApiError as e:
                if e.status in (404, 409):
                    continue  # deleted or changed meanwhile: an event follows
                self.status_errors += 1
                log.warning("Failed to write policy status", extra={"policy": name, "err": str(e)})
                continue
            self.status_writes += 1
            if isinstance(written, dict) and name in self._objects:
                self._objects[name] = written

    def _status_patch(self, obj: Mapping[str, Any], state: PolicyState) -> Obj | None:
        """The merge patch that brings the object's status to `state`, or None when it is
        already there."""
        status = obj.get("status")
        status = status if isinstance(status, Mapping) else {}
        conditions = status.get("conditions")
        ready = next(
            (
                c
                for c in (conditions if isinstance(conditions, list) else [])
                if isinstance(c, Mapping) and c.get("type") == "Ready"
            ),
            None,
        )
        want = "True" if state.ready else "False"
        if (
            ready is not None
            and ready.get("status") == want
            and ready.get("reason") == state.reason
            and ready.get("message") == state.message
            and ready.get("observedGeneration") == state.generation
            and status.get("observedGeneration") == state.generation
        ):
            return None
        since = ready.get("lastTransitionTime") if ready is not None else None
        if ready is None or ready.get("status") != want or not isinstance(since, str):
            since = self._now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        condition = {
            "type": "Ready",
            "status": want,
            "reason": state.reason,
            "message": state.message,
            "lastTransitionTime": since,
            "observedGeneration": state.generation,
        }
        patch: Obj = {"status": {"observedGeneration": state.generation, "conditions": [condition]}}
        rv = _meta(obj).get("resourceVersion")
        if isinstance(rv, str) and rv:
            patch["metadata"] = {"resourceVersion": rv}  # a conflict (409) if it moved on
        return patch


class NamespaceWatcher(_Watcher):
    """A `NamespaceSource`: every namespace's labels by name, kept current by a watch."""

    def __init__(
        self,
        client: ApiClient,
        **watch: Unpack[WatchOptions],
    ) -> None:
        self._labels: dict[str, Mapping[str, Any]] = {}
        self._lock = threading.Lock()
        self.reflector = self._reflector(client, NAMESPACES_PATH, "namespaces", None, watch)

    def labels(self, namespace: str) -> Mapping[str, Any] | None:
        return self._labels.get(namespace)

    def other_labels(self, namespace: str) -> tuple[Mapping[str, Any], ...]:
        return ()  # a cluster holds one object per name

    def ready(self) -> bool:
        return self.reflector.synced()

    def __len__(self) -> int:
        return len(self._labels)

    @staticmethod
    def _labels_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
        return MappingProxyType(stored_labels(_meta(obj).get("labels")))

    def _replace(self, items: list[Obj]) -> None:
        fresh = {_name(o): self._labels_of(o) for o in items if _name(o)}
        with self._lock:
            self._labels = fresh

    def _event(self, kind: str, obj: Obj) -> None:
        name = _name(obj)
        if not name:
            return
        with self._lock:  # readers take one dict.get: atomic, no lock needed there
            if kind == "DELETED":
                self._labels.pop(name, None)
            else:
                self._labels[name] = self._labels_of(obj)
