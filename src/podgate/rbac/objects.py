"""Decoded RBAC objects to checked definitions: Role, ClusterRole, RoleBinding, ClusterRoleBinding.

Objects are checked as the API server's validation checks them (the fields the evaluator reads),
so a file that no cluster would have accepted fails here with a field path, e.g.
`rolebinding "x" in namespace "y": roleRef.kind: must be Role or ClusterRole`. Objects of other
kinds, or of another API group, are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podgate.errors import PolicyError
from podgate.k8s.gotext import go_quote
from podgate.rbac.model import (
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    GROUP,
    RBAC_GROUP,
    ROLE,
    ROLE_BINDING,
    SERVICE_ACCOUNT,
    USER,
    BindingRef,
    RoleRef,
    Subject,
)
from podgate.rbac.parse import Invalid, labels, obj, shown, string, string_list
from podgate.rbac.rules import Rule
from podgate.rbac.selectors import Selector, compile_selector

KINDS = (ROLE, CLUSTER_ROLE, ROLE_BINDING, CLUSTER_ROLE_BINDING)
VERSIONS = ("v1", "v1beta1")
_NAMESPACED = (ROLE, ROLE_BINDING)
_SUBJECT_KINDS = (SERVICE_ACCOUNT, USER, GROUP)


@dataclass(frozen=True, slots=True)
class RoleDef:
    """A Role (namespace set) or ClusterRole; `selectors` is None unless it aggregates."""

    ref: RoleRef
    rules: tuple[Rule, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    selectors: tuple[Selector, ...] | None = None


@dataclass(frozen=True, slots=True)
class BindingDef:
    """A binding with its role reference resolved to a RoleRef and subjects' namespaces set."""

    ref: BindingRef
    role: RoleRef
    subjects: tuple[Subject, ...]


@dataclass(frozen=True, slots=True)
class Redefinition:
    """An object defined twice, differently: the later definition (by index in the objects
    read) wins, as `kubectl apply` of both, in order, would leave it."""

    where: str  # `clusterrole "x"`
    first: int  # index of the definition replaced
    later: int  # index of the definition kept


class ObjectError(PolicyError):
    """An RBAC object that the API server would not have accepted; `index` is its position
    among the objects read, so callers can name its file and line."""

    def __init__(self, message: str, *, field: str = "", index: int = 0) -> None:
        super().__init__(message)
        self.field = field
        self.index = index


@dataclass(slots=True)
class Definitions:
    """Every RBAC object read, keyed by identity."""

    roles: dict[RoleRef, RoleDef] = field(default_factory=dict)
    bindings: dict[BindingRef, BindingDef] = field(default_factory=dict)
    read_at: dict[Any, int] = field(default_factory=dict)  # identity -> index of its definition
    redefined: list[Redefinition] = field(default_factory=list)


def describe(kind: str, name: str, namespace: str) -> str:
    """How messages name an object: `rolebinding "x" in namespace "y"`, `clusterrole "x"`."""
    text = f"{kind.lower()} {go_quote(name)}"
    return f"{text} in namespace {go_quote(namespace)}" if namespace else text


def read_objects(objs: Iterable[Any], *, default_namespace: str | None = None) -> Definitions:
    """Check and collect the RBAC objects among `objs`; raises `PolicyError`.

    `default_namespace` is given to a Role or RoleBinding without `metadata.namespace` (as
    `kubectl apply -n` would); without it such an object is an error. The same object given
    twice is read once; of two different objects with the same identity the later is kept, as
    `kubectl apply` would leave it, and `redefined` says so. Errors are `ObjectError`s.
    """
    out = Definitions()
    for index, raw in enumerate(objs):
        if not isinstance(raw, Mapping) or raw.get("kind") not in KINDS:
            continue
        kind: str = raw["kind"]
        where = _where(raw, kind, index, default_namespace)
        try:
            if _is_rbac(raw.get("apiVersion")):
                _read_one(raw, kind, where, default_namespace, out, index)
        except Invalid as err:
            raise ObjectError(
                f"{where}: {err.path}: {err.message}", field=err.path, index=index
            ) from None
    return out


