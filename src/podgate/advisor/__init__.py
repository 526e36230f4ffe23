"""The advisor: least-privilege PodSecurityPolicies and RBAC from observed workloads, checked
with the real admission engine, and the "which of my workloads needs what" report. Pure:
decoded objects in, values out."""

from podgate.advisor.advise import (
    Advice,
    AdvisedPolicy,
    AdviseOptions,
    AdvisorError,
    Group,
    GroupBy,
    advise,
    check_pod,
    unchanged,
)

__all__ = [
    "Advice",
    "AdviseOptions",
    "AdvisedPolicy",
    "AdvisorError",
    "Group",
    "GroupBy",
    "advise",
    "check_pod",
    "unchanged",
]
