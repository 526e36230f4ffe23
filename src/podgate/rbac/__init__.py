"""Offline RBAC: Roles, ClusterRoles (aggregation included) and their bindings, compiled once.

    authz = Authorizer.from_objects(objects)
    authz.allows(user, Attributes("get", "", "pods", "ns", "web"))
    authz.can_use(user, "ns", "restricted")  # `use` of a PodSecurityPolicy, as PSP admission asks
    authz.who_can(Attributes("get", "", "secrets", "ns"))

Pure: values in, values out, no I/O. Decisions are upstream's RBAC authorizer's. Who asks is a
`podgate.k8s.identity.UserInfo`.
"""

from podgate.rbac.authorizer import Authorizer
from podgate.rbac.model import (
    Attributes,
    BindingRef,
    Grant,
    RoleRef,
    Subject,
)
from podgate.rbac.objects import ObjectError, Redefinition
from podgate.rbac.rules import Rule

__all__ = [
    "Attributes",
    "Authorizer",
    "BindingRef",
    "Grant",
    "ObjectError",
    "Redefinition",
    "RoleRef",
    "Rule",
    "Subject",
]
