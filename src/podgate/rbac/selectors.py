"""Label selectors (metav1.LabelSelector), as the clusterrole-aggregation controller applies them.

`matchLabels` and `matchExpressions` are ANDed. An empty selector (`{}`) selects every object.
Operators: `In` (label present, value listed), `NotIn` (label absent, or value not listed),
`Exists`, `DoesNotExist`; In and NotIn need at least one value, Exists and DoesNotExist none
(upstream's LabelSelectorAsSelector refuses the selector otherwise, so do we).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podgate.rbac.parse import Invalid, shown, string, string_list

IN = "In"
NOT_IN = "NotIn"
EXISTS = "Exists"
DOES_NOT_EXIST = "DoesNotExist"
OPERATORS = (IN, NOT_IN, EXISTS, DOES_NOT_EXIST)


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == IN:
            return present and labels[self.key] in self.values
        if self.operator == NOT_IN:
            return not present or labels[self.key] not in self.values
        if self.operator == EXISTS:
            return present
        return not present


@dataclass(frozen=True, slots=True)
class Selector:
    """A compiled label selector: every requirement must hold."""

    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)


def compile_selector(raw: Any, at: str) -> Selector:
    """Compile a decoded LabelSelector found at field path `at`; raises `Invalid`."""
    if not isinstance(raw, Mapping):
        raise Invalid(at, f"must be a label selector (an object), got {shown(raw)}")
    reqs: list[Requirement] = []
    match_labels = raw.get("matchLabels")
    if match_labels is not None:
        if not isinstance(match_labels, Mapping):
            raise Invalid(f"{at}.matchLabels", "must be a map of strings")
        for key, value in match_labels.items():
            key_s = string(key, f"{at}.matchLabels", required=True)
            value_s = string(value, f"{at}.matchLabels[{key_s}]")
            reqs.append(Requirement(key_s, IN, frozenset((value_s,))))
    expressions = raw.get("matchExpressions")
    if expressions is not None:
        if not isinstance(expressions, list):
            raise Invalid(f"{at}.matchExpressions", "must be a list")
        for i, expr in enumerate(expressions):
            reqs.append(_requirement(expr, f"{at}.matchExpressions[{i}]"))
    return Selector(tuple(reqs))


def _requirement(expr: Any, at: str) -> Requirement:
    if not isinstance(expr, Mapping):
        raise Invalid(at, "must be an object with key, operator and values")
    key = string(expr.get("key"), f"{at}.key", required=True)
    operator = expr.get("operator")
    if operator not in OPERATORS:
        raise Invalid(
            f"{at}.operator",
            f"must be one of {', '.join(OPERATORS)}, got {shown(operator)}",
        )
    values = string_list(expr.get("values"), f"{at}.values")
    if operator in (IN, NOT_IN) and not values:
        raise Invalid(f"{at}.values", f"must not be empty for operator {operator}")
    if operator in (EXISTS, DOES_NOT_EXIST) and values:
        raise Invalid(f"{at}.values", f"must be empty for operator {operator}")
    return Requirement(key, operator, frozenset(values))
