"""Properties of the RBAC evaluator over random small RBAC sets (hypothesis).

* who_can is the inverse of allows: every subject it returns is allowed, and every identity of a
  fixed universe that is allowed is covered by some subject it returns;
* allows agrees with a naive scan of the raw bindings, written from upstream's rule resolver;
* grants is non-empty exactly when allows is true, and each grant is among who_can's.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.k8s.identity import UserInfo, service_account_user
from podgate.rbac import (
    Attributes,
    Authorizer,
    RoleRef,
    Rule,
    Subject,
)
from podgate.rbac.authorizer import PSP_RESOURCE, USE_GROUPS

V1 = "rbac.authorization.k8s.io/v1"
G = "rbac.authorization.k8s.io"
NAMESPACES = ("a", "b")
LABELS = ("l1", "l2")

verbs = st.lists(st.sampled_from(["get", "use", "*"]), min_size=1, max_size=2)
api_groups = st.lists(st.sampled_from(["", "policy", "*"]), min_size=1, max_size=2)
resources = st.lists(
    st.sampled_from(["pods", "pods/log", "*/log", "pods/*", "*", "podsecuritypolicies"]),
    min_size=1,
    max_size=2,
)
resource_names = st.lists(st.sampled_from(["x", "y"]), max_size=2)


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {
        "verbs": draw(verbs),
        "apiGroups": draw(api_groups),
        "resources": draw(resources),
    }
    names = draw(resource_names)
    if names:
        out["resourceNames"] = names
    return out


rule_lists = st.lists(rules(), min_size=1, max_size=3)
label_sets = st.dictionaries(st.sampled_from(LABELS), st.sampled_from(["1", "2"]), max_size=2)
subjects = st.one_of(
    st.builds(lambda n: {"kind": "User", "apiGroup": G, "name": n}, st.sampled_from(["u1", "u2"])),
    st.builds(
        lambda n: {"kind": "Group", "apiGroup": G, "name": n},
        st.sampled_from(
            [
                "g1",
                "g2",
                "system:authenticated",
                "system:serviceaccounts",
                "system:serviceaccounts:a",
            ]
        ),
    ),
    st.builds(
        lambda n, ns: {"kind": "ServiceAccount", "name": n, "namespace": ns},
        st.sampled_from(["s1", "s2"]),
        st.sampled_from(NAMESPACES),
    ),
)


@st.composite
def rbac_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for i in range(3):
        meta: dict[str, Any] = {"name": f"c{i}", "labels": draw(label_sets)}
        obj: dict[str, Any] = {"apiVersion": V1, "kind": "ClusterRole", "metadata": meta}
        obj["rules"] = draw(rule_lists)
        if i > 0 and draw(st.booleans()):
            selector = {"matchLabels": draw(label_sets)}
            obj["aggregationRule"] = {"clusterRoleSelectors": [selector]}
        objs.append(obj)
    for ns in NAMESPACES:
        for i in range(draw(st.integers(0, 1))):
            objs.append(
                {
                    "apiVersion": V1,
                    "kind": "Role",
                    "metadata": {"name": f"r{i}", "namespace": ns},
                    "rules": draw(rule_lists),
                }
            )
    for i in range(draw(st.integers(1, 5))):
        ns = draw(st.sampled_from(["", *NAMESPACES]))
        kind = "ClusterRole" if not ns else draw(st.sampled_from(["Role", "ClusterRole"]))
        role_name = draw(st.sampled_from(["c0", "c1", "c2", "r0"] if ns else ["c0", "c1", "c2"]))
        subs = draw(st.lists(subjects, min_size=1, max_size=3))
        if ns:  # a ServiceAccount subject may leave its namespace to the RoleBinding's
            subs = [
                {k: v for k, v in s.items() if k != "namespace"}
                if s["kind"] == "ServiceAccount" and draw(st.booleans())
                else s
                for s in subs
            ]
        meta = {"name": f"b{i}", **({"namespace": ns} if ns else {})}
        objs.append(
            {
                "apiVersion": V1,
                "kind": "RoleBinding" if ns else "ClusterRoleBinding",
                "metadata": meta,
                "roleRef": {"apiGroup": G, "kind": kind, "name": role_name},
                "subjects": subs,
            }
        )
    return objs


requests = st.builds(
    Attributes,
    verb=st.sampled_from(["get", "use", "list"]),
    api_group=st.sampled_from(["", "policy", "apps"]),
    resource=st.sampled_from(["pods", "podsecuritypolicies"]),
    namespace=st.sampled_from(["", *NAMESPACES, "c"]),
    name=st.sampled_from(["", "x", "y"]),
    subresource=st.sampled_from(["", "", "log", "*"]),
)

UNIVERSE = (
    UserInfo("u1", ("g1", "system:authenticated")),
    UserInfo("u2", ("g2", "g1")),
    UserInfo("u3"),
    UserInfo("system:serviceaccount:a:s1"),
    *(
        service_account_user(ns, name, authenticated=auth)
        for ns in (*NAMESPACES, "c")
        for name in ("s1", "s2")
        for auth in (False, True)
    ),
)


def identity(subject: Subject) -> UserInfo:
    """An identity that the subject, and nothing else in the generated sets, applies to."""
    if subject.kind == "Group":
        return UserInfo("nobody-else", (subject.name,))
    if subject.kind == "User":
        return UserInfo(subject.name)
    return service_account_user(subject.namespace, subject.name, authenticated=False)


def naive_allows(
    authz: Authorizer, objs: list[dict[str, Any]], user: UserInfo, a: Attributes
) -> bool:
    """Upstream's resolver, scanning raw bindings; roles' rules taken from the authorizer."""
    for obj in objs:
        kind = obj["kind"]
        if kind not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        ns = obj["metadata"].get("namespace", "")
        if kind == "RoleBinding" and (not a.namespace or ns != a.namespace):
            continue
        if not any(applies(s, user, ns) for s in obj["subjects"]):
            continue
        ref = obj["roleRef"]
        role = RoleRef(ref["kind"], ref["name"], ns if ref["kind"] == "Role" else "")
        if any(rule_allows(r, a) for r in authz.rules(role)):
            return True
    return False


def applies(s: dict[str, Any], user: UserInfo, binding_ns: str) -> bool:
    if s["kind"] == "User":
        return bool(user.name == s["name"])
    if s["kind"] == "Group":
        return s["name"] in user.groups
    ns = s.get("namespace") or binding_ns
    return bool(ns) and user.name == f"system:serviceaccount:{ns}:{s['name']}"


def rule_allows(r: Rule, a: Attributes) -> bool:
    combined = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    resource_ok = any(
        res in ("*", combined) or (a.subresource != "" and res == "*/" + a.subresource)
        for res in r.resources
    )
    return (
        any(v in ("*", a.verb) for v in r.verbs)
        and any(g in ("*", a.api_group) for g in r.api_groups)
        and resource_ok
        and (not r.resource_names or a.name in r.resource_names)
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objs=rbac_sets(), a=requests)
def test_who_can_is_the_inverse_of_allows(objs: list[dict[str, Any]], a: Attributes) -> None:
    authz = Authorizer.from_objects(objs)
    found = authz.who_can(a)
    for grant in found:
        assert authz.allows(identity(grant.subject), a), grant
    for user in UNIVERSE:
        allowed = authz.allows(user, a)
        assert allowed == any(g.subject.applies_to(user) for g in found), user
        assert allowed == naive_allows(authz, objs, user, a), user
        grants = authz.grants(user, a)
        assert bool(grants) == allowed
        for grant in grants:
            assert grant.subject.applies_to(user)
            assert grant in found


@settings(max_examples=100, deadline=None)
@given(objs=rbac_sets())
def test_aggregated_roles_hold_only_selected_rules(objs: list[dict[str, Any]]) -> None:
    authz = Authorizer.from_objects(objs)
    leaves = {
        o["metadata"]["name"]: o
        for o in objs
        if o["kind"] == "ClusterRole" and "aggregationRule" not in o
    }
    for o in objs:
        if o["kind"] != "ClusterRole" or "aggregationRule" not in o:
            continue
        got = set(authz.rules(RoleRef("ClusterRole", o["metadata"]["name"])))
        # every rule of a directly selected leaf is there
        want = o["aggregationRule"]["clusterRoleSelectors"][0]["matchLabels"].items()
        for leaf in leaves.values():
            if want <= leaf["metadata"]["labels"].items():
                assert set(authz.rules(RoleRef("ClusterRole", leaf["metadata"]["name"]))) <= got
        # and nothing that no leaf has
        assert got <= {
            r
            for leaf in leaves.values()
            for r in authz.rules(RoleRef("ClusterRole", leaf["metadata"]["name"]))
        }


# the same user name with other groups: an answer remembered for one must not serve another
USE_UNIVERSE = (*UNIVERSE, UserInfo("u1", ("g2",)), UserInfo("u1"), UserInfo("u1", ("g1",)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objs=rbac_sets())
def test_can_use_is_use_of_the_policy_allowed_in_one_of_the_use_groups(
    objs: list[dict[str, Any]],
) -> None:
    authz = Authorizer.from_objects(objs)
    for _ in range(2):  # the second round is answered from what the first remembered
        for user in USE_UNIVERSE:
            for ns in ("", *NAMESPACES, "c"):
                for name in ("x", "y", "z"):
                    want = any(
                        naive_allows(
                            authz, objs, user, Attributes("use", g, PSP_RESOURCE, ns, name)
                        )
                        for g in USE_GROUPS
                    )
                    assert authz.can_use(user, ns, name) == want, (user, ns, name)
