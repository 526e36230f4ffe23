"""One answer to "may X use policy P in NS": the two `PolicyUseAuthorizer`s, podgate's offline
RBAC (`serve --rbac-from`, and `admit --rbac`, `scan`, `advise` and `export`, which ask the same
`rbac.Authorizer.can_use`) and the SubjectAccessReview authorizer (`serve
--authorize-with-api`), agree on every identity, namespace and policy, on the same RBAC objects.

The API side runs for real: SubjectAccessReviews over HTTPS to the fake API server of
tests/kube_fake.py, which answers each one from the RBAC objects with the
reference evaluator of tests/rbac_reference.py. That evaluator shares no code with
podgate.rbac (a plain scan of every binding per question, written from upstream's RBAC
authorizer and the aggregation controller), and it answers one SubjectAccessReview at a time:
which API groups are asked about (policy, extensions, podgate.io) is the SAR authorizer's
business, and `system:masters` is the reference's, so neither side's answer is derived from
the other's. A table of hand-written cases checks that the answers are the right ones, not
only the same."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.k8s.identity import PolicyUseAuthorizer, UserInfo, pod_service_account
from podgate.webhook.files import FileRbacAuthorizer
from podgate.webhook.kube import SubjectAccessReviewAuthorizer
from tests.kube_fake import FakeApi, Pki, client_for, make_pki, running

pytestmark = pytest.mark.e2e  # every test asks the HTTPS fake API server

G = "rbac.authorization.k8s.io"
V1 = f"{G}/v1"
NAMESPACES = ("ns1", "ns2")
POLICIES = ("p1", "p2")
IDENTITIES = (
    UserInfo("alice", ("system:authenticated",)),
    UserInfo("root", ("system:masters", "system:authenticated")),
    *(pod_service_account(ns, n) for ns in NAMESPACES for n in ("s1", "s2")),
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeApi]:
    pki: Pki = make_pki(tmp_path_factory.mktemp("pki"))
    with running(pki) as fake:
        fake.pki = pki  # type: ignore[attr-defined]
        yield fake


@pytest.fixture(scope="module")
def online(api: FakeApi) -> Iterator[SubjectAccessReviewAuthorizer]:
    pki: Pki = api.pki  # type: ignore[attr-defined]
    client = client_for(api, pki.ca)
    authz = SubjectAccessReviewAuthorizer(client, allowed_ttl=0, denied_ttl=0)  # no cache
    yield authz
    authz.close()


def offline(objs: list[dict[str, Any]]) -> FileRbacAuthorizer:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "rbac.yaml"
        path.write_text(yaml.safe_dump_all(objs))
        authz = FileRbacAuthorizer([str(path)], max_bytes=1 << 20)
        authz.load()
    return authz


def answers(authz: PolicyUseAuthorizer) -> dict[tuple[str, str, str], bool]:
    return {
        (user.name, ns, policy): authz.can_use(user, ns, policy)
        for user in IDENTITIES
        for ns in NAMESPACES
        for policy in POLICIES
    }


# --- random RBAC --------------------------------------------------------------------------

rules = st.fixed_dictionaries(
    {
        "verbs": st.lists(st.sampled_from(["use", "get", "*"]), min_size=1, max_size=2),
        "apiGroups": st.lists(
            st.sampled_from(["policy", "extensions", "podgate.io", "", "*"]), min_size=1, max_size=2
        ),
        "resources": st.lists(
            st.sampled_from(["podsecuritypolicies", "pods", "*", "podsecuritypolicies/status"]),
            min_size=1,
            max_size=2,
        ),
    },
    optional={"resourceNames": st.lists(st.sampled_from(["p1", "p2", "p3"]), min_size=1)},
)
rule_lists = st.lists(rules, min_size=1, max_size=3)
subjects = st.one_of(
    st.builds(
        lambda n: {"kind": "User", "apiGroup": G, "name": n}, st.sampled_from(["alice", "root"])
    ),
    st.builds(
        lambda n: {"kind": "Group", "apiGroup": G, "name": n},
        st.sampled_from(
            ["system:authenticated", "system:serviceaccounts", "system:serviceaccounts:ns1", "ops"]
        ),
    ),
    st.builds(
        lambda n, ns: {"kind": "ServiceAccount", "name": n, "namespace": ns},
        st.sampled_from(["s1", "s2"]),
        st.sampled_from(NAMESPACES),
    ),
)
labels = st.dictionaries(st.sampled_from(["agg", "team"]), st.sampled_from(["a", "b"]), max_size=2)


@st.composite
def rbac_objects(draw: st.DrawFn) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for i in range(3):
        role: dict[str, Any] = {
            "apiVersion": V1,
            "kind": "ClusterRole",
            "metadata": {"name": f"c{i}", "labels": draw(labels)},
            "rules": draw(rule_lists),
        }
        if i > 0 and draw(st.booleans()):
            selector = {"matchLabels": draw(labels)}
            role["aggregationRule"] = {"clusterRoleSelectors": [selector]}
        objs.append(role)
    for ns in NAMESPACES:
        if draw(st.booleans()):
            objs.append(
                {
                    "apiVersion": V1,
                    "kind": "Role",
                    "metadata": {"name": "r0", "namespace": ns},
                    "rules": draw(rule_lists),
                }
            )
    for i in range(draw(st.integers(1, 5))):
        ns = draw(st.sampled_from(["", *NAMESPACES]))
        kind = "ClusterRole" if not ns else draw(st.sampled_from(["Role", "ClusterRole"]))
        name = "r0" if kind == "Role" else draw(st.sampled_from(["c0", "c1", "c2", "c9"]))
        subs = draw(st.lists(subjects, min_size=1, max_size=3))
        if ns:  # a ServiceAccount subject of a RoleBinding may leave out its namespace
            subs = [
                {k: v for k, v in s.items() if k != "namespace"}
                if s["kind"] == "ServiceAccount" and draw(st.booleans())
                else s
                for s in subs
            ]
        objs.append(
            {
                "apiVersion": V1,
                "kind": "RoleBinding" if ns else "ClusterRoleBinding",
                "metadata": {"name": f"b{i}", **({"namespace": ns} if ns else {})},
                "roleRef": {"apiGroup": G, "kind": kind, "name": name},
                "subjects": subs,
            }
        )
    return objs


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(objs=rbac_objects())
def test_offline_rbac_and_subject_access_reviews_agree(
    api: FakeApi, online: SubjectAccessReviewAuthorizer, objs: list[dict[str, Any]]
) -> None:
    api.rbac = objs
    assert answers(offline(objs)) == answers(online)


# --- what the answer is -------------------------------------------------------------------


def _role(name: str, group: str, **extra: Any) -> dict[str, Any]:
    rule = {"verbs": ["use"], "apiGroups": [group], "resources": ["podsecuritypolicies"], **extra}
    return {"apiVersion": V1, "kind": "ClusterRole", "metadata": {"name": name}, "rules": [rule]}


def _binding(role: str, subject: dict[str, Any], namespace: str = "") -> dict[str, Any]:
    return {
        "apiVersion": V1,
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": {
            "name": f"{role}-{namespace}",
            **({"namespace": namespace} if namespace else {}),
        },
        "roleRef": {"apiGroup": G, "kind": "ClusterRole", "name": role},
        "subjects": [subject],
    }


ALICE = {"kind": "User", "apiGroup": G, "name": "alice"}
SA_NO_NAMESPACE = {"kind": "ServiceAccount", "name": "s1"}

CASES = {
    "a grant on podgate.io policies counts": (
        [_role("use", "podgate.io"), _binding("use", ALICE)],
        {
            ("alice", "ns1", "p1"),
            ("alice", "ns2", "p1"),
            ("alice", "ns1", "p2"),
            ("alice", "ns2", "p2"),
        },
    ),
    "a legacy extensions grant counts": (
        [_role("use", "extensions", resourceNames=["p2"]), _binding("use", ALICE, "ns2")],
        {("alice", "ns2", "p2")},
    ),
    "a service account subject without namespace is the RoleBinding's": (
        [_role("use", "policy", resourceNames=["p1"]), _binding("use", SA_NO_NAMESPACE, "ns2")],
        {("system:serviceaccount:ns2:s1", "ns2", "p1")},
    ),
    "a grant on another resource or verb does not count": (
        [
            {
                "apiVersion": V1,
                "kind": "ClusterRole",
                "metadata": {"name": "get"},
                "rules": [
                    {"verbs": ["get"], "apiGroups": ["*"], "resources": ["podsecuritypolicies"]},
                    {"verbs": ["use"], "apiGroups": ["*"], "resources": ["pods"]},
                ],
            },
            _binding("get", ALICE),
        ],
        set(),
    ),
    "a binding to a missing role grants nothing": ([_binding("missing", ALICE)], set()),
}
MASTERS = {("root", ns, p) for ns in NAMESPACES for p in POLICIES}


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_give_the_api_servers_answer(
    api: FakeApi, online: SubjectAccessReviewAuthorizer, case: str
) -> None:
    objs, allowed = CASES[case]
    api.rbac = objs
    want = {key: key in allowed | MASTERS for key in answers(offline([]))}
    assert answers(offline(objs)) == want
    assert answers(online) == want


def test_system_masters_may_use_every_policy_without_any_rbac(
    api: FakeApi, online: SubjectAccessReviewAuthorizer
) -> None:
    api.rbac = []
    for authz in (offline([]), online):
        assert authz.can_use(UserInfo("root", ("system:masters",)), "ns1", "p1") is True
        assert authz.can_use(UserInfo("alice", ("system:authenticated",)), "ns1", "p1") is False
