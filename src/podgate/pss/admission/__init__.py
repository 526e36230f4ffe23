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

The parts, as upstream's admission.go has them: `requests` (the request, the result and the
answers every flow gives), `pods` (Pods and workloads), `namespaces` (Namespaces and the
evaluation of a namespace's pods), `routing` (`admit`, `request_for`). Which policy applies to a
namespace is `podgate.pss.namespaces`.
"""

from podgate.pss.admission.namespaces import (
    evaluate_pods_in_namespace,
    exempt_namespace_warning,
    pod_check_timeout,
)
from podgate.pss.admission.pods import evaluate_pod, extract_pod_template, is_significant_pod_update
from podgate.pss.admission.requests import (
    AUDIT_VIOLATIONS_ANNOTATION,
    ENFORCE_POLICY_ANNOTATION,
    ERROR_ANNOTATION,
    EXEMPT_ANNOTATION,
    IGNORED_POD_SUBRESOURCES,
    LIST_PODS_FAILED,
    MAX_PODS_TO_CHECK,
    POD_CHECK_TIMEOUT,
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
    PodLister,
    Status,
)
from podgate.pss.admission.routing import admit, request_for

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
