"""Admission: ordering, preference for non-mutating policies, the hint, UPDATE, authorization,
ignored requests and denial shapes."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from podgate.k8s.identity import UserInfo
from podgate.psp import PolicySet, Request, review
from podgate.psp.admission import compute, semantic_equal
from tests.psp_helpers import admit, container, pod, policy

NON_ROOT = {"rule": "MustRunAsNonRoot"}


def _mutating(name: str) -> dict[str, Any]:
    return policy(name, runAsUser={"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 1000}]})


def test_non_mutating_beats_alphabetical() -> None:
    d = admit([_mutating("a"), policy("z")], pod(container()))
    assert (d.policy, d.mutated) == ("z", False)


def test_mutating_policies_are_chosen_by_name_byte_order() -> None:
    d = admit([_mutating("b"), _mutating("B"), _mutating("a")], pod(container()))
    assert d.policy == "B"  # upper case sorts before lower case
    d = admit([_mutating("9-x"), _mutating("10-x")], pod(container()))
    assert d.policy == "10-x"


def test_non_mutating_first_by_name() -> None:
    d = admit([policy("b"), policy("a")], pod(container()))
    assert d.policy == "a"


def test_update_never_mutates_and_records_no_errors_for_mutating_policies() -> None:
    d = admit([_mutating("a")], pod(container()), operation="UPDATE")
    assert not d.allowed
    assert d.message == "PodSecurityPolicy: unable to validate pod: []"


def test_update_uses_the_hint_first() -> None:
    p = pod(container(), annotations={"kubernetes.io/psp": "z"})
    d = admit([policy("a"), policy("z")], p, operation="UPDATE")
    assert d.allowed and d.policy == "z"
    assert d.object is p  # UPDATE leaves the object alone: the annotation is not rewritten


def test_hint_is_ignored_in_the_mutating_phase() -> None:
    p = pod(container(), annotations={"kubernetes.io/psp": "z"})
    d = admit([policy("a"), policy("z")], p)
    assert d.policy == "a"
    assert d.object["metadata"]["annotations"]["kubernetes.io/psp"] == "a"


def test_hint_does_not_bypass_validation() -> None:
    p = pod(container(privileged=True), annotations={"kubernetes.io/psp": "z"})
    d = admit([policy("a", privileged=True), policy("z")], p, operation="UPDATE")
    assert d.policy == "a"


def test_denial_concatenates_errors_of_policies_sorted_by_name() -> None:
    p = pod(container(privileged=True), hostPID=True)
    d = admit([policy("b"), policy("a", hostPID=True)], p)
    assert [pol for pol, _ in d.violations] == ["a", "b", "b"]
    assert d.message == (
        "PodSecurityPolicy: unable to admit pod: ["
        "spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers "
        "are not allowed "
        "spec.securityContext.hostPID: Invalid value: true: Host PID is not allowed to be used "
        "spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers "
        "are not allowed]"
    )


def test_no_policies_at_all() -> None:
    d = admit([], pod(container()))
    assert d.message == "PodSecurityPolicy: no providers available to validate pod request"


@dataclass(frozen=True)
class _Grants:
    """A PolicyUseAuthorizer: user name -> the policies it may use (in any namespace)."""

    grants: dict[str, set[str]]

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        return policy in self.grants.get(user.name, set())


SA = "system:serviceaccount:ns:sa"


@pytest.mark.parametrize(
    ("grants", "user", "sa", "want_policy", "want_message"),
    [
        ({"alice": {"a"}}, "alice", "", "a", None),
        ({SA: {"a"}}, "alice", "sa", "a", None),
        ({SA: {"a"}}, "alice", "", None, "PodSecurityPolicy: unable to admit pod: []"),
        ({}, None, "sa", None, "PodSecurityPolicy: unable to admit pod: []"),
        ({"alice": {"z"}}, "alice", "", "z", None),  # the unauthorized first policy is skipped
    ],
)
def test_authorization(
    grants: dict[str, set[str]],
    user: str | None,
    sa: str,
    want_policy: str | None,
    want_message: str | None,
) -> None:
    spec: dict[str, Any] = {"serviceAccountName": sa} if sa else {}
    p = pod(container(), **spec)
    ident = UserInfo(user) if user else None
    d = review(
        PolicySet.compile([policy("a"), policy("z")]),
        Request("CREATE", p, "ns", ident),
        _Grants(grants),
    )
    assert (d.policy, d.message) == (want_policy, want_message)


def test_errors_of_unauthorized_policies_are_hidden() -> None:
    p = pod(container(privileged=True))
    d = review(
        PolicySet.compile([policy("a"), policy("b", hostPID=True)]),
        Request("CREATE", p, "ns", UserInfo("alice")),
        _Grants({"alice": {"b"}}),
    )
    assert [pol for pol, _ in d.violations] == ["b"]


def test_sa_identity_groups_are_the_two_serviceaccount_groups() -> None:
    seen: list[UserInfo] = []

    class Recorder:
        def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
            seen.append(user)
            return False

    p = pod(container(), serviceAccountName="web")
    compute(PolicySet.compile([policy("a")]), p, "shop", None, Recorder(), mutation_allowed=True)
    assert seen == [
        UserInfo(
            "system:serviceaccount:shop:web",
            ("system:serviceaccounts", "system:serviceaccounts:shop"),
        )
    ]


@pytest.mark.parametrize("sub", ["status", "ephemeralcontainers", "binding", "eviction", "exec"])
def test_subresources_are_not_checked(sub: str) -> None:
    d = admit([policy()], pod(container(privileged=True)), subresource=sub)
    assert d.allowed and not d.evaluated and d.policy is None


def test_gc_only_update_is_not_checked() -> None:
    old = pod(container(privileged=True))
    new = copy.deepcopy(old)
    new["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "x"}]
    new["metadata"]["finalizers"] = ["f"]
    d = admit([policy()], new, operation="UPDATE", old_pod=old)
    assert d.allowed and not d.evaluated
    new["spec"]["containers"][0]["image"] = "other"
    d = admit([policy()], new, operation="UPDATE", old_pod=old)
    assert not d.allowed and d.evaluated


def test_delete_is_not_checked() -> None:
    d = admit([policy()], pod(container(privileged=True)), operation="DELETE")
    assert d.allowed and not d.evaluated


def test_input_is_never_modified() -> None:
    p = pod(container(), securityContext=None)
    before = copy.deepcopy(p)
    admit(
        [
            policy(
                runAsUser=NON_ROOT,
                requiredDropCapabilities=["ALL"],
                fsGroup={"rule": "MustRunAs", "ranges": [{"min": 1, "max": 2}]},
            )
        ],
        p,
    )
    assert p == before


def test_semantic_equality() -> None:
    assert semantic_equal({"a": None}, {})
    assert semantic_equal({"a": []}, {"a": None})
    assert not semantic_equal({"a": [1]}, {"a": []})
    assert not semantic_equal({"a": 1}, {"a": True})


def test_a_pod_admitted_unchanged_shares_everything_but_its_annotations() -> None:
    p = pod(container(), annotations={"a": "b"})
    d = admit([policy("p")], p)
    assert d.allowed and not d.mutated
    assert d.object["spec"] is p["spec"]
    assert d.object["metadata"]["annotations"] == {"a": "b", "kubernetes.io/psp": "p"}
    assert p["metadata"]["annotations"] == {"a": "b"}
    assert d.patch == [{"op": "add", "path": "/metadata/annotations/kubernetes.io~1psp",
                        "value": "p"}]  # fmt: skip


@pytest.mark.parametrize("metadata", [None, {"name": "x", "annotations": None}])
def test_the_policy_annotation_replaces_a_null_metadata_or_annotations(metadata: Any) -> None:
    p = pod(container())
    p["metadata"] = metadata
    d = admit([policy("p")], p)
    assert d.object["metadata"]["annotations"] == {"kubernetes.io/psp": "p"}
    assert p["metadata"] == metadata


def test_each_requester_is_asked_once_per_policy() -> None:
    asked: list[tuple[str, str]] = []

    class Recorder:
        def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
            asked.append((user.name, policy))
            return False

    p = pod(container(privileged=True), serviceAccountName="web")
    policies = PolicySet.compile([policy("a"), policy("b", privileged=True)])
    compute(policies, p, "shop", UserInfo("alice"), Recorder(), mutation_allowed=True)
    assert sorted(asked) == [
        ("alice", "a"),
        ("alice", "b"),
        ("system:serviceaccount:shop:web", "a"),
        ("system:serviceaccount:shop:web", "b"),
    ]
