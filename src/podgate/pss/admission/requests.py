"""Pod Security Admission's requests and answers as values: the request routed, the `metav1.Status`
of a refusal, the metric events, the result; and the answers every flow gives (a bad request, an
invalid object, an exemption, allowed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from podgate.errors import PodgateError
from podgate.k8s import Obj
from podgate.k8s.field import FieldError
from podgate.k8s.gotext import go_quote
from podgate.pss import (
    AUDIT_VIOLATIONS_KEY,
    Level,
    LevelVersion,
    Version,
    Violation,
    forbidden_message,
)
from podgate.pss.labels import Mode, aggregate

ENFORCE_POLICY_ANNOTATION = "enforce-policy"
AUDIT_VIOLATIONS_ANNOTATION = AUDIT_VIOLATIONS_KEY
EXEMPT_ANNOTATION = "exempt"
ERROR_ANNOTATION = "error"

IGNORED_POD_SUBRESOURCES = frozenset(
    {"exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status"}
)
MAX_PODS_TO_CHECK = 3000
POD_CHECK_TIMEOUT = 1.0  # seconds
LIST_PODS_FAILED = "failed to list pods while checking new PodSecurity enforce level"


class Operation(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    CONNECT = "CONNECT"


@dataclass(frozen=True, slots=True)
class GroupVersionKind:
    """The kind of a request's object; `str()` is Go's `schema.GroupVersionKind.String()`."""

    group: str
    version: str
    kind: str

    def __str__(self) -> str:
        return f"{self.group}/{self.version}, Kind={self.kind}"


@dataclass(frozen=True, slots=True)
class AdmissionRequest:
    """One admission request, as a webhook's AdmissionReview or a scanner describes it.

    `resource` and `group` route the request (`pods`, `namespaces`, or a workload); `subresource` is
    the *requested* one. `object`/`old_object` are the decoded objects; an adapter that could not
    decode one passes None with the decoder's message in `object_error`/`old_object_error`.
    `groups` and `dry_run` are carried for callers: upstream decides on neither (a dry-run
    namespace UPDATE runs the namespace flow too, which is how `kubectl label --dry-run=server`
    previews a level).
    """

    operation: Operation
    resource: str
    group: str = ""
    kind: GroupVersionKind = GroupVersionKind("", "v1", "")
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    username: str = ""
    groups: tuple[str, ...] = ()
    object: Obj | None = None
    old_object: Obj | None = None
    object_error: str = ""
    old_object_error: str = ""
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class Cause:
    """A `metav1.StatusCause`."""

    type: str = ""
    message: str = ""
    field: str = ""


@dataclass(frozen=True, slots=True)
class Status:
    """The `metav1.Status` of a refused request (status `Failure`)."""

    code: int
    reason: str  # Forbidden, BadRequest, Invalid, InternalError
    message: str
    group: str = ""
    kind: str = ""
    name: str = ""
    causes: tuple[Cause, ...] = ()


class MetricKind(StrEnum):
    EVALUATION = "evaluation"
    EXEMPTION = "exemption"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class MetricEvent:
    """One increment of an upstream counter (spec §10); the recorder adds the request labels."""

    kind: MetricKind
    decision: str = ""  # evaluations: allow | deny
    policy: LevelVersion | None = None  # evaluations
    mode: Mode | None = None  # evaluations
    fatal: bool = False  # errors


@dataclass(frozen=True, slots=True)
class AdmissionResult:
    """The answer to one request. `status` is set exactly when it is refused. Results may be
    shared between requests, so the annotations are a read-only mapping."""

    allowed: bool
    status: Status | None = None
    warnings: tuple[str, ...] = ()
    audit_annotations: Mapping[str, str] = field(default_factory=dict)
    metrics: tuple[MetricEvent, ...] = ()

    def __post_init__(self) -> None:
        read_only = MappingProxyType(dict(self.audit_annotations))
        object.__setattr__(self, "audit_annotations", read_only)

    @property
    def message(self) -> str:
        return self.status.message if self.status is not None else ""


Evaluator = Callable[[Level, Version, Obj, Obj], Sequence[Violation]]
"""`(level, version, meta, spec) -> violations`, as `podgate.pss.evaluate`."""


class NamespaceGetter(Protocol):
    def __call__(self, name: str, /) -> Obj:
        """The Namespace object; raises ClusterReadError when it cannot be read."""
        ...


class PodLister(Protocol):
    def __call__(self, namespace: str, /) -> Sequence[Obj]:
        """The namespace's Pods; raises ClusterReadError (also for a timeout)."""
        ...


