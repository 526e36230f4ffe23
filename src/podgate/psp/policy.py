"""The parts of a PodSecurityPolicy spec that strategies share: ID ranges and their texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from podgate.errors import PolicyError
from podgate.k8s import Obj, mapping, sequence


class BuildError(PolicyError):
    """A policy whose strategies cannot be built: upstream skips it silently (logs only)."""


@dataclass(frozen=True, slots=True)
class IdRange:
    low: int
    high: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.low <= value <= self.high


def as_int(value: Any) -> int:
    """An integer field, 0 (Go's zero value) when unset or of another type. A whole float
    (`min: 1000.0` in a JSON file) is its integer, as kubectl sends it and as the policy's
    validation reads it (validation/decode.py): read as 0, `ranges: [{min: 1000.0, max:
    2000.0}]` was [{0 0}], and MustRunAs admitted a pod running as root."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def id_ranges(strategy: Obj) -> tuple[IdRange, ...]:
    """`ranges` of a user or group strategy (missing bounds read as 0, as Go's zero value)."""
    out = []
    for r in sequence(strategy.get("ranges")):
        m = mapping(r)
        out.append(IdRange(as_int(m.get("min")), as_int(m.get("max"))))
    return tuple(out)


def ranges_text(ranges: Sequence[IdRange]) -> str:
    """Go's `%v` of []IDRange: `[{100 200} {300 400}]`."""
    return "[" + " ".join(f"{{{r.low} {r.high}}}" for r in ranges) + "]"


def in_ranges(value: int, ranges: Sequence[IdRange]) -> bool:
    return any(r.low <= value <= r.high for r in ranges)


def rule_of(spec: Obj, field: str) -> str:
    rule = mapping(spec.get(field)).get("rule")
    return rule if isinstance(rule, str) else ""


def string_list(value: Any) -> tuple[str, ...]:
    return tuple(v for v in sequence(value) if isinstance(v, str))


KIND = "PodSecurityPolicy"
API_VERSIONS = ("policy/v1beta1", "extensions/v1beta1")  # the only ones ever served in-tree
WEBHOOK_API_VERSION = "podgate.io/v1"  # the same spec, served by podgate's webhook's CRD


def is_policy(obj: Obj) -> bool:
    """Whether `obj` is a PodSecurityPolicy an API server could have stored (in-tree, or
    through the CustomResourceDefinition podgate's webhook enforces)."""
    api = obj.get("apiVersion")
    return obj.get("kind") == KIND and (api in API_VERSIONS or api == WEBHOOK_API_VERSION)


def not_a_policy(obj: Obj) -> str | None:
    """Why an object of kind PodSecurityPolicy is not one (its API version was never served),
    or None."""
    if obj.get("kind") != KIND or is_policy(obj):
        return None
    api = obj.get("apiVersion")
    given = f"apiVersion {api}" if isinstance(api, str) and api else "no apiVersion"
    name = mapping(obj.get("metadata")).get("name")
    named = f" {name!r}" if isinstance(name, str) and name else ""
    return (
        f"kind {KIND}{named} with {given} is not a policy and is not simulated: "
        f"{KIND} was served only as policy/v1beta1 (and extensions/v1beta1 up to Kubernetes "
        f"1.15; {WEBHOOK_API_VERSION} by podgate's webhook), so no API server would have "
        "stored it"
    )
