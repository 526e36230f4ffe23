"""The offline RBAC authorizer: "can USER do VERB on RESOURCE/NAME in NS", and who can.

Decisions follow upstream's RBAC authorizer (plugin/pkg/auth/authorizer/rbac) and its rule
resolver (pkg/registry/rbac/validation): a request is allowed when some ClusterRoleBinding, or
some RoleBinding in the request's namespace, has a subject that applies to the user and refers
to a role with a rule that permits the request. ClusterRoleBindings apply in every namespace
and at cluster scope; RoleBindings only in their own namespace, including those that refer to a
ClusterRole. A binding whose role does not exist grants nothing (upstream logs and moves on);
`Authorizer.unresolved` lists them. `allows`, `grants` and `who_can` are RBAC alone.

"May X use PodSecurityPolicy P in NS" has one offline answer here, `can_use` (the
`k8s.identity.PolicyUseAuthorizer` every offline caller hands PSP admission: `admit --rbac`,
`serve --rbac-from`, `scan`, `advise`, `export`), asked in the API groups the
SubjectAccessReview authorizer asks the API server about too (`USE_GROUPS`): a
member of `system:masters` may use every policy, with or without a binding, as the API
server's authorizer chain allows that group everything before RBAC is asked.

Everything is compiled once: bindings are indexed by subject (user name, service-account user
name, group) and namespace, so a check is a few dict lookups and a look at the rules of the
roles bound to the user. Results are memoized; the authorizer never changes after it is built.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from podgate.k8s.identity import UserInfo
from podgate.rbac.aggregation import effective_rules
from podgate.rbac.model import (
    CLUSTER_ROLE_BINDING,
    GROUP,
    Attributes,
    BindingRef,
    Grant,
    RoleRef,
    Subject,
)
from podgate.rbac.objects import BindingDef, Redefinition, read_objects
from podgate.rbac.rules import Rule, rules_permit

PSP_RESOURCE = "podsecuritypolicies"
# `use` is asked in these API groups, in this order: PSP admission asked `policy`, then
# `extensions`; podgate's own policy CRD lives in `podgate.io`
USE_GROUPS = ("policy", "extensions", "podgate.io")
PRIVILEGED_GROUP = "system:masters"  # the API server's authorizer allows it everything
CACHE_LIMIT = 1 << 16  # entries per cache; a full cache is emptied, not evicted entry by entry


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity: cheap keys
class _Bound:
    """A binding whose role exists, as the index holds it."""

    binding: BindingRef
    role: RoleRef
    subjects: tuple[Subject, ...]


_Index = dict[Any, list[tuple[_Bound, int]]]  # subject key -> (binding, subject index)


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value


class Authorizer:
    """RBAC decisions over a fixed set of Roles, ClusterRoles and their bindings."""

    # its answers are fixed and free to ask (`k8s.identity.answers_fixed`)
    answers_fixed: ClassVar[bool] = True

    __slots__ = (
        "_allows",
        "_applicable",
        "_by_group",
        "_by_user",
        "_cluster_by_role",
        "_namespaced_by_role",
        "_permits",
        "_psp",
        "_redefined",
        "_roles",
        "_rules",
        "_unresolved",
        "_use",
        "_use_grants",
    )

    def __init__(self, rules: dict[RoleRef, tuple[Rule, ...]], bindings: Iterable[BindingDef]):
        """Use `from_objects`; this takes roles' effective rules and checked bindings."""
        self._rules = dict(rules)
        self._by_user: _Index = {}  # (namespace, user name); namespace "" for ClusterRoleBindings
        self._by_group: _Index = {}  # (namespace, group)
        self._cluster_by_role: dict[RoleRef, list[_Bound]] = {}
        self._namespaced_by_role: dict[str, dict[RoleRef, list[_Bound]]] = {}
        unresolved: list[tuple[BindingRef, RoleRef]] = []
        for b in sorted(bindings, key=lambda b: b.ref):
            if b.role not in rules:
                unresolved.append((b.ref, b.role))
                continue
            bound = _Bound(b.ref, b.role, b.subjects)
            scope = "" if b.ref.kind == CLUSTER_ROLE_BINDING else b.ref.namespace
            if scope:
                self._namespaced_by_role.setdefault(scope, {}).setdefault(b.role, []).append(bound)
            else:
                self._cluster_by_role.setdefault(b.role, []).append(bound)
            for i, s in enumerate(b.subjects):
                index = self._by_group if s.kind == GROUP else self._by_user
                index.setdefault((scope, s.name if s.kind == GROUP else s.username), []).append(
                    (bound, i)
                )
        self._unresolved = tuple(unresolved)
        self._redefined: tuple[Redefinition, ...] = ()
        # (user name, groups, namespace) -> the bindings that apply, the roles they bind
        self._applicable: dict[
            tuple[str, tuple[str, ...], str], tuple[tuple[_Bound, Subject], ...]
        ] = {}
        self._roles: dict[tuple[str, tuple[str, ...], str], tuple[RoleRef, ...]] = {}
        self._permits: dict[tuple[RoleRef, Attributes], bool] = {}
        self._allows: dict[tuple[UserInfo, Attributes], bool] = {}
        self._psp: dict[tuple[str, tuple[str, ...], str, str], bool] = {}
        self._use: dict[tuple[RoleRef, str], bool] = {}  # (role, policy) -> may use it
        # (the bindings that apply, policy) -> `use_grants`
        self._use_grants: dict[tuple[tuple[tuple[_Bound, Subject], ...], str], list[Grant]] = {}

    @classmethod
    def from_objects(
        cls, objs: Iterable[Any], *, default_namespace: str | None = None
    ) -> Authorizer:
        """Compile decoded objects (other kinds are skipped); raises `PolicyError`.

        `default_namespace` is given to a Role or RoleBinding without a namespace; without it,
        such an object is an error.
        """
        found = read_objects(objs, default_namespace=default_namespace)
        authorizer = cls(effective_rules(found.roles), found.bindings.values())
        authorizer._redefined = tuple(found.redefined)
        return authorizer

    @property
    def redefined(self) -> tuple[Redefinition, ...]:
        """Objects defined twice, differently, among those `from_objects` read (the later
        definition is the one in force)."""
        return self._redefined

    @property
    def unresolved(self) -> tuple[tuple[BindingRef, RoleRef], ...]:
        """(binding, missing role) for every binding whose role was not given, sorted."""
        return self._unresolved

    @property
    def roles(self) -> tuple[RoleRef, ...]:
        """Every Role and ClusterRole known, sorted."""
        return tuple(sorted(self._rules))

    def rules(self, role: RoleRef) -> tuple[Rule, ...]:
        """The rules `role` grants (aggregation applied); () for an unknown role."""
        return self._rules.get(role, ())

    def allows(self, user: UserInfo, attrs: Attributes) -> bool:
        """Whether RBAC allows `user` the resource request `attrs` (RBAC alone: the
        `system:masters` short cut is `authorizes`', as the API server's)."""
        key = (user, attrs)
        cached = self._allows.get(key)
        if cached is not None:
            return cached
        allowed = any(
            self._role_permits(b.role, attrs) for b, _ in self._bound(user, attrs.namespace)
        )
        _remember(self._allows, key, allowed)
        return allowed

    def authorizes(self, user: UserInfo, attrs: Attributes) -> bool:
        """Whether the API server's authorizer allows `user` `attrs`, as far as RBAC decides:
        `system:masters` is allowed everything before RBAC is asked."""
        return PRIVILEGED_GROUP in user.groups or self.allows(user, attrs)

    def grants(self, user: UserInfo, attrs: Attributes) -> list[Grant]:
        """Every binding through which `user` is allowed `attrs`, sorted (ClusterRoleBindings
        first). The subject is the binding's first that applies to the user, as upstream names
        it in its "RBAC: allowed by ..." reason."""
        return sorted(
            Grant(b.binding, b.role, subject)
            for b, subject in self._bound(user, attrs.namespace)
            if self._role_permits(b.role, attrs)
        )

    def who_can(self, attrs: Attributes) -> list[Grant]:
        """Every subject bound to a role that permits `attrs` where it applies, with the binding,
        sorted. A Group subject stands for all its members, `system:authenticated` for all."""
        found: set[Grant] = set()
        scopes = [self._cluster_by_role]
        if attrs.namespace:
            scopes.append(self._namespaced_by_role.get(attrs.namespace, {}))
        for by_role in scopes:
            for role, bounds in by_role.items():
                if self._role_permits(role, attrs):
                    found.update(Grant(b.binding, role, s) for b in bounds for s in b.subjects)
        return sorted(found)

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        """Whether `user` may `use` PodSecurityPolicy `policy` in `namespace` (the offline
        `PolicyUseAuthorizer`): verb `use`, resource `podsecuritypolicies`, the policy's name,
        API group `policy`, then `extensions`, then `podgate.io`; `system:masters` always.

        That is: some role bound to the user where the request is made permits `use` of the
        policy in some of those groups. The answer is remembered per (user name, groups,
        namespace, policy), all that RBAC reads of the request, and each role's answer per
        (role, policy), so the many service accounts bound to the same roles share it."""
        groups = user.groups
        if PRIVILEGED_GROUP in groups:
            return True
        key = (user.name, groups, namespace, policy)
        cached = self._psp.get(key)
        if cached is None:
            cached = False
            for role in self._roles_bound(user, namespace):
                if self._role_may_use(role, policy):
                    cached = True
                    break
            _remember(self._psp, key, cached)
        return cached

    def _roles_bound(self, user: UserInfo, namespace: str) -> tuple[RoleRef, ...]:
        """The distinct roles of the bindings that apply to `user` in `namespace`."""
        key = (user.name, user.groups, namespace)
        cached = self._roles.get(key)
        if cached is None:
            cached = tuple(dict.fromkeys(b.role for b, _ in self._bound(user, namespace)))
            _remember(self._roles, key, cached)
        return cached

    def _role_may_use(self, role: RoleRef, policy: str) -> bool:
        """Whether `role`'s rules permit `use` of `policy` in one of `USE_GROUPS` (rules do not
        name namespaces: where a role applies is its bindings' business)."""
        key = (role, policy)
        cached = self._use.get(key)
        if cached is None:
            rules = self._rules[role]
            cached = False
            for group in USE_GROUPS:
                if rules_permit(rules, Attributes("use", group, PSP_RESOURCE, "", policy)):
                    cached = True
                    break
            _remember(self._use, key, cached)
        return cached

    def use_grants(self, user: UserInfo, namespace: str, policy: str) -> list[Grant]:
        """Every binding through which RBAC lets `user` `use` `policy` in `namespace`, in the
        API groups `can_use` asks (each group's `grants` in turn; the `system:masters` short
        cut is no binding). Remembered per (the bindings that apply to the user there, each
        with its subject; the policy): all that the answer reads, as rules name no namespace,
        so the many service accounts bound alike share it."""
        key = (self._bound(user, namespace), policy)
        cached = self._use_grants.get(key)
        if cached is None:
            cached = [
                g
                for group in USE_GROUPS
                for g in self.grants(
                    user, Attributes("use", group, PSP_RESOURCE, namespace, policy)
                )
            ]
            _remember(self._use_grants, key, cached)
        return list(cached)

    def _role_permits(self, role: RoleRef, attrs: Attributes) -> bool:
        key = (role, attrs)
        cached = self._permits.get(key)
        if cached is None:
            cached = rules_permit(self._rules[role], attrs)
            _remember(self._permits, key, cached)
        return cached

    def _bound(self, user: UserInfo, namespace: str) -> tuple[tuple[_Bound, Subject], ...]:
        """The bindings that apply to `user` for a request in `namespace`, each with the
        first of its subjects that applies (RBAC reads the user's name and groups only)."""
        key = (user.name, user.groups, namespace)
        cached = self._applicable.get(key)
        if cached is not None:
            return cached
        scopes: Collection[str] = ("", namespace) if namespace else ("",)
        first: dict[_Bound, int] = {}
        for scope in scopes:
            for entry in self._by_user.get((scope, user.name), ()):
                _keep_first(first, entry)
            for group in user.groups:
                for entry in self._by_group.get((scope, group), ()):
                    _keep_first(first, entry)
        found = tuple((b, b.subjects[i]) for b, i in first.items())
        _remember(self._applicable, key, found)
        return found


def _keep_first(first: dict[_Bound, int], entry: tuple[_Bound, int]) -> None:
    bound, i = entry
    if i < first.get(bound, i + 1):
        first[bound] = i