class ClusterReadError(PodgateError):
    """A namespace or pod list could not be read (raised by the getters callers pass in)."""


# -- responses -----------------------------------------------------------------------------------


def forbidden_status(
    request: AdmissionRequest, lv: LevelVersion, violations: Sequence[Violation]
) -> Status:
    # apierrors.NewForbidden(GroupResource, name, err); the subresource is dropped
    resource = f"{request.resource}.{request.group}" if request.group else request.resource
    message = forbidden_message(request.name, lv, violations, resource)
    return Status(
        403, "Forbidden", message, group=request.group, kind=request.resource, name=request.name
    )


def bad_request(message: str, cause: str = "") -> AdmissionResult:
    """upstream errorResponse(err, BadRequest): refused 400, annotation `error` with the cause."""
    annotation = f"{message}: {cause}" if cause else message
    return AdmissionResult(
        False, Status(400, "BadRequest", message), audit_annotations={ERROR_ANNOTATION: annotation}
    )


def invalid(request: AdmissionRequest, name: str, errors: Sequence[FieldError]) -> AdmissionResult:
    kind = request.kind.kind or "Namespace"
    qualified = f"{kind}.{request.kind.group}" if request.kind.group else kind
    causes = tuple(Cause("FieldValueInvalid", str(e)[len(e.field) + 2 :], e.field) for e in errors)
    message = f"{qualified} {go_quote(name)} is invalid: {aggregate(errors)}"
    status = Status(
        422, "Invalid", message, group=request.kind.group, kind=kind, name=name, causes=causes
    )
    return AdmissionResult(False, status)


ALLOWED = AdmissionResult(True)


def exempt(reason: str) -> AdmissionResult:
    return AdmissionResult(
        True,
        audit_annotations={EXEMPT_ANNOTATION: reason},
        metrics=(MetricEvent(MetricKind.EXEMPTION),),
    )


def with_fatal_error(result: AdmissionResult) -> AdmissionResult:
    """`result` with one more fatal error counted."""
    return AdmissionResult(
        result.allowed,
        result.status,
        result.warnings,
        result.audit_annotations,
        (*result.metrics, MetricEvent(MetricKind.ERROR, fatal=True)),
    )


def allowed_with_error(text: str) -> AdmissionResult:
    """Allowed, with the error annotated and counted (a workload is never denied)."""
    return AdmissionResult(
        True,
        audit_annotations={ERROR_ANNOTATION: text},
        metrics=(MetricEvent(MetricKind.ERROR, fatal=True),),
    )


# -- small helpers shared by the flows -------------------------------------------------------------


def text(value: Any) -> str:
    """`value` when it is a string, else ""."""
    return value if isinstance(value, str) else ""


def is_kind(obj: Obj | None, kind: str) -> bool:
    """Whether `obj` decodes as `kind` (a mapping whose kind is `kind` or unset)."""
    if not isinstance(obj, Mapping):
        return False
    found = obj.get("kind")
    return found is None or found == kind


def never() -> bool:
    return False


def run(evaluator: Evaluator, lv: LevelVersion, meta: Obj, spec: Obj) -> tuple[Violation, ...]:
    """The violations of (meta, spec) at `lv` (none at privileged, which checks nothing)."""
    if lv.level == Level.PRIVILEGED:
        return ()
    return tuple(evaluator(lv.level, lv.version, meta, spec))
