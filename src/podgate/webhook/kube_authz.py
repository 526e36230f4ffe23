"""`use` of a PodSecurityPolicy, asked of the API server with SubjectAccessReviews (webhook.md
§4), cached as §4.3 says.

For each identity PSP admission asks about (the pod's service account, then the requesting
user), `can_use` sends `authorization.k8s.io/v1` SubjectAccessReviews with `verb=use`,
`resource=podsecuritypolicies`, `name=<policy>`, `namespace=<pod's namespace>`, `version=*`,
for the API groups `policy`, then `extensions` (legacy grants), then `podgate.io` (podgate's own
CRD), stopping at the first that allows: `rbac.USE_GROUPS`, the groups the offline authorizer
asks about too, so that both give one answer. The identity is sent verbatim: the requesting user's
name, uid, groups and extra as the AdmissionReview's userInfo carries them,
or the service account as PSP admission builds it (`system:serviceaccount:NS:SA` with exactly
`system:serviceaccounts` and `system:serviceaccounts:NS`).

Cache: the key is the full SubjectAccessReview spec (groups sorted); an allowed answer is kept
for `allowed_ttl` seconds, a denied one for `denied_ttl` (10 s each by default, as the API
server's delegated authorization caches them); at most `max_entries`, least recently used out
first. Concurrent identical lookups share one request. Errors (transport, TLS, timeouts, error
statuses, an `evaluationError` in a denial) are never cached and count as "not authorized",
as an authorizer failure did for PSP; they are counted in `errors` and kept in `last_error`.

Per request (`for_request(deadline)`, what the webhook's decision path uses): each review waits
at most `timeout` seconds, and at most until the admission request's own deadline, so a slow API
server cannot make podgate miss the webhook's timeoutSeconds; once the deadline has passed, a
lookup the cache cannot answer fails without being sent. The errors that request's lookups met
are that value's `errors` (for the `error` audit annotation). `can_use` on the authorizer itself
has no deadline but `timeout`, and its errors are only counted and logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from podgate.errors import ApiError
from podgate.io.kube import ApiClient
from podgate.k8s.identity import UserInfo
from podgate.rbac.authorizer import USE_GROUPS
from podgate.webhook.authorization import PerRequest
from podgate.webhook.kube_client import from_environment

__all__ = ["SAR_PATH", "USE_GROUPS", "SubjectAccessReviewAuthorizer"]

log = logging.getLogger("podgate.webhook.kube")

SAR_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews"


@dataclass(slots=True)
class _Lookups:
    """The lookups of one request: their deadline (None: only `timeout` bounds them) and the
    errors they met; `can_use` as the request's authorizer."""

    authorizer: SubjectAccessReviewAuthorizer
    deadline: float | None = None
    met: list[str] = field(default_factory=list)

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        return self.authorizer.lookup(self, user, namespace, policy)

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(self.met)


@dataclass(slots=True)
class _Flight:
    """One lookup in progress; followers wait for the leader's answer."""

    done: threading.Event = field(default_factory=threading.Event)
    allowed: bool = False
    error: str | None = None


