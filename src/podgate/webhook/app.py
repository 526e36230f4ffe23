"""The ASGI application: HTTP in, `review.decide` called, HTTP out. No web framework: five
routes and one body reader.

* `POST /mutate`, `POST /validate`: an `admission.k8s.io/v1` AdmissionReview. Input hygiene as
  upstream's PSA webhook (webhook.md §1.1): a Content-Type other than application/json, or an
  empty body, is refused with 400; a body over 3 MiB with 413 (the body is read in chunks and
  refused as soon as it passes the cap). Everything past that is answered 200 with an
  AdmissionReview, the decision inside: also JSON that does not parse and a request past its
  deadline (the failure behaviour, uid "" when it is unknown). The deadline is the API server's
  `?timeout=` (a Go duration; a malformed one is ignored; at most 30 s, the API server's
  maximum) or the server default, less a margin so that the answer arrives before the API
  server gives up; a client that stalls while sending its body is answered then and its
  connection closed. Bodies beyond their first 32 KiB draw on a budget shared by all requests
  (`limits.ByteBudget`); when it is spent, 429 with `Retry-After: 1`. Texts in answers and
  logs are clipped; metric labels from the request are bounded to known values.
* `GET /healthz` (alive), `/readyz` (policies, namespaces and certificate loaded),
  `/metrics` (Prometheus text).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from podgate.webhook.decode import undecodable
from podgate.webhook.limits import FREE_BODY_BYTES, ByteBudget, clip_response
from podgate.webhook.logs import JsonLogger
from podgate.webhook.metrics import CONTENT_TYPE, Metrics, resource_label, subresource_label
from podgate.webhook.review import (
    ADMISSION_VERSION,
    MUTATE,
    VALIDATE,
    Outcome,
    Settings,
    Sources,
    decide,
    failure,
    uid_of,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_TIMEOUT",
    "MUTATE",
    "VALIDATE",
    "Runtime",
    "WebhookApp",
    "parse_go_duration",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 3 * 1024 * 1024  # 3145728, as upstream's PSA webhook
DEADLINE_SHARE = 0.9  # answer within 90% of the API server's timeout
MAX_TIMEOUT = 30.0  # the API server's largest timeoutSeconds
BUDGET_WAIT = 1.0  # how long a body waits for the shared budget before 429
DEFAULT_BUFFER_BUDGET = 32 * 1024 * 1024

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNITS = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0
}  # fmt: skip


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string (`10s`, `1m30s`, `500ms`); None when malformed."""
    if not text or len(text) > 64:
        return None
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or pos == 0:
        return None
    return total


@dataclass(slots=True)
class Runtime:
    """Everything a request needs; built once by the server."""

    settings: Settings
    sources: Sources
    metrics: Metrics
    logger: JsonLogger
    default_timeout: float = 10.0
    blocking_sources: bool = False  # decisions may block (API calls): run them in a thread
    readiness: Sequence[tuple[str, Callable[[], bool]]] = field(default_factory=tuple)
    budget: ByteBudget = field(default_factory=lambda: ByteBudget(DEFAULT_BUFFER_BUDGET))

    def not_ready(self) -> list[str]:
        return [name for name, check in self.readiness if not check()]


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class _Busy(Exception):
    pass


