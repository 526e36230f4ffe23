"""Pod Security Admission of Namespaces (upstream `ValidateNamespace`, `EvaluatePodsInNamespace`):
label validation on CREATE and UPDATE, and on an UPDATE that tightens enforce, the warnings for the
namespace's existing pods (spec §8, shared with scanners). Which policy a namespace's labels give
is `podgate.pss.namespaces`'s answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from podgate.k8s import Obj, mapping, sequence
from podgate.k8s.gotext import go_quote
from podgate.pss import Level, LevelVersion, evaluate, forbidden_reason
from podgate.pss import namespaces as ns_policy
from podgate.pss.admission.requests import (
    ALLOWED,
    LIST_PODS_FAILED,
    MAX_PODS_TO_CHECK,
    POD_CHECK_TIMEOUT,
    AdmissionRequest,
    AdmissionResult,
    ClusterReadError,
    Evaluator,
    Operation,
    PodLister,
    bad_request,
    invalid,
    is_kind,
    never,
    run,
    text,
)
from podgate.pss.config import DEFAULT_CONFIGURATION, PodSecurityConfiguration
from podgate.pss.labels import (
    AUDIT_LEVEL_LABEL,
    AUDIT_VERSION_LABEL,
    ENFORCE_LEVEL_LABEL,
    ENFORCE_VERSION_LABEL,
    WARN_LEVEL_LABEL,
    WARN_VERSION_LABEL,
    Mode,
    Policy,
    ResolvedPolicy,
    compare_levels,
)

__all__ = [
    "admit_namespace",
    "evaluate_pods_in_namespace",
    "exempt_namespace_warning",
    "pod_check_timeout",
]


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
    return AdmissionResult(True, warnings=(warning,)) if warning else ALLOWED


def admit_namespace(
    request: AdmissionRequest,
    config: PodSecurityConfiguration,
    list_pods: PodLister | None,
    deadline_passed: Callable[[], bool],
    evaluator: Evaluator,
) -> AdmissionResult:
    if request.subresource:
        return ALLOWED
    if request.object_error:
        return bad_request("failed to decode object", request.object_error)
    if not is_kind(request.object, "Namespace"):
        return bad_request("failed to decode namespace")
    namespace = mapping(request.object)
    name = text(mapping(namespace.get("metadata")).get("name"))
    labels = ns_policy.labels_of(namespace)
    new = ns_policy.resolve(labels, config)
    if request.operation == Operation.CREATE:
        if new.errors:
            return invalid(request, name, new.errors)
        if ns_policy.is_exempt(request.namespace, config):
            return _exempt_namespace_result(name, new, labels, config.defaults)
        return ALLOWED
    if request.operation != Operation.UPDATE:
        return ALLOWED
    if request.old_object_error:  # upstream's text has two spaces (errata D2)
        return bad_request("failed to decode  old object", request.old_object_error)
    if not is_kind(request.old_object, "Namespace"):
        return bad_request("failed to decode  old namespace")
    old = ns_policy.resolve(ns_policy.labels_of(mapping(request.old_object)), config)
    if new.errors and (not old.errors or new.errors != old.errors):
        return invalid(request, name, new.errors)
    before, after = old.policy.enforce, new.policy.enforce
    if (
        after == before
        or after.level == Level.PRIVILEGED
        or (after.version == before.version and compare_levels(after.level, before.level) < 1)
    ):
        return ALLOWED
    if ns_policy.is_exempt(request.namespace, config):
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


def _controller_uid(pod: Obj) -> str | None:
    for ref in sequence(mapping(pod.get("metadata")).get("ownerReferences")):
        ref = mapping(ref)
        if ref.get("controller") is True:
            return text(ref.get("uid"))
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
    deadline_passed: Callable[[], bool] = never,
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
        found = run(evaluator, enforce, meta, spec)
        if found:
            reasons = forbidden_reason(found)
            name = text(meta.get("name"))
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
