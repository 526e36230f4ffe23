"""Which flow answers an admission request (upstream `Admission.Validate`), and the request that
creating an object sends (for scanners and tests)."""

from __future__ import annotations

from collections.abc import Callable

from podgate.k8s import Obj, mapping
from podgate.k8s.kinds import WORKLOAD_KINDS
from podgate.pss import evaluate
from podgate.pss.admission.namespaces import admit_namespace
from podgate.pss.admission.pods import admit_pod, admit_workload
from podgate.pss.admission.requests import (
    ALLOWED,
    AdmissionRequest,
    AdmissionResult,
    Evaluator,
    GroupVersionKind,
    NamespaceGetter,
    Operation,
    PodLister,
    never,
    text,
)
from podgate.pss.config import DEFAULT_CONFIGURATION, PodSecurityConfiguration

__all__ = ["admit", "request_for"]


# kind -> (group, resource) of the kinds PSA routes
_RESOURCES: dict[str, tuple[str, str]] = {
    "Namespace": ("", "namespaces"),
    **{k.kind: (k.group, k.resource) for k in WORKLOAD_KINDS},
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
    kind = text(obj.get("kind"))
    api_version = text(obj.get("apiVersion"))
    group, _, version = api_version.rpartition("/")
    meta = mapping(obj.get("metadata"))
    name = text(meta.get("name"))
    group_resource = _RESOURCES.get(kind, (group, kind.lower() + "s"))
    if namespace is None:
        namespace = name if kind == "Namespace" else text(meta.get("namespace"))
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
    deadline_passed: Callable[[], bool] = never,
    evaluator: Evaluator = evaluate,
) -> AdmissionResult:
    """Admit one request as Pod Security Admission would (upstream `Admission.Validate`).

    `get_namespace(name)` returns the request's Namespace (raise ClusterReadError when it cannot);
    `list_pods(namespace)` the pods for the namespace flow, whose evaluation loop stops when
    `deadline_passed()` (budget: `pod_check_timeout`). Operations other than CREATE and UPDATE are
    allowed untouched.
    """
    if request.operation not in (Operation.CREATE, Operation.UPDATE):
        return ALLOWED
    if request.group == "" and request.resource == "namespaces":
        return admit_namespace(request, config, list_pods, deadline_passed, evaluator)
    if request.group == "" and request.resource == "pods":
        return admit_pod(request, config, get_namespace, evaluator)
    return admit_workload(request, config, get_namespace, evaluator)
