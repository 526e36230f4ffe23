"""ClusterRole aggregation, as the clusterrole-aggregation controller leaves a cluster.

The controller sets the `rules` of every ClusterRole with an `aggregationRule` to the rules of
the ClusterRoles its `clusterRoleSelectors` select (selector by selector, each selector's roles
in name order, the role itself skipped, duplicates dropped), and repeats until nothing changes.
So:

* the aggregating role's own `rules` are replaced, not added to (an `aggregationRule` whose
  selectors select nothing, or that has none, leaves the role with no rules);
* aggregation nests: a selected role that itself aggregates contributes what it aggregates;
* for a cycle of aggregating roles we take the least fixed point, the rules of every
  non-aggregating role reachable through selectors (the controller's result there depends
  on the order it syncs roles in; an offline evaluation cannot know it).

A dump of a live cluster already holds the aggregated rules; recomputing them gives the same
rules as long as the dump holds the selected roles too.
"""

from __future__ import annotations

from collections.abc import Mapping

from podgate.rbac.model import CLUSTER_ROLE, RoleRef
from podgate.rbac.objects import RoleDef
from podgate.rbac.rules import Rule


def effective_rules(roles: Mapping[RoleRef, RoleDef]) -> dict[RoleRef, tuple[Rule, ...]]:
    """The rules each role grants, aggregation applied."""
    cluster = sorted((r for r in roles.values() if r.ref.kind == CLUSTER_ROLE), key=_name)
    selected: dict[RoleRef, list[RoleDef]] = {}
    for role in cluster:
        if role.selectors is None:
            continue
        picks: list[RoleDef] = []
        for selector in role.selectors:
            picks.extend(
                other
                for other in cluster
                if other.ref != role.ref and selector.matches(other.labels)
            )
        selected[role.ref] = picks

    out: dict[RoleRef, tuple[Rule, ...]] = {}
    for ref, role in roles.items():
        if role.selectors is None:
            out[ref] = _unique(role.rules)
            continue
        rules: list[Rule] = []
        _collect(ref, selected, {ref}, rules)
        out[ref] = _unique(rules)
    return out


def _name(role: RoleDef) -> str:
    return role.ref.name


def _collect(
    ref: RoleRef, selected: Mapping[RoleRef, list[RoleDef]], seen: set[RoleRef], into: list[Rule]
) -> None:
    for other in selected[ref]:
        if other.selectors is None:
            into.extend(other.rules)
        elif other.ref not in seen:
            seen.add(other.ref)
            _collect(other.ref, selected, seen, into)


def _unique(rules: tuple[Rule, ...] | list[Rule]) -> tuple[Rule, ...]:
    return tuple(dict.fromkeys(rules))
