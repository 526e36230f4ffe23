"""Namespace labels: the effective Pod Security policy of a namespace (spec §5, errata B, C3).

Six labels, `pod-security.kubernetes.io/{enforce,audit,warn}` and their `-version`, resolved over
the configured defaults as upstream's `api.PolicyToEvaluate` does:

* a present label is parsed, even when empty (an empty value is invalid); a null value is the
  empty string, as the API server decodes `null` into a map of strings;
* an invalid `enforce` level fails closed (`restricted`), an invalid `audit` or `warn` level fails
  open (`privileged`), an invalid version becomes `latest`;
* warn inherits enforce: with no `warn` label, a valid `enforce` label stricter than the (default)
  warn level becomes the warn level, with the effective enforce version unless a `warn-version`
  label is present; audit never inherits;
* each parse error is a field error `metadata.labels[<key>]: Invalid value: "<v>": <text>`, in the
  fixed order enforce, enforce-version, audit, audit-version, warn, warn-version.

Pure: labels and defaults in, a `ResolvedPolicy` (policy and errors) out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from podgate.errors import PolicyError
from podgate.k8s.field import FieldError, invalid
from podgate.pss import LATEST, Level, LevelVersion, Version, parse_level, parse_version

__all__ = [
    "AUDIT_LEVEL_LABEL",
    "AUDIT_VERSION_LABEL",
    "DEFAULT_POLICY",
    "ENFORCE_LEVEL_LABEL",
    "ENFORCE_VERSION_LABEL",
    "LABEL_KEYS",
    "LEVEL_ERROR",
    "PRIVILEGED_LATEST",
    "VERSION_ERROR",
    "WARN_LEVEL_LABEL",
    "WARN_VERSION_LABEL",
    "Mode",
    "Policy",
    "ResolvedPolicy",
    "aggregate",
    "compare_levels",
    "has_policy_labels",
    "resolve_labels",
    "stored_labels",
]

PREFIX = "pod-security.kubernetes.io/"
ENFORCE_LEVEL_LABEL = PREFIX + "enforce"
ENFORCE_VERSION_LABEL = PREFIX + "enforce-version"
AUDIT_LEVEL_LABEL = PREFIX + "audit"
AUDIT_VERSION_LABEL = PREFIX + "audit-version"
WARN_LEVEL_LABEL = PREFIX + "warn"
WARN_VERSION_LABEL = PREFIX + "warn-version"
LABEL_KEYS = (
    ENFORCE_LEVEL_LABEL,
    ENFORCE_VERSION_LABEL,
    AUDIT_LEVEL_LABEL,
    AUDIT_VERSION_LABEL,
    WARN_LEVEL_LABEL,
    WARN_VERSION_LABEL,
)

# upstream's error texts (api/helpers.go ParseLevel, ParseVersion)
LEVEL_ERROR = "must be one of privileged, baseline, restricted"
VERSION_ERROR = 'must be "latest" or "v1.x"'


def compare_levels(a: Level, b: Level) -> int:
    """-1, 0 or 1 as `a` is less strict than, as strict as, or stricter than `b`
    (upstream `api.CompareLevels`; a StrEnum's own order is alphabetical, not strictness)."""
    sa, sb = a.strictness, b.strictness
    return (sa > sb) - (sa < sb)


class Mode(StrEnum):
    """What a namespace does with a policy: deny Pods, annotate the audit event, or warn."""

    ENFORCE = "enforce"
    AUDIT = "audit"
    WARN = "warn"


PRIVILEGED_LATEST = LevelVersion(Level.PRIVILEGED, LATEST)


@dataclass(frozen=True, slots=True)
class Policy:
    """The level and version of each mode (upstream `api.Policy`)."""

    enforce: LevelVersion = PRIVILEGED_LATEST
    audit: LevelVersion = PRIVILEGED_LATEST
    warn: LevelVersion = PRIVILEGED_LATEST

    def of(self, mode: Mode) -> LevelVersion:
        if mode is Mode.ENFORCE:
            return self.enforce
        if mode is Mode.AUDIT:
            return self.audit
        return self.warn

    @property
    def fully_privileged(self) -> bool:
        """Every mode is privileged (the Pod short cut of spec §7.2)."""
        return all(lv.level == Level.PRIVILEGED for lv in (self.enforce, self.audit, self.warn))

    def equivalent(self, other: Policy) -> bool:
        """Per mode: both privileged, or the same level and version (upstream `Equivalent`)."""
        return all(_same(self.of(m), other.of(m)) for m in Mode)

    def __str__(self) -> str:
        return f"enforce={self.enforce}, audit={self.audit}, warn={self.warn}"


def _same(a: LevelVersion, b: LevelVersion) -> bool:
    if a.level == Level.PRIVILEGED or b.level == Level.PRIVILEGED:
        return a.level == b.level
    return a == b


DEFAULT_POLICY = Policy()
"""Upstream's defaults when no configuration says otherwise: privileged:latest in every mode."""


def aggregate(errors: Iterable[object]) -> str:
    """apimachinery's `ToAggregate().Error()`: "" for none, the error for one, `[e1, e2]` for
    several, identical messages kept once."""
    texts = list(dict.fromkeys(str(e) for e in errors))
    if not texts:
        return ""
    if len(texts) == 1:
        return texts[0]
    return "[" + ", ".join(texts) + "]"


@dataclass(frozen=True, slots=True)
class ResolvedPolicy:
    """A namespace's effective policy and the label errors found resolving it."""

    policy: Policy
    errors: tuple[FieldError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_text(self) -> str:
        """The errors as upstream aggregates them (`[e1, e2]` for several)."""
        return aggregate(self.errors)


def _label_error(key: str, value: Any, text: str) -> FieldError:
    return invalid(f"metadata.labels[{key}]", value, text)


def _level(key: str, value: Any, fallback: Level, errors: list[FieldError]) -> Level:
    """The parsed level, or `fallback` with an error appended."""
    if isinstance(value, str):
        try:
            return parse_level(value)
        except PolicyError:
            pass
    errors.append(_label_error(key, value, LEVEL_ERROR))
    return fallback


def _version(key: str, value: Any, errors: list[FieldError]) -> Version:
    if isinstance(value, str):
        try:
            return parse_version(value)
        except PolicyError:
            pass
    errors.append(_label_error(key, value, VERSION_ERROR))
    return LATEST


def stored_labels(labels: Any) -> dict[str, Any]:
    """A Namespace's `metadata.labels` as read from a file or the API, the way every caller
    hands them to `resolve_labels`: keys as strings, a null value as the empty string (what
    the API server stores for `key:` left empty), any other value kept as it is so that a
    value that is not a string (a list, a boolean: a typo the API server would refuse) is an
    invalid label, never a missing one. Not a mapping: no labels."""
    if not isinstance(labels, Mapping):
        return {}
    return {str(k): "" if v is None else v for k, v in labels.items()}


def has_policy_labels(labels: Mapping[str, Any] | None) -> bool:
    """Whether any of the six Pod Security labels is present."""
    return labels is not None and any(k in labels for k in LABEL_KEYS)


def resolve_labels(
    labels: Mapping[str, Any] | None, defaults: Policy = DEFAULT_POLICY
) -> ResolvedPolicy:
    """The effective policy of a namespace with these labels over these defaults.

    A policy is always returned, even with errors (then using the fallbacks above). A null value
    is the empty string; other values that are not strings (impossible in a cluster) are
    reported as invalid like any bad value.
    """
    if not labels:
        return ResolvedPolicy(defaults)
    labels = stored_labels(labels)
    errors: list[FieldError] = []
    enforce, audit, warn = defaults.enforce, defaults.audit, defaults.warn

    has_enforce_level = False
    if ENFORCE_LEVEL_LABEL in labels:
        before = len(errors)
        level = _level(ENFORCE_LEVEL_LABEL, labels[ENFORCE_LEVEL_LABEL], Level.RESTRICTED, errors)
        has_enforce_level = len(errors) == before
        enforce = LevelVersion(level, enforce.version)
    if ENFORCE_VERSION_LABEL in labels:
        version = _version(ENFORCE_VERSION_LABEL, labels[ENFORCE_VERSION_LABEL], errors)
        enforce = LevelVersion(enforce.level, version)
    if AUDIT_LEVEL_LABEL in labels:
        level = _level(AUDIT_LEVEL_LABEL, labels[AUDIT_LEVEL_LABEL], Level.PRIVILEGED, errors)
        audit = LevelVersion(level, audit.version)
    if AUDIT_VERSION_LABEL in labels:
        version = _version(AUDIT_VERSION_LABEL, labels[AUDIT_VERSION_LABEL], errors)
        audit = LevelVersion(audit.level, version)
    has_warn_level = WARN_LEVEL_LABEL in labels
    if has_warn_level:
        level = _level(WARN_LEVEL_LABEL, labels[WARN_LEVEL_LABEL], Level.PRIVILEGED, errors)
        warn = LevelVersion(level, warn.version)
    has_warn_version = WARN_VERSION_LABEL in labels
    if has_warn_version:
        version = _version(WARN_VERSION_LABEL, labels[WARN_VERSION_LABEL], errors)
        warn = LevelVersion(warn.level, version)

    # warn inherits a stricter, valid enforce label (and its version unless warn-version is set)
    if not has_warn_level and has_enforce_level and compare_levels(enforce.level, warn.level) > 0:
        warn = LevelVersion(enforce.level, warn.version if has_warn_version else enforce.version)

    return ResolvedPolicy(Policy(enforce, audit, warn), tuple(errors))
