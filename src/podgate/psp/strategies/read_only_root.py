"""spec.readOnlyRootFilesystem: when true, containers default to and must keep a read-only root
file system; an explicit false is never overridden."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj
from podgate.k8s.field import FieldError, invalid
from podgate.psp.draft import Draft
from podgate.psp.strategies import ContainerContext, Family, Order, Strategy


@dataclass(frozen=True, slots=True)
class ReadOnlyRootFilesystem(Strategy):
    def mutate_container(
        self, draft: Draft, ctx: ContainerContext, changes: dict[str, Any]
    ) -> None:
        if ctx.sc.get("readOnlyRootFilesystem") is None:
            changes["readOnlyRootFilesystem"] = True

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        value = ctx.sc.get("readOnlyRootFilesystem")
        path = (*ctx.path, "securityContext", "readOnlyRootFilesystem")
        if value is None:
            errs.append(
                invalid(path, None, "ReadOnlyRootFilesystem may not be nil and must be set to true")
            )
        elif value is not True:
            errs.append(invalid(path, value, "ReadOnlyRootFilesystem must be set to true"))


def build(spec: Obj, annotations: Obj) -> ReadOnlyRootFilesystem | None:
    return ReadOnlyRootFilesystem() if spec.get("readOnlyRootFilesystem") is True else None


FAMILY = Family(
    "readOnlyRootFilesystem",
    build,
    (ReadOnlyRootFilesystem,),
    Order(build=100, mutate_container=60, validate_container=100),
)
