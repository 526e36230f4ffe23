"""Policy rules: one compiled rule and whether it permits a resource request.

Matching follows upstream's evaluation helpers (pkg/apis/rbac/v1): a rule permits a request when
its verb, API group, resource and resource name each match.

* verbs and apiGroups: `*` matches anything, otherwise an exact member;
* resources: `*` matches every resource and subresource; otherwise the request's combined
  `resource/subresource` must be a member, or `*/subresource` for any resource's subresource.
  `pods/*` is not a wildcard: it matches only a request for the subresource literally named `*`;
* resourceNames: empty matches any name (including none); otherwise the request's name must be
  a member, so a rule with resourceNames never permits a request without a name (list, create).

A rule with only nonResourceURLs permits no resource request.
"""

from __future__ import annotations

from dataclasses import dataclass

from podgate.rbac.model import Attributes

WILDCARD = "*"


@dataclass(frozen=True, slots=True)
class Rule:
    """One PolicyRule, its lists made sets."""

    verbs: frozenset[str]
    api_groups: frozenset[str]
    resources: frozenset[str]
    resource_names: frozenset[str]
    non_resource_urls: frozenset[str]

    def permits(self, attrs: Attributes) -> bool:
        """Whether this rule permits the resource request `attrs`."""
        if WILDCARD not in self.verbs and attrs.verb not in self.verbs:
            return False
        if WILDCARD not in self.api_groups and attrs.api_group not in self.api_groups:
            return False
        if not self._resource_matches(attrs.resource, attrs.subresource):
            return False
        return not self.resource_names or attrs.name in self.resource_names

    def _resource_matches(self, resource: str, subresource: str) -> bool:
        resources = self.resources
        if WILDCARD in resources:
            return True
        if subresource:
            return f"{resource}/{subresource}" in resources or f"*/{subresource}" in resources
        return resource in resources


def rules_permit(rules: tuple[Rule, ...], attrs: Attributes) -> bool:
    """Whether any of `rules` permits `attrs`."""
    return any(rule.permits(attrs) for rule in rules)
