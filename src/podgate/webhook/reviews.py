"""The AdmissionReview `admission.k8s.io/v1` on the wire, as TypedDicts (webhook.md §1.2, §1.5;
the shapes kopf's `structs/reviews.py` gives them): what the API server sends, read by
`decode`, and what podgate answers, built by `encode`. Keys are camelCase as on the wire; a
response's keys are written in the order the API server's own types list them."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "ADMISSION_VERSION",
    "MUTATE",
    "VALIDATE",
    "Cause",
    "GroupVersionKind",
    "GroupVersionResource",
    "Operation",
    "Request",
    "Response",
    "ResponseReview",
    "Review",
    "Status",
    "StatusDetails",
    "UserInfo",
    "Webhook",
]

ADMISSION_VERSION = "admission.k8s.io/v1"
MUTATE = "mutate"
VALIDATE = "validate"

Webhook = Literal["mutate", "validate"]
Operation = Literal["CREATE", "UPDATE", "DELETE", "CONNECT"]


class GroupVersionKind(TypedDict, total=False):
    group: str
    version: str
    kind: str


class GroupVersionResource(TypedDict, total=False):
    group: str
    version: str
    resource: str


class UserInfo(TypedDict, total=False):
    username: str
    uid: str
    groups: list[str]
    extra: dict[str, list[str]]


class Request(TypedDict, total=False):
    """`request` of an AdmissionReview. Every field may be missing or of the wrong type in what
    arrives: `decode` checks each before a decision reads it."""

    uid: str
    kind: GroupVersionKind
    resource: GroupVersionResource
    subResource: str
    requestKind: GroupVersionKind
    requestResource: GroupVersionResource
    requestSubResource: str
    name: str
    namespace: str
    operation: Operation
    userInfo: UserInfo
    object: Any
    oldObject: Any
    dryRun: bool
    options: Any


class Review(TypedDict, total=False):
    """An AdmissionReview as sent: `request` set."""

    apiVersion: str
    kind: str
    request: Request


class Cause(TypedDict, total=False):
    """A `metav1.StatusCause`; empty fields are left out."""

    reason: str
    message: str
    field: str


class StatusDetails(TypedDict, total=False):
    name: str
    group: str
    kind: str
    causes: list[Cause]


class Status(TypedDict):
    """The `metav1.Status` of a refusal (`status` is always `Failure`)."""

    metadata: dict[str, Any]
    status: Literal["Failure"]
    message: str
    reason: str
    code: int
    details: NotRequired[StatusDetails]


class Response(TypedDict):
    """`response` of the AdmissionReview podgate answers."""

    uid: str
    allowed: bool
    status: NotRequired[Status]
    patchType: NotRequired[Literal["JSONPatch"]]
    patch: NotRequired[str]  # base64 of the JSON Patch
    warnings: NotRequired[list[str]]
    auditAnnotations: NotRequired[dict[str, str]]


class ResponseReview(TypedDict):
    apiVersion: str
    kind: Literal["AdmissionReview"]
    response: Response
