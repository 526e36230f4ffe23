"""Pod Security Admission around the checks: which requests are evaluated and how (spec §6.3, §7,
§8, §9 with the errata), as values.

`admit(request, ...)` routes one admission request as upstream's `Admission.Validate` does:

* `namespaces`: label validation on CREATE/UPDATE, and on an UPDATE that tightens enforce, the
  evaluation of the namespace's existing pods (`evaluate_pods_in_namespace`, shared with scanners);
* `pods`: enforce, audit and warn; ignored subresources (exec, attach, binding, eviction, log,
  portforward, proxy, status) pass untouched, every other one (ephemeralcontainers, resize...) is
  evaluated as a Pod; insignificant UPDATEs pass untouched once past exemptions and the short cut;
* anything else (a workload, "pod controller"): audit and warn on the pod template, never denied.

Requests that are neither CREATE nor UPDATE are allowed untouched here (upstream filters them in
its two integrations, not in the library: errata D7).

The core does no I/O: the namespace of a request and the pods of a namespace come from callables
the caller gives (an API client, an informer, or objects read from files), and the namespace flow's
time budget is a `deadline_passed` callable. Results are values: allowed, the status of a denial,
the warnings, the bare audit annotation keys (§9; the integration adds its prefix) and metric
events (§10).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from podgate.errors import PodgateError
from podgate.k8s import Obj, mapping, sequence
from podgate.k8s.field import FieldError
from podgate.k8s.gotext import go_quote
from podgate.pss import (
    AUDIT_VIOLATIONS_KEY,
    Level,
    LevelVersion,
    Version,
    Violation,
    evaluate,
    forbidden_message,
    forbidden_reason,
    warning_message,
)
from podgate.pss.config import DEFAULT_CONFIGURATION, PodSecurityConfiguration
from podgate.pss.labels import (
    AUDIT_LEVEL_LABEL,
    AUDIT_VERSION_LABEL,
    ENFORCE_LEVEL_LABEL,
    ENFORCE_VERSION_LABEL,
    PRIVILEGED_LATEST,
    WARN_LEVEL_LABEL,
    WARN_VERSION_LABEL,
    Mode,
    Policy,
    ResolvedPolicy,
    aggregate,
    compare_levels,
    resolve_labels,
)

__all__ = [
    "AUDIT_VIOLATIONS_ANNOTATION",
    "ENFORCE_POLICY_ANNOTATION",
    "ERROR_ANNOTATION",
    "EXEMPT_ANNOTATION",
    "IGNORED_POD_SUBRESOURCES",
    "LIST_PODS_FAILED",
    "MAX_PODS_TO_CHECK",
    "POD_CHECK_TIMEOUT",
    "AdmissionRequest",
    "AdmissionResult",
    "Cause",
    "ClusterReadError",
    "Evaluator",
    "GroupVersionKind",
    "MetricEvent",
    "MetricKind",
    "NamespaceGetter",
    "Operation",
    "PodLister",
    "Status",
    "admit",
    "evaluate_pod",
    "evaluate_pods_in_namespace",
    "exempt_namespace_warning",
    "extract_pod_template",
    "is_significant_pod_update",
    "pod_check_timeout",
    "request_for",
]

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


def _forbidden_status(
    request: AdmissionRequest, lv: LevelVersion, violations: Sequence[Violation]
) -> Status:
    # apierrors.NewForbidden(GroupResource, name, err); the subresource is dropped
    resource = f"{request.resource}.{request.group}" if request.group else request.resource
    message = forbidden_message(request.name, lv, violations, resource)
    return Status(
        403, "Forbidden", message, group=request.group, kind=request.resource, name=request.name
    )


def _bad_request(message: str, cause: str = "") -> AdmissionResult:
    """upstream errorResponse(err, BadRequest): refused 400, annotation `error` with the cause."""
    annotation = f"{message}: {cause}" if cause else message
    return AdmissionResult(
        False, Status(400, "BadRequest", message), audit_annotations={ERROR_ANNOTATION: annotation}
    )


def _invalid(request: AdmissionRequest, name: str, errors: Sequence[FieldError]) -> AdmissionResult:
    kind = request.kind.kind or "Namespace"
    qualified = f"{kind}.{request.kind.group}" if request.kind.group else kind
    causes = tuple(Cause("FieldValueInvalid", str(e)[len(e.field) + 2 :], e.field) for e in errors)
    message = f"{qualified} {go_quote(name)} is invalid: {aggregate(errors)}"
    status = Status(
        422, "Invalid", message, group=request.kind.group, kind=kind, name=name, causes=causes
    )
    return AdmissionResult(False, status)


_ALLOWED = AdmissionResult(True)


def _exempt(reason: str) -> AdmissionResult:
    return AdmissionResult(
        True,
        audit_annotations={EXEMPT_ANNOTATION: reason},
        metrics=(MetricEvent(MetricKind.EXEMPTION),),
    )


# -- objects ---------------------------------------------------------------------------------------

# kind -> path from the object to its pod template (metadata + spec), as DefaultPodSpecExtractor
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "PodTemplate": ("template",),
    "ReplicationController": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Deployment": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


def extract_pod_template(kind: str, obj: Obj) -> tuple[Obj, Obj] | None:
    """(metadata, spec) that PSA evaluates for an object of this kind: a Pod's own, a workload's
    pod template's; None when a ReplicationController has no template (nothing is evaluated).

    Like upstream's typed extractor, a missing template of any other kind is an empty pod.
    Raises ValueError for a kind that has no pod template.
    """
    if kind == "Pod":
        return mapping(obj.get("metadata")), mapping(obj.get("spec"))
    path = _TEMPLATES.get(kind)
    if path is None:
        raise ValueError(f"unexpected object type: {kind}")
    node: Any = obj
    for key in path:
        node = mapping(node).get(key)
    if node is None and kind == "ReplicationController":
        return None
    template = mapping(node)
    return mapping(template.get("metadata")), mapping(template.get("spec"))


def _containers_of(spec: Obj, name: str) -> list[Obj]:
    return [mapping(c) for c in sequence(spec.get(name))]


def is_significant_pod_update(pod: Obj, old_pod: Obj) -> bool:
    """Whether a Pod UPDATE must be evaluated (upstream `isSignificantPodUpdate`): the number of
    containers or init containers changed, an image at the same index changed, or an ephemeral
    container is new or changed image (matched by name). Nothing else counts."""
    spec, old = mapping(pod.get("spec")), mapping(old_pod.get("spec"))
    for name in ("containers", "initContainers"):
        new_list, old_list = _containers_of(spec, name), _containers_of(old, name)
        if len(new_list) != len(old_list):
            return True
        if any(_image(a) != _image(b) for a, b in zip(new_list, old_list, strict=True)):
            return True
    old_ephemeral: dict[str, Obj] = {}
    for c in _containers_of(old, "ephemeralContainers"):
        old_ephemeral.setdefault(_str(c.get("name")), c)
    for c in _containers_of(spec, "ephemeralContainers"):
        before = old_ephemeral.get(_str(c.get("name")))
        if before is None or _image(c) != _image(before):
            return True
    return False


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _image(container: Obj) -> str:
    return _str(container.get("image"))


def _labels(obj: Obj) -> Mapping[str, Any]:
    return mapping(mapping(obj.get("metadata")).get("labels"))


# -- evaluation ------------------------------------------------------------------------------------


def _run(evaluator: Evaluator, lv: LevelVersion, meta: Obj, spec: Obj) -> tuple[Violation, ...]:
    if lv.level == Level.PRIVILEGED:
        return ()
    return tuple(evaluator(lv.level, lv.version, meta, spec))


def evaluate_pod(
    resolved: ResolvedPolicy,
    meta: Obj,
    spec: Obj,
    *,
    request: AdmissionRequest,
    enforce: bool,
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION,
    evaluator: Evaluator = evaluate,
) -> AdmissionResult:
    """Upstream `EvaluatePod`: runtime-class exemption, label errors, then enforce (Pods only),
    audit and, while still allowed, warn, each (level, version) evaluated once."""
    if config.exemptions.runtime_class(spec.get("runtimeClassName")):
        return _exempt("runtimeClass")
    policy = resolved.policy
    annotations: dict[str, str] = {}
    metrics: list[MetricEvent] = []
    if resolved.errors:
        annotations[ERROR_ANNOTATION] = f"Failed to parse policy: {resolved.error_text}"
        metrics.append(MetricEvent(MetricKind.ERROR, fatal=False))
    cache: dict[LevelVersion, tuple[Violation, ...]] = {}
    status: Status | None = None
    if enforce:
        annotations[ENFORCE_POLICY_ANNOTATION] = str(policy.enforce)
        found = cache[policy.enforce] = _run(evaluator, policy.enforce, meta, spec)
        if found:
            status = _forbidden_status(request, policy.enforce, found)
        decision = "deny" if found else "allow"
        metrics.append(MetricEvent(MetricKind.EVALUATION, decision, policy.enforce, Mode.ENFORCE))
    audit = cache.get(policy.audit)
    if audit is None:
        audit = cache[policy.audit] = _run(evaluator, policy.audit, meta, spec)
    if audit:
        annotations[AUDIT_VIOLATIONS_ANNOTATION] = warning_message(policy.audit, audit)
        metrics.append(MetricEvent(MetricKind.EVALUATION, "deny", policy.audit, Mode.AUDIT))
    warnings: tuple[str, ...] = ()
    if status is None:
        warn = cache.get(policy.warn)
        if warn is None:
            warn = _run(evaluator, policy.warn, meta, spec)
        if warn:
            warnings = (warning_message(policy.warn, warn),)
            metrics.append(MetricEvent(MetricKind.EVALUATION, "deny", policy.warn, Mode.WARN))
    return AdmissionResult(status is None, status, warnings, annotations, tuple(metrics))


def _lookup(
    request: AdmissionRequest, get_namespace: NamespaceGetter | None
) -> tuple[Obj | None, str]:
    if get_namespace is None:
        return None, "no namespace getter"
    try:
        return get_namespace(request.namespace), ""
    except ClusterReadError as e:
        return None, str(e)


def _is_kind(obj: Obj | None, kind: str) -> bool:
    if not isinstance(obj, Mapping):
        return False
    found = obj.get("kind")
    return found is None or found == kind


def _admit_pod(
    request: AdmissionRequest,
    config: PodSecurityConfiguration,
    get_namespace: NamespaceGetter | None,
    evaluator: Evaluator,
) -> AdmissionResult:
    if request.subresource in IGNORED_POD_SUBRESOURCES:
        return _ALLOWED
    if config.exemptions.namespace(request.namespace):
        return _exempt("namespace")
    if config.exemptions.user(request.username):
        return _exempt("user")
    namespace, cause = _lookup(request, get_namespace)
    if namespace is None:
        err = f"failed to lookup namespace {go_quote(request.namespace)}"
        message = f"Internal error occurred: {err}"
        return AdmissionResult(
            False,
            Status(500, "InternalError", message, causes=(Cause(message=err),)),
            audit_annotations={ERROR_ANNOTATION: f"{message}: {cause}"},
            metrics=(MetricEvent(MetricKind.ERROR, fatal=True),),
        )
    resolved = resolve_labels(_labels(namespace), config.defaults)
    if resolved.ok and resolved.policy.fully_privileged:
        return AdmissionResult(
            True,
            audit_annotations={ENFORCE_POLICY_ANNOTATION: str(PRIVILEGED_LATEST)},
            metrics=(
                MetricEvent(MetricKind.EVALUATION, "allow", resolved.policy.enforce, Mode.ENFORCE),
            ),
        )
    failed = _pod_decode_failure(request)
    if failed is not None:
        return failed
    pod = mapping(request.object)
    if request.operation == Operation.UPDATE and not is_significant_pod_update(
        pod, mapping(request.old_object)
    ):
        return _ALLOWED
    meta, spec = mapping(pod.get("metadata")), mapping(pod.get("spec"))
    return evaluate_pod(
        resolved, meta, spec, request=request, enforce=True, config=config, evaluator=evaluator
    )


def _with_fatal_error(result: AdmissionResult) -> AdmissionResult:
    return AdmissionResult(
        result.allowed,
        result.status,
        result.warnings,
        result.audit_annotations,
        (*result.metrics, MetricEvent(MetricKind.ERROR, fatal=True)),
    )


def _pod_decode_failure(request: AdmissionRequest) -> AdmissionResult | None:
    if request.object_error:
        return _with_fatal_error(_bad_request("failed to decode object", request.object_error))
    if not _is_kind(request.object, "Pod"):
        return _with_fatal_error(_bad_request("failed to decode pod"))
    if request.operation == Operation.UPDATE:
        if request.old_object_error:
            return _with_fatal_error(
                _bad_request("failed to decode old object", request.old_object_error)
            )
        if not _is_kind(request.old_object, "Pod"):
            return _with_fatal_error(_bad_request("failed to decode old pod"))
    return None


def _allowed_with_error(text: str) -> AdmissionResult:
    return AdmissionResult(
        True,
        audit_annotations={ERROR_ANNOTATION: text},
        metrics=(MetricEvent(MetricKind.ERROR, fatal=True),),
    )


def _admit_workload(
    request: AdmissionRequest,
    config: PodSecurityConfiguration,
    get_namespace: NamespaceGetter | None,
    evaluator: Evaluator,
) -> AdmissionResult:
    if request.subresource:
        return _ALLOWED
    if config.exemptions.namespace(request.namespace):
        return _exempt("namespace")
    if config.exemptions.user(request.username):
        return _exempt("user")
    namespace, cause = _lookup(request, get_namespace)
    if namespace is None:
        return _allowed_with_error(
            f"failed to lookup namespace {go_quote(request.namespace)}: {cause}"
        )
    resolved = resolve_labels(_labels(namespace), config.defaults)
    policy = resolved.policy
    if resolved.ok and Level.PRIVILEGED == policy.warn.level == policy.audit.level:
        return _ALLOWED
    if request.object_error or not isinstance(request.object, Mapping):
        return _allowed_with_error(
            f"failed to decode object: {request.object_error or 'no object'}"
        )
    obj = request.object
    kind = request.kind.kind or _str(obj.get("kind"))
    try:
        template = extract_pod_template(kind, obj)
    except ValueError:
        gvk = request.kind if request.kind.kind else GroupVersionKind("", "", kind)
        return _allowed_with_error(f"failed to extract pod template: unexpected object type: {gvk}")
    if template is None:
        return _ALLOWED
    meta, spec = template
    return evaluate_pod(
        resolved, meta, spec, request=request, enforce=False, config=config, evaluator=evaluator
    )


# -- namespaces ------------------------------------------------------------------------------------


def exempt_namespace_warning(
    name: str, policy: Policy, labels: Mapping[str, Any], defaults: Policy
) -> str:
    """The warning for labels on an exempt namespace; "" when the policy is fully privileged or
    equivalent to the defaults. Lists the non-privileged modes with a level or version label
    (possibly none: `policy () will be ignored`, errata C4)."""
    if policy.fully_privileged or policy.equivalent(defaults):
        return ""
    modes = []
    for mode, level_key, version_key in (
        (Mode.ENFORCE, ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL),
        (Mode.AUDIT, AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL),
        (Mode.WARN, WARN_LEVEL_LABEL, WARN_VERSION_LABEL),
    ):
        lv = policy.of(mode)
        if lv.level != Level.PRIVILEGED and (level_key in labels or version_key in labels):
            modes.append(f"{mode}={lv}")
    return (
        f"namespace {go_quote(name)} is exempt from Pod Security, "
        f"and the policy ({', '.join(modes)}) will be ignored"
    )


def _exempt_namespace_result(
    name: str, resolved: ResolvedPolicy, labels: Mapping[str, Any], defaults: Policy
) -> AdmissionResult:
    warning = exempt_namespace_warning(name, resolved.policy, labels, defaults)
    return AdmissionResult(True, warnings=(warning,)) if warning else _ALLOWED


def _admit_namespace(
    request: AdmissionRequest,
    config: PodSecurityConfiguration,
    list_pods: PodLister | None,
    deadline_passed: Callable[[], bool],
    evaluator: Evaluator,
) -> AdmissionResult:
    if request.subresource:
        return _ALLOWED
    if request.object_error:
        return _bad_request("failed to decode object", request.object_error)
    if not _is_kind(request.object, "Namespace"):
        return _bad_request("failed to decode namespace")
    namespace = mapping(request.object)
    name = _str(mapping(namespace.get("metadata")).get("name"))
    labels = _labels(namespace)
    new = resolve_labels(labels, config.defaults)
    if request.operation == Operation.CREATE:
        if new.errors:
            return _invalid(request, name, new.errors)
        if config.exemptions.namespace(request.namespace):
            return _exempt_namespace_result(name, new, labels, config.defaults)
        return _ALLOWED
    if request.operation != Operation.UPDATE:
        return _ALLOWED
    if request.old_object_error:  # upstream's text has two spaces (errata D2)
        return _bad_request("failed to decode  old object", request.old_object_error)
    if not _is_kind(request.old_object, "Namespace"):
        return _bad_request("failed to decode  old namespace")
    old = resolve_labels(_labels(mapping(request.old_object)), config.defaults)
    if new.errors and (not old.errors or new.errors != old.errors):
        return _invalid(request, name, new.errors)
    before, after = old.policy.enforce, new.policy.enforce
    if (
        after == before
        or after.level == Level.PRIVILEGED
        or (after.version == before.version and compare_levels(after.level, before.level) < 1)
    ):
        return _ALLOWED
    if config.exemptions.namespace(request.namespace):
        return _exempt_namespace_result(name, new, labels, config.defaults)
    try:
        pods = list_pods(name) if list_pods is not None else None
    except ClusterReadError:
        pods = None
    warnings = evaluate_pods_in_namespace(
        name,
        after,
        pods,
        config=config,
        deadline_passed=deadline_passed,
        evaluator=evaluator,
    )
    return AdmissionResult(True, warnings=warnings)


def pod_check_timeout(remaining: float | None, timeout: float = POD_CHECK_TIMEOUT) -> float:
    """The namespace flow's budget in seconds: `timeout`, or half the request's remaining time
    when that is shorter (a deadline already past gives a budget <= 0: listing fails at once)."""
    if remaining is None:
        return timeout
    return min(timeout, remaining / 2)


def _never() -> bool:
    return False


def _controller_uid(pod: Obj) -> str | None:
    for ref in sequence(mapping(pod.get("metadata")).get("ownerReferences")):
        ref = mapping(ref)
        if ref.get("controller") is True:
            return _str(ref.get("uid"))
    return None


def _prioritize(pods: Sequence[Obj], config: PodSecurityConfiguration) -> list[Obj]:
    first: list[Obj] = []
    replicas: list[Obj] = []
    seen: set[str] = set()
    for pod in pods:
        if config.exemptions.runtime_class(mapping(pod.get("spec")).get("runtimeClassName")):
            continue
        uid = _controller_uid(pod)
        if uid is None:
            first.append(pod)
        elif uid in seen:
            replicas.append(pod)
        else:
            seen.add(uid)
            first.append(pod)
    return first + replicas


def evaluate_pods_in_namespace(
    namespace: str,
    enforce: LevelVersion,
    pods: Sequence[Obj] | None,
    *,
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION,
    max_pods: int = MAX_PODS_TO_CHECK,
    deadline_passed: Callable[[], bool] = _never,
    evaluator: Evaluator = evaluate,
) -> tuple[str, ...]:
    """The warnings for existing pods under a new enforce level (spec §8, upstream
    `EvaluatePodsInNamespace`); `pods` None means listing them failed (or timed out).

    Runtime-class-exempt pods are dropped (and not counted); pods without a controller and the
    first pod of each controller come first; at most `max_pods` are evaluated, and evaluation stops
    once `deadline_passed()` (asked after each pod). Failing pods are grouped by their reasons.
    """
    if pods is None:
        return (LIST_PODS_FAILED,)
    ordered = _prioritize(pods, config)
    total = len(ordered)
    if total > max_pods:
        ordered = ordered[:max_pods]
    checked = len(ordered)
    groups: dict[str, list[Any]] = {}  # reasons -> [smallest name, count]
    for i, pod in enumerate(ordered):
        meta, spec = mapping(pod.get("metadata")), mapping(pod.get("spec"))
        found = _run(evaluator, enforce, meta, spec)
        if found:
            reasons = forbidden_reason(found)
            name = _str(meta.get("name"))
            group = groups.get(reasons)
            if group is None:
                groups[reasons] = [name, 1]
            else:
                group[0] = min(group[0], name)
                group[1] += 1
        if deadline_passed():
            checked = i + 1
            break
    warnings: list[str] = []
    if checked < total:
        warnings.append(
            f"new PodSecurity enforce level only checked against the first {checked} of {total} "
            "existing pods"
        )
    if groups:
        warnings.append(
            f"existing pods in namespace {go_quote(namespace)} violate the new PodSecurity "
            f"enforce level {go_quote(str(enforce))}"
        )
    lines = []
    for reasons, (name, count) in groups.items():
        if count == 1:
            lines.append(f"{name}: {reasons}")
        elif count == 2:
            lines.append(f"{name} (and 1 other pod): {reasons}")
        else:
            lines.append(f"{name} (and {count - 1} other pods): {reasons}")
    lines.sort()  # byte order for ASCII; Go sorts UTF-8 bytes, the same order as code points
    return (*warnings, *lines)


# -- routing ---------------------------------------------------------------------------------------

# kind -> (group, resource) of the kinds PSA routes
_RESOURCES: dict[str, tuple[str, str]] = {
    "Pod": ("", "pods"),
    "Namespace": ("", "namespaces"),
    "PodTemplate": ("", "podtemplates"),
    "ReplicationController": ("", "replicationcontrollers"),
    "ReplicaSet": ("apps", "replicasets"),
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
}


def request_for(
    obj: Obj,
    *,
    operation: Operation = Operation.CREATE,
    old_object: Obj | None = None,
    subresource: str = "",
    username: str = "",
    namespace: str | None = None,
) -> AdmissionRequest:
    """The request that creating (or updating) this object sends, for scanners and tests: group,
    resource and kind from `apiVersion`/`kind` (an unknown kind gets the lower-case plural as
    resource); the namespace from the object unless given (a Namespace's own name, as the API
    server sets it)."""
    kind = _str(obj.get("kind"))
    api_version = _str(obj.get("apiVersion"))
    group, _, version = api_version.rpartition("/")
    meta = mapping(obj.get("metadata"))
    name = _str(meta.get("name"))
    group_resource = _RESOURCES.get(kind, (group, kind.lower() + "s"))
    if namespace is None:
        namespace = name if kind == "Namespace" else _str(meta.get("namespace"))
    return AdmissionRequest(
        operation=operation,
        resource=group_resource[1],
        group=group_resource[0],
        kind=GroupVersionKind(group, version, kind),
        subresource=subresource,
        namespace=namespace,
        name=name,
        username=username,
        object=obj,
        old_object=old_object,
    )


def admit(
    request: AdmissionRequest,
    *,
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION,
    get_namespace: NamespaceGetter | None = None,
    list_pods: PodLister | None = None,
    deadline_passed: Callable[[], bool] = _never,
    evaluator: Evaluator = evaluate,
) -> AdmissionResult:
    """Admit one request as Pod Security Admission would (upstream `Admission.Validate`).

    `get_namespace(name)` returns the request's Namespace (raise ClusterReadError when it cannot);
    `list_pods(namespace)` the pods for the namespace flow, whose evaluation loop stops when
    `deadline_passed()` (budget: `pod_check_timeout`). Operations other than CREATE and UPDATE are
    allowed untouched.
    """
    if request.operation not in (Operation.CREATE, Operation.UPDATE):
        return _ALLOWED
    if request.group == "" and request.resource == "namespaces":
        return _admit_namespace(request, config, list_pods, deadline_passed, evaluator)
    if request.group == "" and request.resource == "pods":
        return _admit_pod(request, config, get_namespace, evaluator)
    return _admit_workload(request, config, get_namespace, evaluator)
