"""The webhook's Prometheus metrics (webhook.md §7.2 names), in a registry of their own.

No user, pod or namespace names in labels: policies (a bounded set of PSP names, or PSS
`level:version`), modes, operations, resources and decisions only. The resource and
subresource of a request are labels only when they are ones the webhook is registered for or
knows (`resource_label`, `subresource_label`); anything else is `other`, so a client cannot
grow the registry (and /metrics) with names of its own."""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from podgate import __version__
from podgate.k8s.kinds import WORKLOAD_KINDS

__all__ = ["CONTENT_TYPE", "Metrics", "resource_label", "subresource_label"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0
)  # fmt: skip

OTHER = "other"
# what the webhook configurations in deploy/ route to podgate (webhook.md §2.4) and namespaces
KNOWN_RESOURCES = frozenset(
    {
        "",  # a request that could not be read
        "namespaces",
        *(f"{k.group}/{k.resource}" if k.group else k.resource for k in WORKLOAD_KINDS),
    }
)
# the pod subresources of the API server (webhook.md §1.4)
KNOWN_SUBRESOURCES = frozenset(
    {
        "",
        "ephemeralcontainers",
        "status",
        "binding",
        "eviction",
        "exec",
        "attach",
        "log",
        "portforward",
        "proxy",
        "resize",
    }
)


def resource_label(resource: str) -> str:
    """`group/resource` (or a core resource) as a label value: known ones, else `other`."""
    return resource if resource in KNOWN_RESOURCES else OTHER


def subresource_label(subresource: str) -> str:
    """A subresource as a label value: the API server's pod subresources, else `other`."""
    return subresource if subresource in KNOWN_SUBRESOURCES else OTHER


class Metrics:
    def __init__(self) -> None:
        # no `_created` series: they double the exposition
        disable_created_metrics()  # type: ignore[no-untyped-call]
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "podgate_admission_requests",
            "AdmissionReviews answered.",
            ["webhook", "operation", "resource", "subresource", "allowed", "dry_run"],
            registry=r,
        )
        self.duration = Histogram(
            "podgate_admission_duration_seconds",
            "Time from the request's arrival to its answer.",
            ["webhook", "operation", "allowed"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.evaluations = Counter(
            "podgate_policy_evaluations",
            "Policy decisions: engine psp (policy: the PodSecurityPolicy, empty when none admits) "
            "or pss (policy: level:version), mode enforce|audit|warn, decision allow|deny.",
            ["engine", "policy", "decision", "mode", "operation"],
            registry=r,
        )
        self.would_deny = Counter(
            "podgate_audit_mode_would_deny",
            "Requests allowed in --mode audit that enforce mode would have denied.",
            ["webhook", "operation", "resource"],
            registry=r,
        )
        self.exemptions = Counter(
            "podgate_exemptions", "Requests allowed unevaluated.", ["reason"], registry=r
        )
        self.errors = Counter(
            "podgate_errors",
            "Errors: bad requests, internal errors, deadlines and failed reloads.",
            ["fatal", "stage"],
            registry=r,
        )
        self.policies = Gauge(
            "podgate_policies",
            "PodSecurityPolicies loaded: usable, or unusable (strategies cannot be built).",
            ["status"],
            registry=r,
        )
        self.reloads = Counter(
            "podgate_reloads",
            "Reloads of policies, RBAC, namespaces and the certificate.",
            ["source", "result"],
            registry=r,
        )
        self.certificate_expiry = Gauge(
            "podgate_certificate_expiry_timestamp_seconds",
            "When the serving certificate expires (Unix time).",
            registry=r,
        )
        self.ready = Gauge("podgate_ready", "1 when the webhook is ready to answer.", registry=r)
        self.build_info = Gauge("podgate_build_info", "podgate's version.", ["version"], registry=r)
        self.build_info.labels(__version__).set(1)

        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, memoized: the hot path skips prometheus_client's label
        validation and locking after the first time (label values are a bounded set)."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def render(self) -> bytes:
        return generate_latest(self.registry)
