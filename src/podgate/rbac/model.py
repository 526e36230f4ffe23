"""The values the RBAC evaluator takes and returns: who asks, what is asked, and what granted it.

All are frozen, slotted and hashable, so they can key the evaluator's caches.
"""

from __future__ import annotations

from dataclasses import dataclass

from podgate.errors import PolicyError

RBAC_GROUP = "rbac.authorization.k8s.io"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
AUTHENTICATED = "system:authenticated"

USER = "User"
GROUP = "Group"
SERVICE_ACCOUNT = "ServiceAccount"
ROLE = "Role"
CLUSTER_ROLE = "ClusterRole"
ROLE_BINDING = "RoleBinding"
CLUSTER_ROLE_BINDING = "ClusterRoleBinding"


@dataclass(frozen=True, slots=True)
class UserInfo:
    """An authenticated identity as the authorizer sees it: a user name and its groups."""

    name: str
    groups: tuple[str, ...] = ()


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
    """
    if not namespace:
        raise PolicyError("service account namespace: must not be empty")
    if not name:
        raise PolicyError("service account name: must not be empty")
    groups: tuple[str, ...] = (ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}")
    if authenticated:
        groups += (AUTHENTICATED,)
    return UserInfo(service_account_username(namespace, name), groups)


@dataclass(frozen=True, slots=True)
class Attributes:
    """A resource request: `verb` on `resource[/subresource]` (named `name`) of `api_group`.

    `namespace` "" is a cluster-scoped request (or one across all namespaces): only
    ClusterRoleBindings apply to it. `name` "" is a request for no particular object (list,
    create), which rules with `resourceNames` do not match.
    """

    verb: str
    api_group: str
    resource: str
    namespace: str
    name: str = ""
    subresource: str = ""


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """A binding's subject: kind User, Group or ServiceAccount.

    `namespace` is set only for a ServiceAccount: the subject's own, or, when a RoleBinding's
    subject leaves it empty, the binding's (as upstream's rule resolver defaults it).
    """

    kind: str
    name: str
    namespace: str = ""

    @property
    def username(self) -> str | None:
        """The user name this subject matches (User, ServiceAccount), None for a Group."""
        if self.kind == USER:
            return self.name
        if self.kind == SERVICE_ACCOUNT:
            return service_account_username(self.namespace, self.name)
        return None

    def applies_to(self, user: UserInfo) -> bool:
        """Whether `user` is this subject, or a member of this group (upstream appliesToUser)."""
        if self.kind == GROUP:
            return self.name in user.groups
        return user.name == self.username

    def __str__(self) -> str:
        if self.kind == SERVICE_ACCOUNT:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True, order=True)
class _ObjectRef:
    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True, order=True)
class BindingRef(_ObjectRef):
    """A RoleBinding (namespace set) or ClusterRoleBinding (namespace "")."""


@dataclass(frozen=True, slots=True, order=True)
class RoleRef(_ObjectRef):
    """A Role (namespace set: the binding's) or ClusterRole (namespace "")."""


@dataclass(frozen=True, slots=True, order=True)
class Grant:
    """Why a request is allowed: `binding` binds `role`, which permits it, to `subject`."""

    binding: BindingRef
    role: RoleRef
    subject: Subject

    def __str__(self) -> str:
        return f"{self.binding} of {self.role} to {self.subject}"