def _where(raw: Mapping[str, Any], kind: str, index: int, default_ns: str | None) -> str:
    meta = raw.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return f"{kind.lower()} (object {index})"
    namespace = meta.get("namespace") if kind in _NAMESPACED else ""
    if kind in _NAMESPACED and not namespace:
        namespace = default_ns or ""
    return describe(kind, name, namespace if isinstance(namespace, str) else "")


def _is_rbac(api_version: Any) -> bool:
    """Whether the object is of the RBAC group (another group's `Role` is not ours)."""
    if api_version is None:
        raise Invalid("apiVersion", "required")
    if not isinstance(api_version, str):
        raise Invalid("apiVersion", f"must be a string, got {shown(api_version)}")
    group, _, version = api_version.rpartition("/")
    if group != RBAC_GROUP:
        return False
    if version not in VERSIONS:
        allowed = f"{RBAC_GROUP}/v1 or {RBAC_GROUP}/v1beta1"
        raise Invalid("apiVersion", f"must be {allowed}, got {go_quote(api_version)}")
    return True


def _read_one(
    raw: Mapping[str, Any],
    kind: str,
    where: str,
    default_ns: str | None,
    out: Definitions,
    index: int,
) -> None:
    meta = obj(raw.get("metadata"), "metadata", required=True)
    name = string(meta.get("name"), "metadata.name", required=True)
    namespace = ""
    if kind in _NAMESPACED:
        namespace = string(meta.get("namespace"), "metadata.namespace") or (default_ns or "")
        if not namespace:
            raise Invalid("metadata.namespace", f"required for a {kind}")
    if kind in (ROLE, CLUSTER_ROLE):
        role = _read_role(raw, kind, name, namespace, meta)
        _add(out, out.roles, role.ref, role, where, index)
    else:
        binding = _read_binding(raw, kind, name, namespace)
        _add(out, out.bindings, binding.ref, binding, where, index)


def _add(out: Definitions, into: dict[Any, Any], key: Any, value: Any, where: str, i: int) -> None:
    old = into.get(key)
    if old is not None:
        if old == value:
            return  # the same object given twice: read once, where it was first read
        out.redefined.append(Redefinition(where, out.read_at[key], i))
    into[key] = value
    out.read_at[key] = i


def _read_role(
    raw: Mapping[str, Any], kind: str, name: str, namespace: str, meta: Mapping[str, Any]
) -> RoleDef:
    rules_raw = raw.get("rules")
    if rules_raw is not None and not isinstance(rules_raw, list):
        raise Invalid("rules", f"must be a list, got {shown(rules_raw)}")
    rules = tuple(
        _read_rule(r, f"rules[{i}]", namespaced=kind == ROLE) for i, r in enumerate(rules_raw or ())
    )
    if kind == ROLE:
        return RoleDef(RoleRef(ROLE, name, namespace), rules)
    selectors: tuple[Selector, ...] | None = None
    aggregation = raw.get("aggregationRule")
    if aggregation is not None:
        agg = obj(aggregation, "aggregationRule")
        sel_raw = agg.get("clusterRoleSelectors")
        if sel_raw is not None and not isinstance(sel_raw, list):
            raise Invalid(
                "aggregationRule.clusterRoleSelectors", f"must be a list, got {shown(sel_raw)}"
            )
        selectors = tuple(
            compile_selector(s, f"aggregationRule.clusterRoleSelectors[{i}]")
            for i, s in enumerate(sel_raw or ())
        )
    return RoleDef(
        RoleRef(CLUSTER_ROLE, name), rules, labels(meta.get("labels"), "metadata.labels"), selectors
    )


