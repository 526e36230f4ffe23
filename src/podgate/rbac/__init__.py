"""Offline RBAC: Roles, ClusterRoles (aggregation included) and their bindings, compiled once.

    authz = Authorizer.from_objects(objects)
    authz.allows(user, Attributes("use", "policy", "podsecuritypolicies", "ns", "restricted"))
    authz.who_can(Attributes("get", "", "secrets", "ns"))

Pure: values in, values out, no I/O. Decisions are upstream's RBAC authorizer's.
"""

from podgate.rbac.authorizer import Authorizer
from podgate.rbac.model import (
    Attributes,
    BindingRef,
    Grant,
    RoleRef,
    Subject,
    UserInfo,
    service_account_user,
    service_account_username,
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
    "UserInfo",
    "service_account_user",
    "service_account_username",
]
