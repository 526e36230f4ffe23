"""The one identity type and the identities built from names: service accounts (as a token
authenticates them, and as PSP admission builds a pod's), controllers, and requesting users."""

from __future__ import annotations

import pytest

from podgate.errors import PolicyError
from podgate.k8s.identity import (
    UserInfo,
    controller_user,
    pod_service_account,
    requesting_user,
    service_account_user,
    service_account_username,
)

SA_GROUPS = ("system:serviceaccounts", "system:serviceaccounts:ns")


def test_service_account_user() -> None:
    assert service_account_user("ns", "app") == UserInfo(
        "system:serviceaccount:ns:app", (*SA_GROUPS, "system:authenticated")
    )
    assert service_account_user("ns", "app", authenticated=False) == UserInfo(
        "system:serviceaccount:ns:app", SA_GROUPS
    )
    assert service_account_username("a", "b") == "system:serviceaccount:a:b"
    with pytest.raises(PolicyError, match="service account name: must not be empty"):
        service_account_user("ns", "")
    with pytest.raises(PolicyError, match="service account namespace: must not be empty"):
        service_account_user("", "app")


def test_pod_service_account_has_no_authenticated_group_and_takes_any_name() -> None:
    assert pod_service_account("ns", "app") == service_account_user(
        "ns", "app", authenticated=False
    )
    # a request may lack its namespace: PSP admission builds the identity all the same
    assert pod_service_account("", "app") == UserInfo(
        "system:serviceaccount::app", ("system:serviceaccounts", "system:serviceaccounts:")
    )


def test_controller_user_is_its_token_authenticated_service_account() -> None:
    assert controller_user("job-controller") == UserInfo(
        "system:serviceaccount:kube-system:job-controller",
        (
            "system:serviceaccounts",
            "system:serviceaccounts:kube-system",
            "system:authenticated",
        ),
    )


@pytest.mark.parametrize(
    ("name", "groups", "want"),
    [
        ("alice", (), ("system:authenticated",)),
        ("alice", ("dev", "ops"), ("dev", "ops", "system:authenticated")),
        ("alice", ("system:authenticated", "dev", "dev"), ("system:authenticated", "dev")),
        # the anonymous user is not authenticated: it is in system:unauthenticated
        ("system:anonymous", (), ("system:unauthenticated",)),
        ("system:anonymous", ("system:unauthenticated",), ("system:unauthenticated",)),
        ("system:anonymous", ("dev",), ("dev", "system:unauthenticated")),
        # a user impersonated into system:unauthenticated is not also authenticated
        ("alice", ("system:unauthenticated",), ("system:unauthenticated",)),
    ],
)
def test_requesting_user_groups_follow_the_impersonation_filter(
    name: str, groups: tuple[str, ...], want: tuple[str, ...]
) -> None:
    assert requesting_user(name, groups) == UserInfo(name, want)


def test_user_info_is_hashable_and_compares_every_field() -> None:
    a = UserInfo("alice", ("g",), "uid-1", (("scopes", ("x", "y")),))
    assert {a: 1}[UserInfo("alice", ("g",), "uid-1", (("scopes", ("x", "y")),))] == 1
    assert a != UserInfo("alice", ("g",))
    assert a != UserInfo("alice", ("g",), "uid-2", a.extra)
