"""spec.allowPrivilegeEscalation (defaulted to true by the API server) and
spec.defaultAllowPrivilegeEscalation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj
from podgate.k8s.field import FieldError, invalid
from podgate.psp.draft import Draft
from podgate.psp.strategies import ContainerContext, Family, Order, Strategy

_KEY = "allowPrivilegeEscalation"


@dataclass(frozen=True, slots=True)
class PrivilegeEscalation(Strategy):
    allow: bool
    default: bool | None

    def mutate_container(
        self, draft: Draft, ctx: ContainerContext, changes: dict[str, Any]
    ) -> None:
        if ctx.sc.get(_KEY) is not None:
            return
        if self.default is not None:
            changes[_KEY] = self.default
        elif not self.allow:
            changes[_KEY] = False

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        if self.allow:
            return
        value = ctx.sc.get(_KEY)
        if value is not False:
            errs.append(
                invalid(
                    (*ctx.path, "securityContext", _KEY),
                    value,
                    "Allowing privilege escalation for containers is not allowed",
                )
            )


def build(spec: Obj, annotations: Obj) -> PrivilegeEscalation | None:
    allow = spec.get(_KEY) is not False  # nil is defaulted to true by the API server
    default = spec.get("defaultAllowPrivilegeEscalation")
    default = default if isinstance(default, bool) else None
    if allow and default is None:
        return None
    return PrivilegeEscalation(allow, default)


FAMILY = Family(
    "allowPrivilegeEscalation",
    build,
    (PrivilegeEscalation,),
    Order(build=110, mutate_container=70, validate_container=110),
)
