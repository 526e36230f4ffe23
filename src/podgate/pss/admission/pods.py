"""Pod Security Admission of Pods and of workloads (upstream `ValidatePod`, `ValidatePodController`,
`EvaluatePod`): what is evaluated of an object (its spec, or its pod template's), which Pod UPDATEs
count, and the enforce, audit and warn evaluations of one pod."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podgate.k8s import Obj, mapping, sequence
from podgate.k8s.gotext import go_quote
from podgate.k8s.kinds import WORKLOAD_KINDS
from podgate.pss import Level, LevelVersion, Violation, evaluate, warning_message
from podgate.pss import namespaces as ns_policy
from podgate.pss.admission.requests import (
    ALLOWED,
    AUDIT_VIOLATIONS_ANNOTATION,
    ENFORCE_POLICY_ANNOTATION,
    ERROR_ANNOTATION,
    IGNORED_POD_SUBRESOURCES,
    AdmissionRequest,
    AdmissionResult,
    Cause,
    ClusterReadError,
    Evaluator,
    GroupVersionKind,
    MetricEvent,
    MetricKind,
    NamespaceGetter,
    Operation,
    Status,
    allowed_with_error,
    bad_request,
    exempt,
    forbidden_status,
    is_kind,
    run,
    text,
    with_fatal_error,
)
from podgate.pss.config import DEFAULT_CONFIGURATION, PodSecurityConfiguration
from podgate.pss.labels import PRIVILEGED_LATEST, Mode, ResolvedPolicy

__all__ = [
    "admit_pod",
    "admit_workload",
    "evaluate_pod",
    "extract_pod_template",
    "is_significant_pod_update",
]

# kind -> path from the object to its pod template (metadata + spec), as DefaultPodSpecExtractor
_TEMPLATES: dict[str, tuple[str, ...]] = {k.kind: k.template for k in WORKLOAD_KINDS if k.template}


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
    """Whether a Pod UPDATE must be evaluated (upstream `isSignificantPodUpdate`): the pod's
    seccomp annotation changed, the number of containers or init containers changed, a
    container at the same index changed image or its seccomp annotation (keyed by the new
    container's name), or an ephemeral container is new (matched by name) or changed either.
    Nothing else counts."""
    new_notes = _annotations(pod)
    old_notes = _annotations(old_pod)
    if _note(new_notes, _SECCOMP_POD) != _note(old_notes, _SECCOMP_POD):
        return True
    spec, old = mapping(pod.get("spec")), mapping(old_pod.get("spec"))
    pairs: list[tuple[Obj, Obj]] = []
    for name in ("containers", "initContainers"):
        new_list, old_list = _containers_of(spec, name), _containers_of(old, name)
        if len(new_list) != len(old_list):
            return True
        pairs.extend(zip(new_list, old_list, strict=True))
    old_ephemeral: dict[str, Obj] = {}
    for c in _containers_of(old, "ephemeralContainers"):
        old_ephemeral.setdefault(text(c.get("name")), c)
    for c in _containers_of(spec, "ephemeralContainers"):
        before = old_ephemeral.get(text(c.get("name")))
        if before is None:
            return True
        pairs.append((c, before))
    for c, before in pairs:
        if _image(c) != _image(before):
            return True
        key = _SECCOMP_CONTAINER + text(c.get("name"))
        if _note(new_notes, key) != _note(old_notes, key):
            return True
    return False


_SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER = "container.seccomp.security.alpha.kubernetes.io/"


def _annotations(pod: Obj) -> Obj:
    return mapping(mapping(pod.get("metadata")).get("annotations"))


def _note(annotations: Obj, key: str) -> Any:
    """An annotation as Go's map lookup reads it: "" when absent."""
    value = annotations.get(key)
    return "" if value is None else value


def _image(container: Obj) -> str:
    return text(container.get("image"))


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
        return exempt("runtimeClass")
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
        found = cache[policy.enforce] = run(evaluator, policy.enforce, meta, spec)
        if found:
            status = forbidden_status(request, policy.enforce, found)
        decision = "deny" if found else "allow"
        metrics.append(MetricEvent(MetricKind.EVALUATION, decision, policy.enforce, Mode.ENFORCE))
    audit = cache.get(policy.audit)
    if audit is None:
        audit = cache[policy.audit] = run(evaluator, policy.audit, meta, spec)
    if audit:
        annotations[AUDIT_VIOLATIONS_ANNOTATION] = warning_message(policy.audit, audit)
        metrics.append(MetricEvent(MetricKind.EVALUATION, "deny", policy.audit, Mode.AUDIT))
    warnings: tuple[str, ...] = ()
    if status is None:
        warn = cache.get(policy.warn)
        if warn is None:
            warn = run(evaluator, policy.warn, meta, spec)
        if warn:
            warnings = (warning_message(policy.warn, warn),)
            metrics.append(MetricEvent(MetricKind.EVALUATION, "deny", policy.warn, Mode.WARN))
    return AdmissionResult(status is None, status, warnings, annotations, tuple(metrics))


def _namespace_policy(
    request: AdmissionRequest,
    config: PodSecurityConfiguration,
    get_namespace: NamespaceGetter | None,
) -> AdmissionResult | ResolvedPolicy | str:
    """What the request's namespace makes of it: an exemption (of the namespace or the user), its
    policy, or why its Namespace could not be read."""
    if ns_policy.is_exempt(request.namespace, config):
        return exempt("namespace")
    if config.exemptions.user(request.username):
        return exempt("user")
    if get_namespace is None:
        return "no namespace getter"
    try:
        namespace = get_namespace(request.namespace)
    except ClusterReadError as e:
        return str(e)
    return ns_policy.resolve(ns_policy.labels_of(namespace), config)


def admit_pod(
    request: AdmissionRequest,
    config: PodSecurityConfiguration,
    get_namespace: NamespaceGetter | None,
    evaluator: Evaluator,
) -> AdmissionResult:
    """A Pod (or a pod subresource other than the ignored ones): enforced, audited, warned."""
    if request.subresource in IGNORED_POD_SUBRESOURCES:
        return ALLOWED
    resolved = _namespace_policy(request, config, get_namespace)
    if isinstance(resolved, AdmissionResult):
        return resolved
    if isinstance(resolved, str):
        err = f"failed to lookup namespace {go_quote(request.namespace)}"
        message = f"Internal error occurred: {err}"
        return AdmissionResult(
            False,
            Status(500, "InternalError", message, causes=(Cause(message=err),)),
            audit_annotations={ERROR_ANNOTATION: f"{message}: {resolved}"},
            metrics=(MetricEvent(MetricKind.ERROR, fatal=True),),
        )
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
        return ALLOWED
    meta, spec = mapping(pod.get("metadata")), mapping(pod.get("spec"))
    return evaluate_pod(
        resolved, meta, spec, request=request, enforce=True, config=config, evaluator=evaluator
    )


def _pod_decode_failure(request: AdmissionRequest) -> AdmissionResult | None:
    if request.object_error:
        return with_fatal_error(bad_request("failed to decode object", request.object_error))
    if not is_kind(request.object, "Pod"):
        return with_fatal_error(bad_request("failed to decode pod"))
    if request.operation == Operation.UPDATE:
        if request.old_object_error:
            return with_fatal_error(
                bad_request("failed to decode old object", request.old_object_error)
            )
        if not is_kind(request.old_object, "Pod"):
            return with_fatal_error(bad_request("failed to decode old pod"))
    return None


def admit_workload(
    request: AdmissionRequest,
    config: PodSecurityConfiguration,
    get_namespace: NamespaceGetter | None,
    evaluator: Evaluator,
) -> AdmissionResult:
    """A workload ("pod controller"): audited and warned on its pod template, never denied."""
    if request.subresource:
        return ALLOWED
    resolved = _namespace_policy(request, config, get_namespace)
    if isinstance(resolved, AdmissionResult):
        return resolved
    if isinstance(resolved, str):
        return allowed_with_error(
            f"failed to lookup namespace {go_quote(request.namespace)}: {resolved}"
        )
    policy = resolved.policy
    if resolved.ok and Level.PRIVILEGED == policy.warn.level == policy.audit.level:
        return ALLOWED
    if request.object_error or not isinstance(request.object, Mapping):
        return allowed_with_error(f"failed to decode object: {request.object_error or 'no object'}")
    obj = request.object
    kind = request.kind.kind or text(obj.get("kind"))
    try:
        template = extract_pod_template(kind, obj)
    except ValueError:
        gvk = request.kind if request.kind.kind else GroupVersionKind("", "", kind)
        return allowed_with_error(f"failed to extract pod template: unexpected object type: {gvk}")
    if template is None:
        return ALLOWED
    meta, spec = template
    return evaluate_pod(
        resolved, meta, spec, request=request, enforce=False, config=config, evaluator=evaluator
    )
