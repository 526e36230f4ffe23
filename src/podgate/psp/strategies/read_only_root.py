"""spec.readOnlyRootFilesystem: when true, containers default to and must keep a read-only root
file system; an explicit false is never overridden."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj
from podgate.k8s.field import FieldError, invalid
from podgate.psp.draft import Draft
from podgate.psp.strategies import ContainerAt, PodView


@dataclass(frozen=True, slots=True)
class ReadOnlyRootFilesystem:
    def mutate_container(
        self, draft: Draft, view: PodView, at: ContainerAt, csc: Obj, changes: dict[str, Any]
    ) -> None:
        if csc.get("readOnlyRootFilesystem") is None:
            changes["readOnlyRootFilesystem"] = True

    def validate_container(
        self, view: PodView, c: Obj, csc: Obj, cpath: str, errs: list[FieldError]
    ) -> None:
        value = csc.get("readOnlyRootFilesystem")
        path = f"{cpath}.securityContext.readOnlyRootFilesystem"
        if value is None:
            errs.append(
                invalid(path, None, "ReadOnlyRootFilesystem may not be nil and must be set to true")
            )
        elif value is not True:
            errs.append(invalid(path, value, "ReadOnlyRootFilesystem must be set to true"))


def build(spec: Obj, annotations: Obj) -> ReadOnlyRootFilesystem | None:
    return ReadOnlyRootFilesystem() if spec.get("readOnlyRootFilesystem") is True else None
