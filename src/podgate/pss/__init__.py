"""Pod Security Standards: upstream's checks for every version, verdicts and messages.

    from podgate.pss import LATEST, Level, evaluate, parse_version

    violations = evaluate(Level.RESTRICTED, LATEST, pod["metadata"], pod["spec"])

`evaluate` returns the violations in upstream order (empty: allowed; privileged: always empty).
Inputs are plain decoded JSON, read-only; wrong types never crash and never pass a check.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.culprits import Culprit, culprits
from podgate.pss.messages import (
    AUDIT_VIOLATIONS_KEY,
    audit_annotation,
    enforce_message,
    forbidden_detail,
    forbidden_message,
    forbidden_reason,
    warning_message,
    warning_messages,
)
from podgate.pss.model import (
    LATEST,
    Check,
    CheckId,
    Level,
    LevelVersion,
    Since,
    Version,
    Violation,
    parse_level,
    parse_version,
    v1,
)
from podgate.pss.registry import DEFAULT

__all__ = [
    "AUDIT_VIOLATIONS_KEY",
    "LATEST",
    "MAX_VERSION",
    "Check",
    "CheckId",
    "Culprit",
    "Level",
    "LevelVersion",
    "Since",
    "Version",
    "Violation",
    "audit_annotation",
    "checks_at",
    "culprits",
    "enforce_message",
    "evaluate",
    "forbidden_detail",
    "forbidden_message",
    "forbidden_reason",
    "highest_level",
    "parse_level",
    "parse_version",
    "restricted_implies_baseline",
    "v1",
    "warning_message",
    "warning_messages",
]

MAX_VERSION: Version = DEFAULT.max_version
"""The newest policy version with its own rules (v1.37); newer versions evaluate as it."""

_evaluate = DEFAULT.evaluate
_check_ids = DEFAULT.check_ids


def evaluate(level: Level, version: Version, meta: Obj, spec: Obj) -> tuple[Violation, ...]:
    """The violations of a pod (`metadata`, `spec`) at `level` and `version`, in upstream order;
    empty when allowed (always for privileged)."""
    return _evaluate(level, version, meta, spec)


def checks_at(level: Level, version: Version) -> tuple[CheckId, ...]:
    """The IDs of the checks `evaluate` runs for `level` at `version`, in upstream order (none
    for privileged)."""
    return _check_ids(level, version)


def highest_level(version: Version, meta: Obj, spec: Obj) -> Level:
    """The strictest level the pod meets at `version`: privileged when it fails baseline, even
    where it passes restricted's checks (see `restricted_implies_baseline`)."""
    if _evaluate(Level.BASELINE, version, meta, spec):
        return Level.PRIVILEGED
    if _evaluate(Level.RESTRICTED, version, meta, spec):
        return Level.BASELINE
    return Level.RESTRICTED


def restricted_implies_baseline(spec: Obj) -> bool:
    """Whether a pod that passes restricted's checks (at any version) surely passes baseline's,
    so that asking baseline can be spared: every pod that does not set `spec.os`.

    From v1.25, restricted runs capabilities_restricted and seccompProfile_restricted in place
    of the baseline checks of the same controls, and upstream's revisions allow every Windows
    pod (`spec.os.name: windows`) outright, relying on API validation, which refuses a Windows
    pod that sets capabilities or a seccomp profile. A Windows pod read from a file can still
    add SYS_ADMIN or set `Unconfined`: it passes restricted's checks and fails baseline's. The
    Standards' levels are cumulative (restricted includes baseline), so such a pod meets
    neither, and its highest level is privileged (`highest_level`). Guard:
    tests/pss/test_pss_checks_properties.py::test_restricted_allowed_implies_baseline_allowed."""
    return type(spec) is dict and spec.get("os") is None
