"""The PodSecurityPolicy engine: strategies, providers and the admission decision, exact to the
in-tree plugin of Kubernetes 1.21-1.24. Pure: plain dicts in, values out."""

from podgate.psp.admission import (
    AUDIT_ADMIT,
    AUDIT_VALIDATE,
    PSP_ANNOTATION,
    Computed,
    Decision,
    PolicySet,
    Request,
    Unusable,
    admit_phase,
    compute,
    review,
    validate_phase,
)
from podgate.psp.patch import json_patch
from podgate.psp.provider import Evaluation, Provider, build_provider

__all__ = [
    "AUDIT_ADMIT",
    "AUDIT_VALIDATE",
    "PSP_ANNOTATION",
    "Computed",
    "Decision",
    "Evaluation",
    "PolicySet",
    "Provider",
    "Request",
    "Unusable",
    "admit_phase",
    "build_provider",
    "compute",
    "json_patch",
    "review",
    "validate_phase",
]
