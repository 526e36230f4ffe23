"""Pod Security Standards in the webhook: `pss.admission.admit` on the request (`/validate` only,
as upstream's PodSecurity is a validating plugin), the namespace's labels from the namespace
source (webhook.md §2). Enforce refuses pods, warn becomes warnings, audit becomes audit
annotations (bare keys: the API server prefixes them with the webhook's name)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from podgate.k8s import Obj
from podgate.k8s.gotext import go_quote
from podgate.pss import namespaces as ns_policy
from podgate.pss.admission import (
    ENFORCE_POLICY_ANNOTATION,
    AdmissionResult,
    ClusterReadError,
    MetricKind,
    admit,
)
from podgate.pss.config import PodSecurityConfiguration
from podgate.webhook.decode import ReviewRequest
from podgate.webhook.encode import pss_status
from podgate.webhook.sources import NamespaceSource
from podgate.webhook.verdict import Evaluation, Judgement

__all__ = ["judge_pss"]


def _namespace_getter(
    namespaces: NamespaceSource | None, definition: Mapping[str, Any] | None = None
) -> Callable[[str], Obj]:
    """The Namespace as PSA reads it. With a namespace source (`--namespaces-from`, or the
    cluster's), a namespace it does not know fails the lookup: a pod is denied, fail closed
    (where `podgate pss` applies the defaults). Without one, every namespace is unlabelled.
    `definition`: these labels instead of the source's (another definition of the request's
    namespace)."""
    unknown = ns_policy.Unknown.DEFAULTS if namespaces is None else ns_policy.Unknown.REFUSE

    def get_namespace(name: str) -> Obj:
        labels = namespaces.labels(name) if namespaces is not None else None
        if definition is not None:
            labels = definition
        found = ns_policy.namespace_object(name, labels, unknown=unknown)
        if found is None:
            raise ClusterReadError(f"namespace {go_quote(name)} not found")
        return found

    return get_namespace


def _judgement(result: AdmissionResult) -> Judgement:
    evaluations: list[Evaluation] = []
    exemption = ""
    errors: list[tuple[str, bool]] = []
    for event in result.metrics:
        if event.kind == MetricKind.EVALUATION and event.policy is not None:
            mode = str(event.mode) if event.mode is not None else ""
            evaluations.append(Evaluation("pss", str(event.policy), event.decision, mode))
        elif event.kind == MetricKind.EXEMPTION:
            exemption = "pss"
        elif event.kind == MetricKind.ERROR:
            errors.append(("pss", event.fatal))
    return Judgement(
        refusal=pss_status(result) if result.status is not None else None,
        warnings=result.warnings,
        annotations=result.audit_annotations,
        evaluations=tuple(evaluations),
        exemption=exemption,
        errors=tuple(errors),
        pss_policy=result.audit_annotations.get(ENFORCE_POLICY_ANNOTATION, ""),
    )


def judge_pss(
    request: ReviewRequest,
    config: PodSecurityConfiguration,
    namespaces: NamespaceSource | None,
    deadline_passed: Callable[[], bool],
) -> Judgement:
    """Pod Security Admission's answer to the request. Of a namespace defined more than once
    in the files, the definition checked first answers, unless another definition refuses
    what it admits: then that one does (as `podgate pss` and `scan` judge)."""

    def answer(definition: Mapping[str, Any] | None = None) -> AdmissionResult:
        return admit(
            request.pss,
            config=config,
            get_namespace=_namespace_getter(namespaces, definition),
            list_pods=None,  # the namespace flow's pod listing: not available from files
            deadline_passed=deadline_passed,
        )

    result = answer()
    if result.allowed and namespaces is not None:
        for other in namespaces.other_labels(request.pss.namespace):
            judged = answer(other)
            if not judged.allowed:
                return _judgement(judged)
    return _judgement(result)
