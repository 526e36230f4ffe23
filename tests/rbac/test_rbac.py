"""The offline RBAC evaluator: rule matching, binding scope, subjects, aggregation, who-can."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import podgate.rbac
from podgate.errors import PolicyError
from podgate.k8s.identity import UserInfo, service_account_user
from podgate.rbac import (
    Attributes,
    Authorizer,
    BindingRef,
    Grant,
    ObjectError,
    Redefinition,
    RoleRef,
    Rule,
    Subject,
)

V1 = "rbac.authorization.k8s.io/v1"
G = "rbac.authorization.k8s.io"


# builders: plain dicts as kubectl would decode them
def rule(verbs: str, groups: str, resources: str, names: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "verbs": verbs.split(),
        "apiGroups": ["" if g == "core" else g for g in groups.split()],
        "resources": resources.split(),
    }
    if names:
        out["resourceNames"] = names.split()
    return out


def role(name: str, ns: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": V1,
        "kind": "Role",
        "metadata": {"name": name, "namespace": ns},
        "rules": list(rules),
    }


def crole(
    name: str,
    *rules: dict[str, Any],
    labels: dict[str, str] | None = None,
    selectors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": V1, "kind": "ClusterRole", "metadata": {"name": name}}
    if labels:
        out["metadata"]["labels"] = labels
    if rules:
        out["rules"] = list(rules)
    if selectors is not None:
        out["aggregationRule"] = {"clusterRoleSelectors": selectors}
    return out


def user(name: str) -> dict[str, Any]:
    return {"kind": "User", "apiGroup": G, "name": name}


def group(name: str) -> dict[str, Any]:
    return {"kind": "Group", "apiGroup": G, "name": name}


def sa(name: str, ns: str = "") -> dict[str, Any]:
    out = {"kind": "ServiceAccount", "name": name}
    if ns:
        out["namespace"] = ns
    return out


def rb(name: str, ns: str, ref: str, *subjects: dict[str, Any]) -> dict[str, Any]:
    kind, _, role_name = ref.partition("/")
    return {
        "apiVersion": V1,
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": ns},
        "roleRef": {"apiGroup": G, "kind": kind, "name": role_name},
        "subjects": list(subjects),
    }


def crb(name: str, role_name: str, *subjects: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": V1,
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": G, "kind": "ClusterRole", "name": role_name},
        "subjects": list(subjects),
    }


ALICE = UserInfo("alice", ("system:authenticated",))


def attrs(spec: str, ns: str = "ns", name: str = "") -> Attributes:
    """`verb group resource[/sub]`, group `core` for ""."""
    verb, grp, res = spec.split()
    resource, _, sub = res.partition("/")
    return Attributes(verb, "" if grp == "core" else grp, resource, ns, name, sub)


# --- rule matching (upstream's VerbMatches, APIGroupMatches, ResourceMatches, ...) ---

RULE_CASES = [
    # (rule, request, name, allowed)
    (rule("get", "core", "pods"), "get core pods", "", True),
    (rule("get", "core", "pods"), "list core pods", "", False),
    (rule("get list", "core", "pods"), "list core pods", "", True),
    (rule("*", "core", "pods"), "delete core pods", "", True),
    (rule("get", "core", "pods"), "get apps pods", "", False),
    (rule("get", "apps", "deployments"), "get apps deployments", "", True),
    (rule("get", "*", "deployments"), "get extensions deployments", "", True),
    (rule("get", "*", "deployments"), "get core deployments", "", True),
    (rule("get", "core", "pods"), "get core services", "", False),
    (rule("get", "core", "*"), "get core services", "", True),
    (rule("*", "*", "*"), "escalate rbac.authorization.k8s.io clusterroles", "", True),
    # subresources
    (rule("get", "core", "pods"), "get core pods/log", "", False),
    (rule("get", "core", "pods/log"), "get core pods/log", "", True),
    (rule("get", "core", "pods/log"), "get core pods", "", False),
    (rule("get", "core", "*"), "get core pods/log", "", True),
    (rule("get", "core", "*/log"), "get core pods/log", "", True),
    (rule("get", "core", "*/log"), "get core nodes/log", "", True),
    (rule("get", "core", "*/log"), "get core pods/status", "", False),
    (rule("get", "core", "*/log"), "get core pods", "", False),
    (rule("get", "core", "*/log"), "get core log", "", False),
    # `pods/*` and `*/*` are not wildcards: only the subresource literally named "*"
    (rule("get", "core", "pods/*"), "get core pods/log", "", False),
    (rule("get", "core", "pods/*"), "get core pods/*", "", True),
    (rule("get", "core", "*/*"), "get core pods/log", "", False),
    (rule("get", "core", "*/*"), "get core pods/*", "", True),
    # resourceNames
    (
        rule("use", "policy", "podsecuritypolicies", "a b"),
        "use policy podsecuritypolicies",
        "a",
        True,
    ),
    (
        rule("use", "policy", "podsecuritypolicies", "a b"),
        "use policy podsecuritypolicies",
        "b",
        True,
    ),
    (
        rule("use", "policy", "podsecuritypolicies", "a"),
        "use policy podsecuritypolicies",
        "c",
        False,
    ),
    (
        rule("use", "policy", "podsecuritypolicies", "a"),
        "use policy podsecuritypolicies",
        "",
        False,
    ),
    (rule("use", "policy", "podsecuritypolicies"), "use policy podsecuritypolicies", "", True),
    (rule("use", "policy", "podsecuritypolicies"), "use policy podsecuritypolicies", "x", True),
    (rule("get", "core", "pods/log", "web"), "get core pods/log", "web", True),
    (rule("get", "core", "pods/log", "web"), "get core pods/log", "db", False),
    # case matters
    (rule("Get", "core", "pods"), "get core pods", "", False),
    (rule("get", "core", "Pods"), "get core pods", "", False),
]


@pytest.mark.parametrize(("raw", "request_", "name", "allowed"), RULE_CASES)
def test_rule_matching(raw: dict[str, Any], request_: str, name: str, allowed: bool) -> None:
    authz = Authorizer.from_objects([crole("r", raw), crb("b", "r", user("alice"))])
    assert authz.allows(ALICE, attrs(request_, name=name)) is allowed
    # the same rule through a Role and RoleBinding, in the namespace
    authz = Authorizer.from_objects([role("r", "ns", raw), rb("b", "ns", "Role/r", user("alice"))])
    assert authz.allows(ALICE, attrs(request_, name=name)) is allowed
    assert (authz.grants(ALICE, attrs(request_, name=name)) != []) is allowed


def test_non_resource_rules_permit_no_resource_request() -> None:
    urls = {"verbs": ["*"], "nonResourceURLs": ["*"]}
    authz = Authorizer.from_objects([crole("r", urls), crb("b", "r", user("alice"))])
    assert not authz.allows(ALICE, attrs("get core pods"))
    assert authz.rules(RoleRef("ClusterRole", "r")) == (
        Rule(frozenset({"*"}), frozenset(), frozenset(), frozenset(), frozenset({"*"})),
    )


# --- binding scope ---

SCOPE_OBJECTS = [
    role("pod-reader", "dev", rule("get", "core", "pods")),
    role("pod-reader", "prod", rule("delete", "core", "pods")),
    crole("secret-reader", rule("get", "core", "secrets")),
    crole("node-reader", rule("get", "core", "nodes")),
    rb("read-pods", "dev", "Role/pod-reader", user("alice")),
    rb("read-secrets", "dev", "ClusterRole/secret-reader", user("alice")),
    crb("read-nodes", "node-reader", user("alice")),
    # refers to a Role that exists only in another namespace: grants nothing
    rb("dangling", "test", "Role/pod-reader", user("alice")),
]

SCOPE_CASES = [
    ("get core pods", "dev", True),  # Role via RoleBinding, in its namespace
    ("delete core pods", "dev", False),  # the other namespace's Role of the same name
    ("get core pods", "prod", False),
    ("get core pods", "test", False),  # dangling
    ("get core pods", "", False),  # RoleBindings never apply at cluster scope
    ("get core secrets", "dev", True),  # ClusterRole via RoleBinding: only the binding's namespace
    ("get core secrets", "prod", False),
    ("get core secrets", "", False),
    ("get core nodes", "", True),  # ClusterRoleBinding: cluster scope ...
    ("get core nodes", "dev", True),  # ... and every namespace
    ("get core nodes", "anything", True),
]


@pytest.mark.parametrize(("request_", "ns", "allowed"), SCOPE_CASES)
def test_binding_scope(request_: str, ns: str, allowed: bool) -> None:
    authz = Authorizer.from_objects(SCOPE_OBJECTS)
    assert authz.allows(ALICE, attrs(request_, ns=ns)) is allowed


def test_unresolved_bindings_are_listed() -> None:
    authz = Authorizer.from_objects(
        [*SCOPE_OBJECTS, crb("gone", "missing", group("system:authenticated"))]
    )
    assert authz.unresolved == (
        (BindingRef("ClusterRoleBinding", "gone"), RoleRef("ClusterRole", "missing")),
        (BindingRef("RoleBinding", "dangling", "test"), RoleRef("Role", "pod-reader", "test")),
    )
    assert not authz.allows(ALICE, attrs("get core pods", ns="test"))


# --- subjects ---

SUBJECT_OBJECTS = [
    crole("psp-a", rule("use", "policy", "podsecuritypolicies", "a")),
    rb("to-sa", "ns", "ClusterRole/psp-a", sa("builder")),  # namespace defaults to the binding's
    rb("to-sa-other", "ns", "ClusterRole/psp-a", sa("deployer", "other")),
    rb("to-all-sa-in-ns", "team", "ClusterRole/psp-a", group("system:serviceaccounts:team")),
    rb("to-all-sa", "shared", "ClusterRole/psp-a", group("system:serviceaccounts")),
    rb("to-authenticated", "open", "ClusterRole/psp-a", group("system:authenticated")),
    rb("to-user", "users", "ClusterRole/psp-a", user("system:serviceaccount:users:named")),
    crb("sa-everywhere", "psp-a", sa("robot", "ops")),
]

USE_A = "use policy podsecuritypolicies"

SUBJECT_CASES = [
    (service_account_user("ns", "builder"), "ns", True),
    (service_account_user("ns", "other"), "ns", False),
    (service_account_user("other", "builder"), "ns", False),  # right name, wrong namespace
    (service_account_user("other", "builder"), "other", False),
    # a ServiceAccount subject in another namespace, bound in "ns": allowed in "ns" only
    (service_account_user("other", "deployer"), "ns", True),
    (service_account_user("other", "deployer"), "other", False),
    (service_account_user("team", "anyone"), "team", True),
    (service_account_user("elsewhere", "anyone"), "team", False),
    (service_account_user("elsewhere", "anyone"), "shared", True),
    (UserInfo("bob"), "shared", False),
    (service_account_user("x", "y"), "open", True),
    (service_account_user("x", "y", authenticated=False), "open", False),  # PSP's pod identity
    (UserInfo("bob", ("system:authenticated",)), "open", True),
    # a User subject spelled as a service account's user name matches that service account
    (service_account_user("users", "named", authenticated=False), "users", True),
    (service_account_user("ops", "robot", authenticated=False), "anywhere", True),
    (service_account_user("ops", "robot", authenticated=False), "", True),
    (service_account_user("ops", "robots", authenticated=False), "ops", False),
]


@pytest.mark.parametrize(("who", "ns", "allowed"), SUBJECT_CASES)
def test_subjects(who: UserInfo, ns: str, allowed: bool) -> None:
    authz = Authorizer.from_objects(SUBJECT_OBJECTS)
    assert authz.allows(who, attrs(USE_A, ns=ns, name="a")) is allowed
    assert not authz.allows(who, attrs(USE_A, ns=ns, name="b"))


# --- aggregation ---


def sel(**labels: str) -> dict[str, Any]:
    return {"matchLabels": labels}


def expr(key: str, op: str, *values: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "operator": op}
    if values:
        out["values"] = list(values)
    return out


AGG_BASE = [
    crole("view-pods", rule("get", "core", "pods"), labels={"agg/view": "true", "tier": "a"}),
    crole("view-svc", rule("get", "core", "services"), labels={"agg/view": "true", "tier": "b"}),
    crole("edit-pods", rule("delete", "core", "pods"), labels={"agg/edit": "true"}),
    crole("unlabelled", rule("get", "core", "secrets")),
]

AGG_CASES = [
    # (selectors, own rules, requests allowed, requests denied)
    (
        [sel(**{"agg/view": "true"})],
        [],
        ["get core pods", "get core services"],
        ["get core secrets"],
    ),
    ([sel(**{"agg/view": "true", "tier": "a"})], [], ["get core pods"], ["get core services"]),
    (
        [sel(**{"agg/view": "true"}), sel(**{"agg/edit": "true"})],
        [],
        ["get core pods", "get core services", "delete core pods"],
        ["get core secrets"],
    ),
    (
        [{"matchExpressions": [expr("tier", "In", "b", "c")]}],
        [],
        ["get core services"],
        ["get core pods"],
    ),
    (
        [{"matchExpressions": [expr("tier", "NotIn", "a")]}],
        [],
        ["get core services", "delete core pods", "get core secrets"],
        ["get core pods"],
    ),
    (
        [{"matchExpressions": [expr("agg/edit", "Exists")]}],
        [],
        ["delete core pods"],
        ["get core pods"],
    ),
    (
        [
            {
                "matchExpressions": [
                    expr("agg/view", "DoesNotExist"),
                    expr("agg/edit", "DoesNotExist"),
                ]
            }
        ],
        [],
        ["get core secrets"],
        ["get core pods", "delete core pods"],
    ),
    # matchLabels and matchExpressions are ANDed
    (
        [{"matchLabels": {"agg/view": "true"}, "matchExpressions": [expr("tier", "NotIn", "a")]}],
        [],
        ["get core services"],
        ["get core pods"],
    ),
    # an empty selector selects every ClusterRole
    ([{}], [], ["get core pods", "get core services", "delete core pods", "get core secrets"], []),
    # selectors that select nothing: the role's own rules are replaced by nothing
    ([sel(nothing="here")], [rule("get", "core", "configmaps")], [], ["get core configmaps"]),
    ([], [rule("get", "core", "configmaps")], [], ["get core configmaps"]),
    ([sel(**{"agg/view": "false"})], [], [], ["get core pods"]),
    # own rules are replaced, not added to
    (
        [sel(**{"agg/edit": "true"})],
        [rule("get", "core", "configmaps")],
        ["delete core pods"],
        ["get core configmaps"],
    ),
]


@pytest.mark.parametrize(("selectors", "own", "allowed", "denied"), AGG_CASES)
def test_aggregation(
    selectors: list[dict[str, Any]],
    own: list[dict[str, Any]],
    allowed: list[str],
    denied: list[str],
) -> None:
    objs = [*AGG_BASE, crole("agg", *own, selectors=selectors), crb("b", "agg", user("alice"))]
    authz = Authorizer.from_objects(objs)
    for req in allowed:
        assert authz.allows(ALICE, attrs(req)), req
    for req in denied:
        assert not authz.allows(ALICE, attrs(req)), req


def test_aggregation_nests_and_ignores_itself() -> None:
    objs = [
        *AGG_BASE,
        # edit aggregates edit-labelled roles and view; it is labelled for admin itself
        crole(
            "edit",
            selectors=[sel(**{"agg/edit": "true"}), sel(name="view")],
            labels={"agg/admin": "true", "agg/edit": "true"},
        ),
        crole("view", selectors=[sel(**{"agg/view": "true"})], labels={"name": "view"}),
        crole("admin", rule("get", "core", "configmaps"), labels={"agg/admin": "true"}),
        crole("super", selectors=[sel(**{"agg/admin": "true"})]),
        crb("b", "super", user("alice")),
    ]
    authz = Authorizer.from_objects(objs)
    for req in ["get core pods", "get core services", "delete core pods", "get core configmaps"]:
        assert authz.allows(ALICE, attrs(req)), req
    assert not authz.allows(ALICE, attrs("get core secrets"))
    # edit's selector matches edit itself: skipped, no recursion trouble
    assert {r.resources for r in authz.rules(RoleRef("ClusterRole", "edit"))} == {
        frozenset({"pods"}),
        frozenset({"services"}),
    }


def test_aggregation_cycle_takes_the_least_fixed_point() -> None:
    objs = [
        crole("a", rule("get", "core", "a-own"), labels={"x": "a"}, selectors=[sel(x="b")]),
        crole("b", rule("get", "core", "b-own"), labels={"x": "b"}, selectors=[sel(x="a")]),
        crole("leaf", rule("get", "core", "leaf"), labels={"x": "a"}),
    ]
    authz = Authorizer.from_objects(objs)
    leaf = (
        Rule(frozenset({"get"}), frozenset({""}), frozenset({"leaf"}), frozenset(), frozenset()),
    )
    # a selects b; b selects a and leaf: both end with leaf's rules, their own are replaced
    assert authz.rules(RoleRef("ClusterRole", "a")) == leaf
    assert authz.rules(RoleRef("ClusterRole", "b")) == leaf


def test_aggregated_rules_are_deduplicated_in_controller_order() -> None:
    objs = [
        crole("z", rule("get", "core", "pods"), labels={"l": "1"}),
        crole("y", rule("get", "core", "pods"), rule("get", "core", "nodes"), labels={"l": "1"}),
        crole("agg", selectors=[sel(l="1")]),
    ]
    rules = Authorizer.from_objects(objs).rules(RoleRef("ClusterRole", "agg"))
    assert [sorted(r.resources) for r in rules] == [["pods"], ["nodes"]]  # y before z, once


# --- grants and who_can ---

GRANT_OBJECTS = [
    crole("psp-restricted", rule("use", "policy", "podsecuritypolicies", "restricted")),
    crole("psp-any", rule("use", "extensions", "podsecuritypolicies")),
    role("psp-priv", "kube-system", rule("use", "policy", "podsecuritypolicies", "privileged")),
    crb("everyone-restricted", "psp-restricted", group("system:authenticated")),
    crb("admins-any", "psp-any", user("root"), group("admins")),
    rb("ks-priv", "kube-system", "Role/psp-priv", sa("node-agent"), group("admins")),
    rb("dev-restricted", "dev", "ClusterRole/psp-restricted", sa("app"), user("carol")),
]


def test_grants_name_binding_role_and_first_applying_subject() -> None:
    authz = Authorizer.from_objects(GRANT_OBJECTS)
    carol = UserInfo("carol", ("system:authenticated",))
    assert authz.grants(carol, attrs("use policy podsecuritypolicies", "dev", "restricted")) == [
        Grant(
            BindingRef("ClusterRoleBinding", "everyone-restricted"),
            RoleRef("ClusterRole", "psp-restricted"),
            Subject("Group", "system:authenticated"),
        ),
        Grant(
            BindingRef("RoleBinding", "dev-restricted", "dev"),
            RoleRef("ClusterRole", "psp-restricted"),
            Subject("User", "carol"),
        ),
    ]
    # both subjects of admins-any apply: upstream names the first
    root = UserInfo("root", ("admins",))
    grants = authz.grants(root, attrs("use extensions podsecuritypolicies", "x", "p"))
    assert grants == [
        Grant(
            BindingRef("ClusterRoleBinding", "admins-any"),
            RoleRef("ClusterRole", "psp-any"),
            Subject("User", "root"),
        )
    ]
    assert str(grants[0]) == "ClusterRoleBinding admins-any of ClusterRole psp-any to User root"
    assert authz.grants(root, attrs("use policy podsecuritypolicies", "x", "p")) == []


def test_who_can() -> None:
    authz = Authorizer.from_objects(GRANT_OBJECTS)
    found = authz.who_can(attrs("use policy podsecuritypolicies", "kube-system", "privileged"))
    assert [str(g) for g in found] == [
        "RoleBinding kube-system/ks-priv of Role kube-system/psp-priv to Group admins",
        "RoleBinding kube-system/ks-priv of Role kube-system/psp-priv"
        " to ServiceAccount kube-system/node-agent",
    ]
    found = authz.who_can(attrs("use policy podsecuritypolicies", "dev", "restricted"))
    assert [(g.binding.name, g.subject) for g in found] == [
        ("everyone-restricted", Subject("Group", "system:authenticated")),
        ("dev-restricted", Subject("ServiceAccount", "app", "dev")),
        ("dev-restricted", Subject("User", "carol")),
    ]
    assert authz.who_can(attrs("use policy podsecuritypolicies", "", "privileged")) == []
    # at cluster scope only ClusterRoleBindings count
    found = authz.who_can(attrs("use policy podsecuritypolicies", "", "restricted"))
    assert [g.binding.name for g in found] == ["everyone-restricted"]
    found = authz.who_can(attrs("use extensions podsecuritypolicies", "", "anything"))
    assert [(g.binding.name, str(g.subject)) for g in found] == [
        ("admins-any", "Group admins"),
        ("admins-any", "User root"),
    ]


def test_public_api() -> None:
    assert sorted(podgate.rbac.__all__) == podgate.rbac.__all__
    assert all(hasattr(podgate.rbac, name) for name in podgate.rbac.__all__)


def test_can_use_asks_use_of_the_policy_in_its_namespace() -> None:
    authz = Authorizer.from_objects(GRANT_OBJECTS)
    names = ["privileged", "restricted", "baseline"]

    def usable(user: UserInfo, namespace: str) -> list[str]:
        return [n for n in names if authz.can_use(user, namespace, n)]

    node_agent = service_account_user("kube-system", "node-agent", authenticated=False)
    assert usable(node_agent, "kube-system") == ["privileged"]
    assert usable(node_agent, "dev") == []
    app = service_account_user("dev", "app", authenticated=False)
    assert usable(app, "dev") == ["restricted"]
    assert usable(app, "prod") == []
    anyone = UserInfo("someone", ("system:authenticated",))
    assert usable(anyone, "prod") == ["restricted"]
    # psp-any grants `use` in API group extensions only: PSP admission asks for both groups
    admin = UserInfo("someone", ("admins",))
    assert usable(admin, "kube-system") == names
    # uid and extra are the authenticator's; RBAC does not read them
    assert usable(UserInfo("someone", ("admins",), "uid-1", (("k", ("v",)),)), "dev") == names


def test_system_masters_may_use_every_policy_without_a_binding() -> None:
    authz = Authorizer.from_objects(GRANT_OBJECTS)
    root = UserInfo("kubernetes-admin", ("system:masters",))
    assert authz.can_use(root, "dev", "no-such-policy")
    assert authz.authorizes(root, attrs("delete core secrets", "dev"))
    assert not authz.allows(root, attrs("delete core secrets", "dev"))  # RBAC alone
    assert authz.use_grants(root, "dev", "restricted") == []  # no binding grants it


POLICIES = ("restricted", "privileged", "baseline")


def test_use_grants_name_the_bindings_in_every_use_group() -> None:
    authz = Authorizer.from_objects(GRANT_OBJECTS)
    admin = UserInfo("someone", ("admins",))
    extensions = authz.grants(admin, attrs("use extensions podsecuritypolicies", "dev", "baseline"))
    assert extensions
    assert authz.use_grants(admin, "dev", "baseline") == extensions
    assert authz.use_grants(UserInfo("nobody"), "dev", "baseline") == []


def test_use_grants_remembered_for_users_bound_alike_answer_each_as_asked_alone() -> None:
    """`use_grants` is remembered per (the bindings that apply, policy): service accounts bound
    alike share an answer; one bound on its own, or in another namespace, gets its own."""
    users = [
        service_account_user(ns, name, authenticated=True)
        for ns in ("dev", "kube-system", "prod")
        for name in ("app", "node-agent", "other", "more")
    ] + [UserInfo("carol"), UserInfo("root", ("admins",)), UserInfo("x", ("admins",))]
    asked = [(u, ns, p) for u in users for ns in ("dev", "kube-system") for p in POLICIES]
    shared = Authorizer.from_objects(GRANT_OBJECTS)
    remembered = [shared.use_grants(*q) for q in asked]
    alone = [Authorizer.from_objects(GRANT_OBJECTS).use_grants(*q) for q in asked]
    assert remembered == alone
    assert len({tuple(g) for g in remembered}) > 4  # (not all alike)
    remembered[0].append(remembered[-1][0])  # a caller's list is its own
    assert shared.use_grants(*asked[0]) == alone[0]


def test_repeated_checks_agree_and_input_is_not_changed() -> None:
    objs = copy.deepcopy(GRANT_OBJECTS)
    authz = Authorizer.from_objects(objs)
    assert objs == GRANT_OBJECTS
    app = service_account_user("dev", "app", authenticated=False)
    a = attrs("use policy podsecuritypolicies", "dev", "restricted")
    assert [authz.allows(app, a) for _ in range(3)] == [True, True, True]
    assert [authz.allows(app, attrs("get core pods")) for _ in range(3)] == [False] * 3


# --- reading objects ---


def test_other_kinds_and_groups_are_skipped() -> None:
    objs = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}},
        {"apiVersion": "iam.example.com/v1", "kind": "Role", "metadata": {"name": "x"}, "rules": 5},
        "not an object",
        None,
        crole("r", rule("get", "core", "pods")),
        crb("b", "r", user("alice")),
    ]
    assert Authorizer.from_objects(objs).allows(ALICE, attrs("get core pods"))


def test_v1beta1_is_read() -> None:
    objs = [crole("r", rule("get", "core", "pods")), crb("b", "r", user("alice"))]
    for o in objs:
        o["apiVersion"] = "rbac.authorization.k8s.io/v1beta1"
    assert Authorizer.from_objects(objs).allows(ALICE, attrs("get core pods"))


def test_defaulted_fields() -> None:
    binding = crb("b", "r", {"kind": "User", "name": "alice"}, {"kind": "Group", "name": "g"})
    del binding["roleRef"]["apiGroup"]
    authz = Authorizer.from_objects([crole("r", rule("get", "core", "pods")), binding])
    assert authz.allows(ALICE, attrs("get core pods"))
    assert authz.allows(UserInfo("x", ("g",)), attrs("get core pods"))


def test_default_namespace() -> None:
    objs = [
        role("r", "ns", rule("get", "core", "pods")),
        rb("b", "ns", "Role/r", user("alice")),
    ]
    for o in objs:
        del o["metadata"]["namespace"]
    with pytest.raises(PolicyError, match=r'^role "r": metadata.namespace: required for a Role$'):
        Authorizer.from_objects(objs)
    authz = Authorizer.from_objects(objs, default_namespace="ns")
    assert authz.allows(ALICE, attrs("get core pods", ns="ns"))
    assert authz.roles == (RoleRef("Role", "r", "ns"),)


def test_the_same_object_given_twice_is_read_once() -> None:
    objs = [crole("r", rule("get", "core", "pods")), crb("b", "r", user("alice"))]
    authz = Authorizer.from_objects([*objs, *copy.deepcopy(objs)])
    assert authz.allows(ALICE, attrs("get core pods"))
    assert authz.redefined == ()


def test_a_role_defined_twice_differently_is_the_later_definition_as_kubectl_apply_leaves_it() -> (
    None
):
    objs = [crole("r", rule("get", "core", "pods")), crb("b", "r", user("alice"))]
    authz = Authorizer.from_objects([*objs, crole("r", rule("list", "core", "pods"))])
    assert not authz.allows(ALICE, attrs("get core pods"))
    assert authz.allows(ALICE, attrs("list core pods"))
    assert authz.redefined == (Redefinition('clusterrole "r"', 0, 2),)


def test_a_binding_defined_twice_differently_is_the_later_definition() -> None:
    objs = [crole("r", rule("get", "core", "pods")), crb("b", "r", user("alice"))]
    authz = Authorizer.from_objects([*objs, crb("b", "r", user("bob"))])
    assert not authz.allows(ALICE, attrs("get core pods"))
    assert authz.redefined == (Redefinition('clusterrolebinding "b"', 1, 2),)


def test_an_invalid_rbac_object_error_says_which_object_it_is() -> None:
    bad = crole("r", rule("get", "core", "pods"))
    bad["rules"] = "all"
    with pytest.raises(ObjectError, match=r'^clusterrole "r": rules: must be a list') as e:
        Authorizer.from_objects([crb("b", "r", user("alice")), bad])
    assert e.value.index == 1


def _bad_rb(**changes: Any) -> dict[str, Any]:
    out = rb("x", "y", "Role/r", user("alice"))
    out.update(changes)
    return out


ERROR_CASES = [
    (
        _bad_rb(roleRef={"apiGroup": G, "kind": "Group", "name": "r"}),
        'rolebinding "x" in namespace "y": roleRef.kind: must be Role or ClusterRole',
        "roleRef.kind",
    ),
    (
        _bad_rb(roleRef={"kind": "Role"}),
        'rolebinding "x" in namespace "y": roleRef.name: required',
        "roleRef.name",
    ),
    (
        _bad_rb(roleRef={"kind": "Role", "name": ""}),
        'rolebinding "x" in namespace "y": roleRef.name: must not be empty',
        "roleRef.name",
    ),
    (
        _bad_rb(roleRef={"apiGroup": "rbac", "kind": "Role", "name": "r"}),
        'rolebinding "x" in namespace "y": roleRef.apiGroup: must be rbac.authorization.k8s.io,'
        ' got "rbac"',
        "roleRef.apiGroup",
    ),
    (_bad_rb(roleRef=None), 'rolebinding "x" in namespace "y": roleRef: required', "roleRef"),
    (
        _bad_rb(roleRef=["Role", "r"]),
        'rolebinding "x" in namespace "y": roleRef: must be an object, got a list',
        "roleRef",
    ),
    (
        {**crb("x", "r"), "roleRef": {"kind": "Role", "name": "r"}},
        'clusterrolebinding "x": roleRef.kind: must be ClusterRole',
        "roleRef.kind",
    ),
    (
        _bad_rb(subjects={"kind": "User"}),
        'rolebinding "x" in namespace "y": subjects: must be a list, got an object',
        "subjects",
    ),
    (
        _bad_rb(subjects=[user("a"), "bob"]),
        'rolebinding "x" in namespace "y": subjects[1]: must be an object, got "bob"',
        "subjects[1]",
    ),
    (
        _bad_rb(subjects=[{"kind": "Robot", "name": "r"}]),
        'rolebinding "x" in namespace "y": subjects[0].kind: must be ServiceAccount, User or Group,'
        ' got "Robot"',
        "subjects[0].kind",
    ),
    (
        _bad_rb(subjects=[{"kind": "User"}]),
        'rolebinding "x" in namespace "y": subjects[0].name: required',
        "subjects[0].name",
    ),
    (
        _bad_rb(subjects=[{"kind": "Group", "name": 7}]),
        'rolebinding "x" in namespace "y": subjects[0].name: must be a string, got 7',
        "subjects[0].name",
    ),
    (
        _bad_rb(subjects=[{"kind": "User", "name": "u", "apiGroup": "v1"}]),
        'rolebinding "x" in namespace "y": subjects[0].apiGroup: must be rbac.authorization.k8s.io'
        ' for a User, got "v1"',
        "subjects[0].apiGroup",
    ),
    (
        _bad_rb(subjects=[{"kind": "ServiceAccount", "name": "s", "apiGroup": G}]),
        'rolebinding "x" in namespace "y": subjects[0].apiGroup: must be "" for a ServiceAccount,'
        ' got "rbac.authorization.k8s.io"',
        "subjects[0].apiGroup",
    ),
    (
        crb("x", "r", sa("s")),
        'clusterrolebinding "x": subjects[0].namespace: required for a ServiceAccount',
        "subjects[0].namespace",
    ),
    (
        {**crole("r"), "rules": [{"apiGroups": [""], "resources": ["pods"]}]},
        'clusterrole "r": rules[0].verbs: must contain at least one value',
        "rules[0].verbs",
    ),
    (
        {**crole("r"), "rules": [{"verbs": ["get"], "resources": ["pods"]}]},
        'clusterrole "r": rules[0].apiGroups: resource rules must supply at least one api group',
        "rules[0].apiGroups",
    ),
    (
        {**crole("r"), "rules": [{"verbs": ["get"], "apiGroups": [""]}]},
        'clusterrole "r": rules[0].resources: resource rules must supply at least one resource',
        "rules[0].resources",
    ),
    (
        {
            **crole("r"),
            "rules": [
                {
                    "verbs": ["get"],
                    "apiGroups": [""],
                    "resources": ["pods"],
                    "nonResourceURLs": ["/x"],
                }
            ],
        },
        'clusterrole "r": rules[0].nonResourceURLs: rules cannot apply to both regular resources'
        " and non-resource URLs",
        "rules[0].nonResourceURLs",
    ),
    (
        {**role("r", "y"), "rules": [{"verbs": ["get"], "nonResourceURLs": ["/x"]}]},
        'role "r" in namespace "y": rules[0].nonResourceURLs:'
        " namespaced rules cannot apply to them",
        "rules[0].nonResourceURLs",
    ),
    (
        {**crole("r"), "rules": [{"verbs": "get", "apiGroups": [""], "resources": ["pods"]}]},
        'clusterrole "r": rules[0].verbs: must be a list of strings, got "get"',
        "rules[0].verbs",
    ),
    (
        {
            **crole("r"),
            "rules": [
                {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"], "resourceNames": [1]}
            ],
        },
        'clusterrole "r": rules[0].resourceNames[0]: must be a string, got 1',
        "rules[0].resourceNames[0]",
    ),
    (
        {**crole("r"), "rules": {"verbs": ["get"]}},
        'clusterrole "r": rules: must be a list, got an object',
        "rules",
    ),
    ({**crole("r"), "rules": [None]}, 'clusterrole "r": rules[0]: required', "rules[0]"),
    (
        {**crole("r"), "metadata": {"name": "r", "labels": {"a": True}}},
        'clusterrole "r": metadata.labels[a]: must be a string, got true',
        "metadata.labels[a]",
    ),
    (
        crole("r", selectors=[{"matchExpressions": [expr("k", "Equals", "v")]}]),
        'clusterrole "r": aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator:'
        ' must be one of In, NotIn, Exists, DoesNotExist, got "Equals"',
        "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator",
    ),
    (
        crole("r", selectors=[sel(), {"matchExpressions": [expr("k", "In")]}]),
        'clusterrole "r": aggregationRule.clusterRoleSelectors[1].matchExpressions[0].values:'
        " must not be empty for operator In",
        "aggregationRule.clusterRoleSelectors[1].matchExpressions[0].values",
    ),
    (
        crole("r", selectors=[{"matchExpressions": [expr("k", "Exists", "v")]}]),
        'clusterrole "r": aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values:'
        " must be empty for operator Exists",
        "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values",
    ),
    (
        crole("r", selectors=[{"matchExpressions": [{"operator": "Exists"}]}]),
        'clusterrole "r": aggregationRule.clusterRoleSelectors[0].matchExpressions[0].key:'
        " required",
        "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].key",
    ),
    (
        crole("r", selectors=[{"matchLabels": {"a": 1}}]),
        'clusterrole "r": aggregationRule.clusterRoleSelectors[0].matchLabels[a]: must be a string,'
        " got 1",
        "aggregationRule.clusterRoleSelectors[0].matchLabels[a]",
    ),
    (
        crole("r", selectors=[None]),
        'clusterrole "r": aggregationRule.clusterRoleSelectors[0]: must be a label selector'
        " (an object), got null",
        "aggregationRule.clusterRoleSelectors[0]",
    ),
    (
        {**crole("r"), "aggregationRule": {"clusterRoleSelectors": {}}},
        'clusterrole "r": aggregationRule.clusterRoleSelectors: must be a list, got an object',
        "aggregationRule.clusterRoleSelectors",
    ),
    (
        {"apiVersion": V1, "kind": "ClusterRole", "metadata": {}},
        "clusterrole (object 1): metadata.name: required",
        "metadata.name",
    ),
    (
        {"apiVersion": V1, "kind": "Role", "metadata": {"name": 3, "namespace": "y"}},
        "role (object 1): metadata.name: must be a string, got 3",
        "metadata.name",
    ),
    (
        {"apiVersion": V1, "kind": "ClusterRole"},
        "clusterrole (object 1): metadata: required",
        "metadata",
    ),
    (
        {"kind": "ClusterRole", "metadata": {"name": "r"}},
        'clusterrole "r": apiVersion: required',
        "apiVersion",
    ),
    (
        {
            "apiVersion": "rbac.authorization.k8s.io/v1alpha1",
            "kind": "ClusterRole",
            "metadata": {"name": "r"},
        },
        'clusterrole "r": apiVersion: must be rbac.authorization.k8s.io/v1 or'
        ' rbac.authorization.k8s.io/v1beta1, got "rbac.authorization.k8s.io/v1alpha1"',
        "apiVersion",
    ),
]


@pytest.mark.parametrize(("obj", "message", "field"), ERROR_CASES)
def test_malformed_objects(obj: dict[str, Any], message: str, field: str) -> None:
    with pytest.raises(PolicyError) as info:
        Authorizer.from_objects([crole("fine", rule("get", "core", "pods")), obj])
    assert str(info.value) == message
    assert info.value.field == field
