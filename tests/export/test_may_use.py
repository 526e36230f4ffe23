"""Every export asks "may X use P" as the one offline authorizer does
(`Authorizer.can_use`): the groups policy, extensions and podgate.io, and a member of
system:masters may use every policy without a binding. The CEL `authorizer` check, the Rego
snapshot and the verifier's stand-in for Kubernetes' authorizer library all answer alike."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.export import export
from podgate.export.cluster import Cluster
from podgate.k8s.identity import UserInfo, requesting_user
from podgate.rbac import Authorizer
from podgate.verify.common import as_admitted
from tests.psp_helpers import policy

MASTER = requesting_user("root-admin", ("system:masters",))
ALICE = requesting_user("alice")
NS = "apps"


def grant(group: str, user: str = "alice") -> list[dict[str, Any]]:
    """`user` may use policy `privileged` in NS, granted in API group `group` only."""
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "use-privileged"},
            "rules": [
                {
                    "apiGroups": [group],
                    "resources": ["podsecuritypolicies"],
                    "verbs": ["use"],
                    "resourceNames": ["privileged"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "use-privileged", "namespace": NS},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "use-privileged",
            },
            "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user}],
        },
    ]


PRIVILEGED = policy("privileged", privileged=True, volumes=["*"])
POD = as_admitted(
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": NS},
        "spec": {
            "containers": [{"name": "c", "image": "i", "securityContext": {"privileged": True}}]
        },
    }
)


def offline(rbac: list[dict[str, Any]], who: UserInfo) -> bool:
    authz = Authorizer.from_objects(rbac)
    return authz.can_use(who, NS, "privileged")


CASES = [
    ("system:masters, no binding", grant("policy", user="someone-else"), MASTER, True),
    ("grant only in extensions", grant("extensions"), ALICE, True),
    ("grant only in podgate.io", grant("podgate.io"), ALICE, True),
    ("grant in another group", grant("apps"), ALICE, False),
    ("no grant for this user", grant("policy", user="bob"), ALICE, False),
]


@pytest.mark.parametrize(("case", "rbac", "who", "want"), CASES, ids=[c[0] for c in CASES])
def test_cluster_asks_the_one_offline_authorizer(
    case: str, rbac: list[dict[str, Any]], who: UserInfo, want: bool
) -> None:
    assert offline(rbac, who) is want  # the reference: Authorizer.can_use
    cluster = Cluster.from_objects([PRIVILEGED, *rbac])
    assert cluster.can_use(who, NS, "privileged") is want
    assert (cluster.admits_unchanged(POD, NS, who) is not None) is want


@pytest.mark.parametrize(("case", "rbac", "who", "want"), CASES, ids=[c[0] for c in CASES])
def test_vap_authorizer_check_answers_as_the_offline_authorizer(
    case: str, rbac: list[dict[str, Any]], who: UserInfo, want: bool
) -> None:
    pytest.importorskip("cel_expr_python", reason="the verify extra is not installed")
    from podgate.verify.cel import Engine

    cluster = Cluster.from_objects([PRIVILEGED, *rbac])
    vap = export([PRIVILEGED], rbac, [], "vap", "1.36").objects[0]
    admitted, values, error = Engine(vap, cluster).evaluate(POD, NS, who)
    assert error == ""
    assert values["mayUse0"] is want
    assert admitted is want


@pytest.mark.parametrize(("case", "rbac", "who", "want"), CASES, ids=[c[0] for c in CASES])
def test_gatekeeper_rego_answers_as_the_offline_authorizer(
    case: str, rbac: list[dict[str, Any]], who: UserInfo, want: bool
) -> None:
    pytest.importorskip("opa_bindings", reason="opa-golib-python-bindings is not installed")
    from podgate.verify.opa import Engine

    template, constraint = export([PRIVILEGED], rbac, [], "gatekeeper", "1.36").objects[:2]
    admitted, answers, error = Engine(template, constraint).evaluate(POD, NS, who)
    assert error == ""
    assert answers["privileged"] == (True, want)
    assert admitted is want


def test_vap_emits_the_check_in_every_group_the_offline_authorizer_asks() -> None:
    from podgate.rbac.authorizer import USE_GROUPS

    vap = export([PRIVILEGED], grant("policy"), [], "vap", "1.36").objects[0]
    (may_use,) = [v["expression"] for v in vap["spec"]["variables"] if v["name"] == "mayUse0"]
    for group in USE_GROUPS:
        assert f'authorizer.group("{group}")' in may_use
        assert f'.group("{group}").resource("podsecuritypolicies")' in may_use


# --- the verifier's stand-in for Kubernetes' authorizer library ----------------------------


def _stand_in_answers(objs: list[dict[str, Any]]) -> tuple[dict[Any, bool], dict[Any, bool]]:
    """(stand-in, reference) answers to every `authorizer` check the exports emit, for every
    identity, namespace, group and policy; the reference is tests/rbac_reference.py (shares no
    code with podgate.rbac; system:masters allowed before RBAC, as the API server)."""
    from podgate.rbac.authorizer import USE_GROUPS
    from podgate.verify.cel import Engine
    from tests.rbac.test_use_authorizers_agree import IDENTITIES, NAMESPACES, POLICIES
    from tests.rbac_reference import sar_allowed

    keys = [(g, p) for g in USE_GROUPS for p in POLICIES]

    def check(who: str, group: str, name: str) -> str:
        return (
            f'{who}.group("{group}").resource("podsecuritypolicies")'
            f'.namespace(request.namespace).name("{name}").check("use").allowed()'
        )

    sa = "authorizer.serviceAccount(request.namespace, variables.serviceAccount)"
    variables = [{"name": "serviceAccount", "expression": '"s1"'}]
    for i, (g, p) in enumerate(keys):
        variables.append({"name": f"user{i}", "expression": check("authorizer", g, p)})
        variables.append({"name": f"sa{i}", "expression": check(sa, g, p)})
    vap = {"spec": {"variables": variables, "validations": [{"expression": "true"}]}}
    engine = Engine(vap, Cluster.from_objects(objs))
    got: dict[Any, bool] = {}
    want: dict[Any, bool] = {}
    for identity in IDENTITIES:
        user, groups = identity.name, identity.groups
        for ns in NAMESPACES:
            _, values, error = engine.evaluate(POD, ns, UserInfo(user, tuple(groups)))
            assert error == ""
            for i, (g, p) in enumerate(keys):
                attrs = {"verb": "use", "group": g, "resource": "podsecuritypolicies"}
                attrs |= {"namespace": ns, "name": p}
                got[(user, ns, g, p)] = values[f"user{i}"]
                want[(user, ns, g, p)] = sar_allowed(
                    objs, {"user": user, "groups": list(groups), "resourceAttributes": attrs}
                )
                sa_user = f"system:serviceaccount:{ns}:s1"
                sa_groups = ["system:serviceaccounts", f"system:serviceaccounts:{ns}"]
                got[("sa", ns, g, p)] = values[f"sa{i}"]
                want[("sa", ns, g, p)] = sar_allowed(
                    objs, {"user": sa_user, "groups": sa_groups, "resourceAttributes": attrs}
                )
    return got, want


def test_stand_in_authorizer_answers_as_kubernetes_rbac_on_random_rbac() -> None:
    pytest.importorskip("cel_expr_python", reason="the verify extra is not installed")
    from hypothesis import HealthCheck, given, settings

    from tests.rbac.test_use_authorizers_agree import rbac_objects

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(objs=rbac_objects())
    def agree(objs: list[dict[str, Any]]) -> None:
        got, want = _stand_in_answers(objs)
        assert got == want

    agree()


def test_stand_in_authorizer_allows_system_masters_without_any_binding() -> None:
    pytest.importorskip("cel_expr_python", reason="the verify extra is not installed")
    got, want = _stand_in_answers(grant("policy", user="nobody"))
    assert got == want
    assert all(v for (who, *_), v in got.items() if who == "root")
    assert not any(v for (who, *_), v in got.items() if who == "alice")