def _read_rule(raw: Any, at: str, *, namespaced: bool) -> Rule:
    """A PolicyRule, checked as upstream's validatePolicyRule checks it."""
    rule = obj(raw, at, required=True)
    verbs = string_list(rule.get("verbs"), f"{at}.verbs")
    groups = string_list(rule.get("apiGroups"), f"{at}.apiGroups")
    resources = string_list(rule.get("resources"), f"{at}.resources")
    names = string_list(rule.get("resourceNames"), f"{at}.resourceNames")
    urls = string_list(rule.get("nonResourceURLs"), f"{at}.nonResourceURLs")
    if not verbs:
        raise Invalid(f"{at}.verbs", "must contain at least one value")
    if urls:
        if namespaced:
            raise Invalid(f"{at}.nonResourceURLs", "namespaced rules cannot apply to them")
        if groups or resources or names:
            raise Invalid(
                f"{at}.nonResourceURLs",
                "rules cannot apply to both regular resources and non-resource URLs",
            )
    else:
        if not groups:
            raise Invalid(f"{at}.apiGroups", "resource rules must supply at least one api group")
        if not resources:
            raise Invalid(f"{at}.resources", "resource rules must supply at least one resource")
    return Rule(
        frozenset(verbs), frozenset(groups), frozenset(resources), frozenset(names), frozenset(urls)
    )


def _read_binding(raw: Mapping[str, Any], kind: str, name: str, namespace: str) -> BindingDef:
    ref = obj(raw.get("roleRef"), "roleRef", required=True)
    api_group = string(ref.get("apiGroup"), "roleRef.apiGroup")
    if api_group not in ("", RBAC_GROUP):
        raise Invalid("roleRef.apiGroup", f"must be {RBAC_GROUP}, got {go_quote(api_group)}")
    role_kind = ref.get("kind")
    if kind == ROLE_BINDING and role_kind not in (ROLE, CLUSTER_ROLE):
        raise Invalid("roleRef.kind", "must be Role or ClusterRole")
    if kind == CLUSTER_ROLE_BINDING and role_kind != CLUSTER_ROLE:
        raise Invalid("roleRef.kind", "must be ClusterRole")
    role_name = string(ref.get("name"), "roleRef.name", required=True)
    role_kind = ROLE if role_kind == ROLE else CLUSTER_ROLE
    role = RoleRef(role_kind, role_name, namespace if role_kind == ROLE else "")
    subjects_raw = raw.get("subjects")
    if subjects_raw is not None and not isinstance(subjects_raw, list):
        raise Invalid("subjects", f"must be a list, got {shown(subjects_raw)}")
    subjects = tuple(
        _read_subject(s, f"subjects[{i}]", namespace) for i, s in enumerate(subjects_raw or ())
    )
    return BindingDef(BindingRef(kind, name, namespace), role, subjects)


def _read_subject(raw: Any, at: str, binding_namespace: str) -> Subject:
    """A subject, checked as upstream's validateRoleBindingSubject after v1 defaulting."""
    subject = obj(raw, at, required=True)
    kind = subject.get("kind")
    if kind not in _SUBJECT_KINDS:
        raise Invalid(f"{at}.kind", f"must be ServiceAccount, User or Group, got {shown(kind)}")
    name = string(subject.get("name"), f"{at}.name", required=True)
    api_group = string(subject.get("apiGroup"), f"{at}.apiGroup")
    namespace = string(subject.get("namespace"), f"{at}.namespace")
    if kind == SERVICE_ACCOUNT:
        if api_group:
            raise Invalid(
                f"{at}.apiGroup", f'must be "" for a ServiceAccount, got {shown(api_group)}'
            )
        if not namespace:
            if not binding_namespace:
                raise Invalid(f"{at}.namespace", "required for a ServiceAccount")
            namespace = binding_namespace
        return Subject(SERVICE_ACCOUNT, name, namespace)
    if api_group not in ("", RBAC_GROUP):
        raise Invalid(
            f"{at}.apiGroup", f"must be {RBAC_GROUP} for a {kind}, got {shown(api_group)}"
        )
    return Subject(kind, name)
