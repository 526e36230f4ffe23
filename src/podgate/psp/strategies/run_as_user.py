"""spec.runAsUser: MustRunAs (ranges), MustRunAsNonRoot, RunAsAny."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError, invalid, required
from podgate.psp.draft import Draft
from podgate.psp.policy import BuildError, IdRange, id_ranges, in_ranges, ranges_text, rule_of
from podgate.psp.strategies import ContainerContext, Family, Order, Strategy


@dataclass(frozen=True, slots=True)
class MustRunAs(Strategy):
    ranges: tuple[IdRange, ...]
    text: str

    def mutate_container(
        self, draft: Draft, ctx: ContainerContext, changes: dict[str, Any]
    ) -> None:
        if ctx.effective("runAsUser") is None:
            changes["runAsUser"] = self.ranges[0].low

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        uid = ctx.effective("runAsUser")
        if uid is None:
            errs.append(required((*ctx.path, "securityContext", "runAsUser")))
        elif not (isinstance(uid, int) and in_ranges(uid, self.ranges)):
            errs.append(
                invalid(
                    (*ctx.path, "securityContext", "runAsUser"),
                    uid,
                    f"must be in the ranges: {self.text}",
                )
            )


@dataclass(frozen=True, slots=True)
class MustRunAsNonRoot(Strategy):
    def mutate_container(
        self, draft: Draft, ctx: ContainerContext, changes: dict[str, Any]
    ) -> None:
        if ctx.effective("runAsNonRoot") is None and ctx.effective("runAsUser") is None:
            changes["runAsNonRoot"] = True

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        non_root = ctx.effective("runAsNonRoot")
        uid = ctx.effective("runAsUser")
        at = (*ctx.path, "securityContext")
        if non_root is None and uid is None:
            errs.append(required((*at, "runAsNonRoot"), "must be true"))
        elif non_root is not None and non_root is not True:
            errs.append(invalid((*at, "runAsNonRoot"), non_root, "must be true"))
        elif uid is not None and (uid == 0 or not isinstance(uid, int)):
            errs.append(invalid((*at, "runAsUser"), uid, "running with the root UID is forbidden"))


def build(spec: Obj, annotations: Obj) -> MustRunAs | MustRunAsNonRoot | None:
    rule = rule_of(spec, "runAsUser")
    if rule == "MustRunAs":
        ranges = id_ranges(mapping(spec.get("runAsUser")))
        if not ranges:
            raise BuildError("MustRunAs requires at least one range")
        return MustRunAs(ranges, ranges_text(ranges))
    if rule == "MustRunAsNonRoot":
        return MustRunAsNonRoot()
    if rule == "RunAsAny":
        return None
    raise BuildError(f"Unrecognized RunAsUser strategy type {rule}")


FAMILY = Family(
    "runAsUser",
    build,
    (MustRunAs, MustRunAsNonRoot),
    Order(build=10, mutate_container=10, validate_container=10),
)
