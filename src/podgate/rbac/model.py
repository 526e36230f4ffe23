"""The values the RBAC evaluator takes and returns: what is asked, and what granted it (who
asks is `k8s.identity.UserInfo`).

All are frozen, slotted and hashable, so they can key the evaluator's caches.
"""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s.identity import UserInfo, service_account_username

RBAC_GROUP = "rbac.authorization.k8s.io"

USER = "User"
GROUP = "Group"
SERVICE_ACCOUNT = "ServiceAccount"
ROLE = "Role"
CLUSTER_ROLE = "ClusterRole"
ROLE_BINDING = "RoleBinding"
CLUSTER_ROLE_BINDING = "ClusterRoleBinding"


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
