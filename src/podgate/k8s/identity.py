"""Who asks, and the one question PodSecurityPolicy admission asks about them.

`UserInfo` is the one identity type: the requesting user of an admission request, a pod's
service account, a controller, the user named on the command line. `PolicyUseAuthorizer` is
the one seam for "may this user `use` PodSecurityPolicy P in namespace NS", which PSP admission
asks for the pod's service account and for the requesting user. It is implemented offline by
`rbac.Authorizer` (over RBAC objects) and online by the webhook's SubjectAccessReview
authorizer; PSP admission given no authorizer at all (None) does not authorize `use`: every
policy is then a candidate for every request, with or without an identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from podgate.errors import PolicyError

SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"

Extra = tuple[tuple[str, tuple[str, ...]], ...]
"""An identity's extra attributes, (key, values) in the order they were given."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """An authenticated identity, as upstream's `user.Info` (and an AdmissionReview's
    `userInfo`): a user name and its groups; `uid` and `extra` as the authenticator set them
    (a SubjectAccessReview sends them on, offline RBAC ignores them). Hashable: it keys caches.
    """

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: Extra = ()


def requesting_user(name: str, groups: Iterable[str] = ()) -> UserInfo:
    """A requesting user given by name and groups (`--user`, `--group`) as the API server's
    impersonation filter hands it on: the groups, each once, then `system:authenticated`
    unless the user is `system:anonymous` or a group is already `system:authenticated` or
    `system:unauthenticated`; `system:anonymous` gets `system:unauthenticated` instead (as the
    anonymous authenticator gives it)."""
    given = tuple(dict.fromkeys(groups))
    if name == ANONYMOUS:
        extra = () if UNAUTHENTICATED in given else (UNAUTHENTICATED,)
    elif AUTHENTICATED in given or UNAUTHENTICATED in given:
        extra = ()
    else:
        extra = (AUTHENTICATED,)
    return UserInfo(name, (*given, *extra))


def service_account_username(namespace: str, name: str) -> str:
    """`system:serviceaccount:NS:NAME`, the user name a service account authenticates as."""
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def service_account_user(namespace: str, name: str, *, authenticated: bool = True) -> UserInfo:
    """The identity of service account `name` in `namespace`.

    A token-authenticated service account is `system:serviceaccount:NS:NAME` in the groups
    `system:serviceaccounts`, `system:serviceaccounts:NS` and `system:authenticated`.

    PodSecurityPolicy admission is different: to decide whether a pod's service account may
    `use` a policy it builds the identity itself (`serviceaccount.UserInfo`) with only the two
    service-account groups, without `system:authenticated`. A binding to `system:authenticated`
    therefore does not let a pod's service account use a policy (it still lets the requesting
    user, who did authenticate). Pass `authenticated=False` to reproduce that check.
    Raises `PolicyError` for an empty namespace or name.
    """
    if not namespace:
        raise PolicyError("service account namespace: must not be empty")
    if not name:
        raise PolicyError("service account name: must not be empty")
    return _service_account(namespace, name, authenticated)


def controller_user(controller: str) -> UserInfo:
    """A kube-controller-manager controller's identity when it runs with
    `--use-service-account-credentials` (the kubeadm default): its own service account in
    kube-system, token-authenticated (e.g. `replicaset-controller`)."""
    return service_account_user("kube-system", controller)


def pod_service_account(namespace: str, name: str) -> UserInfo:
    """A pod's service account as PSP admission builds it to authorize `use`: the two
    service-account groups only (see `service_account_user`), and, as upstream, no check of
    the namespace or the name (a request's namespace may be empty)."""
    return _service_account(namespace, name, False)


def _service_account(namespace: str, name: str, authenticated: bool) -> UserInfo:
    groups: tuple[str, ...] = (ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}")
    if authenticated:
        groups += (AUTHENTICATED,)
    return UserInfo(service_account_username(namespace, name), groups)


class PolicyUseAuthorizer(Protocol):
    """Decides `use` of PodSecurityPolicies (verb `use`, resource `podsecuritypolicies`).

    An authorizer whose answers are fixed for as long as it lives and cost nothing to ask (the
    offline `rbac.Authorizer` over a set of RBAC objects) says so with a class attribute
    `answers_fixed = True` (`answers_fixed`); a remote (SubjectAccessReview) or reloading one
    does not. Only such an authorizer may be asked about every policy up front and have its
    answers remembered (`psp.memo.ReviewMemo`)."""

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        """May `user` `use` the PodSecurityPolicy named `policy` in `namespace`? An answer
        that cannot be had (an error) is False: not authorized, as PSP admission took it."""
        ...


def answers_fixed(authorizer: PolicyUseAuthorizer | None) -> bool:
    """Whether `authorizer` says that its answers are fixed while it lives and free to ask
    (`answers_fixed = True` on it); no authorizer at all (None) asks nothing."""
    return authorizer is None or getattr(authorizer, "answers_fixed", False) is True
