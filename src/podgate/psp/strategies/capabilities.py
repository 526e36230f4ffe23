"""defaultAddCapabilities, requiredDropCapabilities, allowedCapabilities. Names are literal:
case sensitive, no `CAP_` stripping, `ALL` not special."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping, sequence
from podgate.k8s.field import FieldError, invalid, invalid_rendered
from podgate.k8s.gotext import go_quote
from podgate.psp.draft import Draft
from podgate.psp.policy import string_list
from podgate.psp.strategies import ContainerContext, Family, Order, PodView, Strategy


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _slice_text(value: Any) -> str:
    """`%#v` of a []core.Capability."""
    if value is None:
        return "[]core.Capability(nil)"
    items = value if isinstance(value, list) else [value]
    return "[]core.Capability{" + ", ".join(go_quote(str(v)) for v in items) + "}"


@dataclass(frozen=True, slots=True)
class Capabilities(Strategy):
    default_add: frozenset[str]
    required_drop: tuple[str, ...]  # in policy order: errors follow it
    required_drop_set: frozenset[str]
    allowed: frozenset[str]
    allow_all: bool

    @property
    def can_fail(self) -> bool:
        return not (self.allow_all and not self.default_add and not self.required_drop)

    @property
    def mutates(self) -> bool:
        return not self.mutation_independent

    @property
    def mutation_independent(self) -> bool:
        return not self.default_add and not self.required_drop

    def mutate_container(
        self, draft: Draft, ctx: ContainerContext, changes: dict[str, Any]
    ) -> None:
        if not self.default_add and not self.required_drop:
            return  # nothing to add: the container's own lists stay as they are
        caps = ctx.sc.get("capabilities")
        own_add: set[str] = set()
        own_drop: set[str] = set()
        if isinstance(caps, dict):
            own_add = set(_names(caps.get("add")))
            own_drop = set(_names(caps.get("drop")))
        add = (self.default_add - own_drop) | own_add
        drop = self.required_drop_set | own_drop
        if len(add) == len(own_add) and len(drop) == len(own_drop):
            return
        new: dict[str, Any] = {}
        if add:
            new["add"] = sorted(add)
        if drop:
            new["drop"] = sorted(drop)
        changes["capabilities"] = new

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        path = (*ctx.path, "securityContext", "capabilities")
        caps = ctx.sc.get("capabilities")
        if caps is None:
            if self.default_add or self.required_drop:
                errs.append(
                    invalid(path, None, "required capabilities are not set on the securityContext")
                )
            return
        if self.allow_all:
            return
        caps = mapping(caps)
        for cap in sequence(caps.get("add")):
            if cap not in self.default_add and cap not in self.allowed:
                errs.append(invalid((*path, "add"), cap, "capability may not be added"))
        drops = caps.get("drop")
        have = set(_names(drops))
        for cap in self.required_drop:
            if cap not in have:
                errs.append(
                    invalid_rendered(
                        (*path, "drop"),
                        _slice_text(drops),
                        f"{cap} is required to be dropped but was not found",
                    )
                )

    def fails(self, view: PodView) -> bool:
        needed = bool(self.default_add or self.required_drop)
        for _, sc in view.pairs:
            caps = sc.get("capabilities")
            if caps is None:
                if needed:
                    return True
                continue
            if self.allow_all:
                continue
            caps = mapping(caps)
            for cap in sequence(caps.get("add")):
                if cap not in self.default_add and cap not in self.allowed:
                    return True
            if self.required_drop:
                have = set(_names(caps.get("drop")))
                for cap in self.required_drop:
                    if cap not in have:
                        return True
        return False


def build(spec: Obj, annotations: Obj) -> Capabilities:
    allowed = frozenset(string_list(spec.get("allowedCapabilities")))
    required_drop = string_list(spec.get("requiredDropCapabilities"))
    return Capabilities(
        default_add=frozenset(string_list(spec.get("defaultAddCapabilities"))),
        required_drop=required_drop,
        required_drop_set=frozenset(required_drop),
        allowed=allowed,
        allow_all="*" in allowed,
    )


FAMILY = Family(
    "capabilities",
    build,
    (Capabilities,),
    Order(build=80, mutate_container=50, validate_container=80),
)
