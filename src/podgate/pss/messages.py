"""The user-visible texts built from violations (spec 4 with its errata), byte for byte.

    reasons only          host namespaces, privileged
    reasons with details  host namespaces (hostNetwork=true), privileged (container "a" must ...)
    enforce               violates PodSecurity "restricted:latest": <reasons with details>
    forbidden (denial)    pods "x" is forbidden: violates PodSecurity ...   (name "" -> pods is ...)
    warning, audit value  would violate PodSecurity "restricted:latest": <reasons with details>

The level/version is the requested one (`restricted:v1.99` stays `v1.99`).
"""

from __future__ import annotations

from collections.abc import Iterable

from podgate.k8s.gotext import go_quote
from podgate.pss.model import LevelVersion, Violation

__all__ = [
    "AUDIT_VIOLATIONS_KEY",
    "audit_annotation",
    "enforce_message",
    "forbidden_detail",
    "forbidden_message",
    "forbidden_reason",
    "warning_message",
    "warning_messages",
]

AUDIT_VIOLATIONS_KEY = "audit-violations"
"""The bare audit annotation key; integrations prefix it (`pod-security.kubernetes.io/`)."""

_UNKNOWN = "unknown forbidden reason"


def forbidden_reason(violations: Iterable[Violation]) -> str:
    """The reasons joined with ", " (upstream ForbiddenReason; used by the namespace flow)."""
    return ", ".join(v.reason or _UNKNOWN for v in violations)


def forbidden_detail(violations: Iterable[Violation]) -> str:
    """Each reason with ` (detail)` when the detail is not empty, joined with ", "
    (upstream ForbiddenDetail; used by denials, warnings and audit annotations)."""
    parts = []
    for v in violations:
        reason = v.reason or _UNKNOWN
        parts.append(f"{reason} ({v.detail})" if v.detail else reason)
    return ", ".join(parts)


def enforce_message(lv: LevelVersion, violations: Iterable[Violation]) -> str:
    """`violates PodSecurity "<level>:<version>": <reasons with details>`."""
    return f"violates PodSecurity {go_quote(str(lv))}: {forbidden_detail(violations)}"


def forbidden_message(
    name: str, lv: LevelVersion, violations: Iterable[Violation], resource: str = "pods"
) -> str:
    """The Forbidden status message of an enforce denial: `pods "<name>" is forbidden: violates
    PodSecurity ...`; with an empty name (only possible off-cluster: the API server names a
    generateName pod before admission) `pods is forbidden: violates PodSecurity ...`."""
    subject = f"{resource} {go_quote(name)}" if name else resource
    return f"{subject} is forbidden: {enforce_message(lv, violations)}"


def warning_message(lv: LevelVersion, violations: Iterable[Violation]) -> str:
    """`would violate PodSecurity "<level>:<version>": <reasons with details>`."""
    return f"would violate PodSecurity {go_quote(str(lv))}: {forbidden_detail(violations)}"


def warning_messages(lv: LevelVersion, violations: Iterable[Violation]) -> tuple[str, ...]:
    """The admission warnings of one evaluation: none when allowed, else exactly one."""
    violations = tuple(violations)
    return (warning_message(lv, violations),) if violations else ()


def audit_annotation(lv: LevelVersion, violations: Iterable[Violation]) -> dict[str, str]:
    """The audit annotation of a failed audit evaluation, bare key: `{"audit-violations":
    "would violate PodSecurity ..."}`; empty when allowed."""
    violations = tuple(violations)
    if not violations:
        return {}
    return {AUDIT_VIOLATIONS_KEY: warning_message(lv, violations)}