class SubjectAccessReviewAuthorizer(PerRequest):
    """A `PolicyUseAuthorizer` backed by SubjectAccessReviews. Thread-safe. Counters for metrics:
    `hits`, `misses` (cache), `requests` (reviews sent), `collapsed` (lookups that waited for
    an identical one in flight), `errors`, and `last_error`."""

    def __init__(
        self,
        client: ApiClient,
        *,
        groups: Sequence[str] = USE_GROUPS,
        allowed_ttl: float = 10.0,
        denied_ttl: float = 10.0,
        max_entries: int = 10_000,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if allowed_ttl < 0 or denied_ttl < 0 or max_entries < 0:
            raise ValueError("cache TTLs and size must not be negative")
        self._client = client
        self.groups = tuple(groups)
        self.allowed_ttl = allowed_ttl
        self.denied_ttl = denied_ttl
        self.max_entries = max_entries
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[bytes, tuple[bool, float]] = OrderedDict()
        self._inflight: dict[bytes, _Flight] = {}
        self.hits = 0
        self.misses = 0
        self.requests = 0
        self.collapsed = 0
        self.errors = 0
        self.last_error: str | None = None

    @classmethod
    def from_kubeconfig(
        cls, kubeconfig: str | None = None, context: str | None = None, **options: Any
    ) -> SubjectAccessReviewAuthorizer:
        """With its own client from `kube_client.from_environment` (in-cluster in a pod)."""
        return cls(from_environment(kubeconfig, context), **options)

    # --- the PolicyUseAuthorizer interface ----------------------------------------------

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        return self.lookup(_Lookups(self), user, namespace, policy)

    def for_request(self, deadline: float | None) -> _Lookups:
        """The authorizer for one admission request: its lookups end by `deadline` (on the
        authorizer's clock, `time.monotonic` by default; None: no bound), and it keeps the
        errors they meet."""
        return _Lookups(self, deadline)

    def lookup(self, lookups: _Lookups, user: UserInfo, namespace: str, policy: str) -> bool:
        """`can_use` within one request's `lookups` (its deadline; its errors)."""
        identity = _identity(user)
        for group in self.groups:
            spec = {
                **identity,
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": "use",
                    "group": group,
                    "version": "*",
                    "resource": "podsecuritypolicies",
                    "name": policy,
                },
            }
            if self._allowed(spec, lookups):
                return True
        return False

    def _time_left(self, lookups: _Lookups) -> float:
        at = lookups.deadline
        return self.timeout if at is None else min(self.timeout, at - self._clock())

    def close(self) -> None:
        """Close the client's idle connections (the authorizer is unusable afterwards)."""
        self._client.close()

    def cache_size(self) -> int:
        with self._lock:
            return len(self._cache)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    # --- cache and collapse -------------------------------------------------------------

    def _allowed(self, spec: dict[str, Any], lookups: _Lookups) -> bool:
        key = orjson.dumps({**spec, "groups": sorted(spec["groups"])}, option=orjson.OPT_SORT_KEYS)
        with self._lock:
            now = self._clock()
            hit = self._cache.get(key)
            if hit is not None:
                if hit[1] > now:
                    self._cache.move_to_end(key)
                    self.hits += 1
                    return hit[0]
                del self._cache[key]
            self.misses += 1
            flight = self._inflight.get(key)
            leader = flight is None
            if flight is None:
                flight = self._inflight[key] = _Flight()
            else:
                self.collapsed += 1
        left = self._time_left(lookups)
        if not leader:
            # the leader's review takes at most its timeout; a deadline may end the wait first
            grace = 1.0 if left >= self.timeout else 0.0
            if not flight.done.wait(max(left, 0.0) + grace):
                self._record(lookups, "a SubjectAccessReview in flight did not finish in time")
                return False
            if flight.error is not None:
                self._record(lookups, flight.error, count=False)
            return flight.allowed
        allowed, error, cacheable = False, None, False
        try:
            if left <= 0:
                error = "SubjectAccessReview: not sent, the request's deadline has passed"
            else:
                allowed, error, cacheable = self._review(spec, left)
        finally:
            with self._lock:
                if cacheable:
                    ttl = self.allowed_ttl if allowed else self.denied_ttl
                    if ttl > 0 and self.max_entries > 0:
                        self._cache[key] = (allowed, self._clock() + ttl)
                        self._cache.move_to_end(key)
                        while len(self._cache) > self.max_entries:
                            self._cache.popitem(last=False)
                del self._inflight[key]
            flight.allowed, flight.error = allowed, error
            flight.done.set()
        if error is not None:
            self._record(lookups, error)
        return allowed

    def _record(self, lookups: _Lookups, error: str, *, count: bool = True) -> None:
        if count:
            with self._lock:
                self.errors += 1
                self.last_error = error
            log.warning("SubjectAccessReview failed", extra={"err": error})
        lookups.met.append(error)

    def _review(self, spec: dict[str, Any], timeout: float) -> tuple[bool, str | None, bool]:
        """(allowed, error, cacheable) for one SubjectAccessReview."""
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": spec,
        }
        with self._lock:
            self.requests += 1
        try:
            answer = self._client.request("POST", SAR_PATH, body=body, timeout=timeout)
        except ApiError as e:
            return False, f"SubjectAccessReview: {e}", False
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, dict) or not isinstance(status.get("allowed"), bool):
            return False, "SubjectAccessReview: the answer has no status.allowed", False
        allowed: bool = status["allowed"]
        evaluation_error = status.get("evaluationError")
        if evaluation_error:
            if allowed:
                return True, None, False  # allowed all the same; not cached
            return False, f"SubjectAccessReview: {evaluation_error}", False
        return allowed, None, True


def _identity(user: UserInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"user": user.name, "groups": list(user.groups)}
    if user.uid:
        out["uid"] = user.uid
    if user.extra:
        out["extra"] = {k: list(v) for k, v in user.extra}
    return out
