"""spec.readOnlyRootFilesystem: when true, containers default to and must keep a read-only root
file system; an explicit false is never overridden."""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s import Obj
from podgate.k8s.field import FieldError, invalid
from podgate.psp.draft import Draft
from podgate.psp.strategies import ContainerAt, container_of, sc_path, security_context


@dataclass(frozen=True, slots=True)
class ReadOnlyRootFilesystem:
    def mutate_container(self, draft: Draft, at: ContainerAt) -> None:
        if security_context(container_of(draft.root, at)).get("readOnlyRootFilesystem") is None:
            draft.set(sc_path(at, "readOnlyRootFilesystem"), True)

    def validate_container(self, pod: Obj, c: Obj, cpath: str, errs: list[FieldError]) -> None:
        value = security_context(c).get("readOnlyRootFilesystem")
        path = f"{cpath}.securityContext.readOnlyRootFilesystem"
        if value is None:
            errs.append(
                invalid(path, None, "ReadOnlyRootFilesystem may not be nil and must be set to true")
            )
        elif value is not True:
            errs.append(invalid(path, value, "ReadOnlyRootFilesystem must be set to true"))


def build(spec: Obj, annotations: Obj) -> ReadOnlyRootFilesystem | None:
    return ReadOnlyRootFilesystem() if spec.get("readOnlyRootFilesystem") is True else None