class _Body:
    """A request body being read, and the bytes of the shared budget it holds."""

    def __init__(self, budget: ByteBudget) -> None:
        self.budget = budget
        self.held = 0

    async def read(self, receive: Receive, cap: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            body = message.get("body", b"")
            size += len(body)
            if size > cap:
                raise _TooLarge
            need = size - FREE_BODY_BYTES - self.held
            if need > 0:
                if not await self.budget.acquire(need, BUDGET_WAIT):
                    raise _Busy
                self.held += need
            chunks.append(body)
            if not message.get("more_body"):
                return b"".join(chunks)

    def release(self) -> None:
        self.budget.release(self.held)
        self.held = 0


async def _send(
    send: Send,
    status: int,
    body: bytes,
    content_type: str = "text/plain; charset=utf-8",
    *,
    close: bool = False,
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def _is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def _timeout(scope: Scope, default: float) -> float:
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "timeout":
            seconds = parse_go_duration(value)
            if seconds is not None and seconds > 0:
                return min(seconds, MAX_TIMEOUT)
    return default


class WebhookApp:
    """The ASGI callable."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path in ("/mutate", "/validate"):
            if method != "POST":
                await _send(send, 405, b"use POST\n", extra=[(b"allow", b"POST")])
                return
            await self._admission(path[1:], scope, receive, send)
            return
        if path in ("/healthz", "/readyz", "/metrics"):
            if method not in ("GET", "HEAD"):
                await _send(send, 405, b"use GET\n", extra=[(b"allow", b"GET, HEAD")])
                return
            await self._probe(path, send)
            return
        await _send(
            send,
            404,
            b"not found: podgate serves POST /mutate and /validate, "
            b"GET /healthz, /readyz and /metrics\n",
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _probe(self, path: str, send: Send) -> None:
        rt = self.runtime
        if path == "/healthz":
            await _send(send, 200, b"ok\n")
            return
        if path == "/readyz":
            missing = rt.not_ready()
            rt.metrics.ready.set(0 if missing else 1)
            if missing:
                await _send(send, 503, f"not ready: {', '.join(missing)}\n".encode())
            else:
                await _send(send, 200, b"ok\n")
            return
        source = rt.sources.policies
        policies = source.current() if source is not None else None
        if policies is not None:
            rt.metrics.policies.labels("usable").set(len(policies.providers))
            rt.metrics.policies.labels("unusable").set(len(policies.unusable))
        counts = getattr(source, "counts", None)  # the cluster watcher: Compiled/Invalid/Disabled
        if callable(counts):
            for status, n in counts().items():
                rt.metrics.policies.labels(status).set(n)
        rt.metrics.ready.set(0 if rt.not_ready() else 1)
        await _send(send, 200, rt.metrics.render(), CONTENT_TYPE)

    async def _admission(self, webhook: str, scope: Scope, receive: Receive, send: Send) -> None:
        rt = self.runtime
        started = time.monotonic()
        content_type = _header(scope, b"content-type")
        if not _is_json(content_type):
            rt.metrics.errors.labels("true", "http").inc()
            message = f"Content-Type must be application/json, got {content_type!r}\n"
            await _send(send, 400, message.encode(), close=True)
            return
        length = _header(scope, b"content-length")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            await self._too_large(send)
            return
        reading = _Body(rt.budget)
        try:
            await self._read_and_answer(webhook, scope, receive, send, reading, started)
        finally:
            reading.release()

    async def _read_and_answer(
        self,
        webhook: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        reading: _Body,
        started: float,
    ) -> None:
        rt = self.runtime
        budget = _timeout(scope, rt.default_timeout) * DEADLINE_SHARE
        deadline = started + budget
        try:
            body = await asyncio.wait_for(reading.read(receive, MAX_BODY_BYTES), budget)
        except _TooLarge:
            await self._too_large(send)
            return
        except _Busy:
            rt.metrics.errors.labels("true", "busy").inc()
            busy = b"too many request bytes in flight; retry\n"
            await _send(send, 429, busy, close=True, extra=[(b"retry-after", b"1")])
            return
        except _Disconnected:
            return
        except TimeoutError:
            rt.metrics.errors.labels("true", "deadline").inc()
            message = f"podgate: the request body did not arrive within {budget:.3g}s"
            self._failed(webhook, message, started)
            await self._answer(
                webhook, send, failure("", rt.settings.on_error, message), started, True
            )
            return
        if not body:
            rt.metrics.errors.labels("true", "http").inc()
            await _send(send, 400, b"request body is empty\n", close=True)
            return
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as e:
            rt.metrics.errors.labels("true", "decode").inc()
            message = undecodable(body, str(e))
            response = failure("", rt.settings.on_error, message, code=400)
            self._failed(webhook, message, started)
            await self._answer(webhook, send, response, started)
            return
        outcome = await self._decide(webhook, doc, deadline, budget)
        self._record(webhook, outcome, time.monotonic() - started)
        await self._answer(webhook, send, outcome.response, started)

    async def _too_large(self, send: Send) -> None:
        self.runtime.metrics.errors.labels("true", "http").inc()
        message = f"request entity is too large; limit is {MAX_BODY_BYTES} bytes\n"
        await _send(send, 413, message.encode(), close=True)

    async def _decide(self, webhook: str, doc: Any, deadline: float, budget: float) -> Outcome:
        rt = self.runtime

        def run() -> Outcome:  # API lookups wait at most the time this request has left
            return decide(webhook, doc, rt.settings, rt.sources, deadline=deadline)

        if not rt.blocking_sources:
            return run()
        loop = asyncio.get_running_loop()
        remaining = max(deadline - time.monotonic(), 0.0)
        try:
            return await asyncio.wait_for(loop.run_in_executor(None, run), remaining)
        except TimeoutError:
            uid = uid_of(doc)
            message = f"podgate: no decision within the request's deadline ({budget:.3g}s)"
            failed = failure(uid, rt.settings.on_error, message)
            return Outcome(uid, failed, errors=(("deadline", True),))

    async def _answer(
        self,
        webhook: str,
        send: Send,
        response: Mapping[str, Any],
        started: float,
        close: bool = False,
    ) -> None:
        review = {
            "apiVersion": ADMISSION_VERSION,
            "kind": "AdmissionReview",
            "response": clip_response(response),
        }
        await _send(send, 200, orjson.dumps(review), "application/json", close=close)

    def _failed(self, webhook: str, message: str, started: float) -> None:
        rt = self.runtime
        allowed = rt.settings.on_error == "allow"
        latency = time.monotonic() - started
        rt.metrics.duration.labels(webhook, "", "true" if allowed else "false").observe(latency)
        rt.logger.log(
            "Failed to read AdmissionReview",
            webhook=webhook,
            err=message,
            allowed=allowed,
            latency=round(latency, 6),
        )

    def _record(self, webhook: str, outcome: Outcome, latency: float) -> None:
        rt = self.runtime
        m = rt.metrics
        allowed = "true" if outcome.allowed else "false"
        operation = outcome.operation.lower()
        dry_run = "true" if outcome.dry_run else "false"
        # label values from the request are bounded: a known set, else "other"
        resource = resource_label(outcome.resource)
        subresource = subresource_label(outcome.subresource)
        m.child(m.requests, webhook, operation, resource, subresource, allowed, dry_run).inc()
        m.child(m.duration, webhook, operation, allowed).observe(latency)
        for e in outcome.evaluations:
            m.child(m.evaluations, e.engine, e.policy, e.decision, e.mode, operation).inc()
        if outcome.exemption:
            m.child(m.exemptions, outcome.exemption).inc()
        if outcome.would_deny:
            m.child(m.would_deny, webhook, operation, resource).inc()
        for stage, fatal in outcome.errors:
            m.child(m.errors, "true" if fatal else "false", stage).inc()
        kind = outcome.kind or "request"
        if outcome.would_deny:
            msg = f"Would have denied {kind.lower()}"
        elif outcome.exemption == "namespace":
            msg = f"Exempted {kind.lower()}"
        else:
            msg = f"{'Allowed' if outcome.allowed else 'Denied'} {kind.lower()}"
        fields: dict[str, Any] = {
            "webhook": webhook,
            "uid": outcome.uid,
            "operation": outcome.operation,
            "kind": outcome.kind,
            "resource": outcome.resource,
            "subResource": outcome.subresource,
            "pod" if outcome.kind == "Pod" else "object": {
                "name": outcome.name,
                "namespace": outcome.namespace,
            },
            "user": outcome.user,
            "dryRun": outcome.dry_run,
            "allowed": outcome.allowed,
            "policy": outcome.policy,
            "pss": outcome.pss_policy,
            "mode": rt.settings.mode,
            "latency": round(latency, 6),
        }
        if outcome.note:
            fields["note"] = outcome.note
        status = outcome.response.get("status")
        if isinstance(status, Mapping):
            fields["code"] = status.get("code")
        if outcome.errors:
            fields["err"] = str(outcome.response.get("auditAnnotations", {}).get("error", ""))
        if rt.logger.verbosity >= 1:
            if isinstance(status, Mapping):
                fields["message"] = status.get("message")
            if outcome.would_deny:
                fields["wouldDeny"] = outcome.would_deny
        rt.logger.log(msg, **fields)
