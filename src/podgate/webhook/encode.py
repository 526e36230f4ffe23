"""The AdmissionReview response podgate answers (`reviews.Response`): the status of a refusal, the
warnings as the API server will show them, the failure behaviour, the JSON Patch."""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import orjson

from podgate.pss.admission import AdmissionResult
from podgate.webhook.reviews import Cause, Response, Status, StatusDetails

__all__ = [
    "ERROR",
    "WARNING_ITEM_RUNES",
    "WARNING_TOTAL_RUNES",
    "failure",
    "pss_status",
    "response",
    "sanitize_warnings",
    "status",
]

ERROR = "error"  # the bare audit annotation key of an error

# apiserver warning limits (webhook.md §1.6, pkg/endpoints/filters/warning.go)
WARNING_TOTAL_RUNES = 4096
WARNING_ITEM_RUNES = 256


def _printable(text: str) -> str:
    """No control characters (the API server drops a warning with any): each becomes a space."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else " " for c in text)


def sanitize_warnings(warnings: Iterable[str]) -> list[str]:
    """Warnings as the API server will show them (webhook.md §1.6): control characters replaced,
    duplicates dropped, and once the total passes 4096 runes every warning cut to 256 and the
    rest dropped when the budget is spent."""
    out = list(dict.fromkeys(_printable(unicodedata.normalize("NFC", w)) for w in warnings if w))
    if sum(len(w) for w in out) <= WARNING_TOTAL_RUNES:
        return out
    kept: list[str] = []
    total = 0
    for w in out:
        w = w[: WARNING_ITEM_RUNES - 3] + "..." if len(w) > WARNING_ITEM_RUNES else w
        if total + len(w) > WARNING_TOTAL_RUNES:
            break
        kept.append(w)
        total += len(w)
    return kept


def status(code: int, reason: str, message: str, details: StatusDetails | None = None) -> Status:
    """A `metav1.Status` of a refusal."""
    out = Status(metadata={}, status="Failure", message=message, reason=reason, code=code)
    if details:
        out["details"] = details
    return out


OnError = Literal["deny", "allow"]
"""The failure behaviour (`serve --on-error`): what a review podgate cannot decide gets."""


def failure(uid: str, on_error: OnError, message: str, *, code: int = 500) -> Response:
    """The failure behaviour (`on_error`): deny (fail closed) or allow with an `error`
    annotation and a warning."""
    if on_error == "allow":
        return Response(
            uid=uid,
            allowed=True,
            warnings=sanitize_warnings([f"podgate failed open: {message}"]),
            auditAnnotations={ERROR: message},
        )
    reason = "BadRequest" if code == 400 else "InternalError"
    return Response(
        uid=uid,
        allowed=False,
        status=status(code, reason, message),
        auditAnnotations={ERROR: message},
    )


def pss_status(result: AdmissionResult) -> Status:
    """The status of a Pod Security Admission refusal, with its details as upstream sends them."""
    refusal = result.status
    if refusal is None:
        raise ValueError("an allowed Pod Security result has no status")
    details = StatusDetails()
    if refusal.name:
        details["name"] = refusal.name
    if refusal.group:
        details["group"] = refusal.group
    if refusal.kind:
        details["kind"] = refusal.kind
    if refusal.causes:
        details["causes"] = [_cause(c.type, c.message, c.field) for c in refusal.causes]
    return status(refusal.code, refusal.reason, refusal.message, details)


def _cause(reason: str, message: str, field: str) -> Cause:
    cause = Cause()
    if reason:
        cause["reason"] = reason
    if message:
        cause["message"] = message
    if field:
        cause["field"] = field
    return cause


def response(
    uid: str,
    *,
    allowed: bool,
    refusal: Status | None,
    patch: Sequence[Any] | None,
    warnings: Iterable[str],
    annotations: dict[str, str],
) -> Response:
    """The response of a decision (keys in the order the API server's type lists them)."""
    out = Response(uid=uid, allowed=allowed)
    if refusal is not None:
        out["status"] = refusal
    if patch:
        out["patchType"] = "JSONPatch"
        out["patch"] = base64.b64encode(orjson.dumps(patch)).decode("ascii")
    shown = sanitize_warnings(warnings)
    if shown:
        out["warnings"] = shown
    if annotations:
        out["auditAnnotations"] = annotations
    return out
