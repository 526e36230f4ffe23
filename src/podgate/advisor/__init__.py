"""The advisor: least-privilege PodSecurityPolicies and RBAC from observed workloads, checked
with the real admission engine, and the "which of my workloads needs what" report. Pure:
decoded objects in, values out."""

from podgate.advisor.advise import AdvisorError, advise, check_pod, unchanged
from podgate.advisor.model import Advice, AdvisedPolicy, AdviseOptions, Group, GroupBy

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
