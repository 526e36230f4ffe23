"""spec.runAsUser: MustRunAs (ranges), MustRunAsNonRoot, RunAsAny."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError, invalid, required
from podgate.psp.draft import Draft
from podgate.psp.policy import BuildError, IdRange, id_ranges, in_ranges, ranges_text, rule_of
from podgate.psp.strategies import ContainerAt, PodView


@dataclass(frozen=True, slots=True)
class MustRunAs:
    ranges: tuple[IdRange, ...]
    text: str

    def mutate_container(
        self, draft: Draft, view: PodView, at: ContainerAt, csc: Obj, changes: dict[str, Any]
    ) -> None:
        if view.effective(csc, "runAsUser") is None:
            changes["runAsUser"] = self.ranges[0].low

    def validate_container(
        self, view: PodView, c: Obj, csc: Obj, cpath: str, errs: list[FieldError]
    ) -> None:
        uid = view.effective(csc, "runAsUser")
        if uid is None:
            errs.append(required(f"{cpath}.securityContext.runAsUser"))
        elif not (isinstance(uid, int) and in_ranges(uid, self.ranges)):
            errs.append(
                invalid(
                    f"{cpath}.securityContext.runAsUser", uid, f"must be in the ranges: {self.text}"
                )
            )


@dataclass(frozen=True, slots=True)
class MustRunAsNonRoot:
    def mutate_container(
        self, draft: Draft, view: PodView, at: ContainerAt, csc: Obj, changes: dict[str, Any]
    ) -> None:
        if view.effective(csc, "runAsNonRoot") is None and view.effective(csc, "runAsUser") is None:
            changes["runAsNonRoot"] = True

    def validate_container(
        self, view: PodView, c: Obj, csc: Obj, cpath: str, errs: list[FieldError]
    ) -> None:
        non_root = view.effective(csc, "runAsNonRoot")
        uid = view.effective(csc, "runAsUser")
        at = f"{cpath}.securityContext"
        if non_root is None and uid is None:
            errs.append(required(f"{at}.runAsNonRoot", "must be true"))
        elif non_root is not None and non_root is not True:
            errs.append(invalid(f"{at}.runAsNonRoot", non_root, "must be true"))
        elif uid is not None and (uid == 0 or not isinstance(uid, int)):
            errs.append(invalid(f"{at}.runAsUser", uid, "running with the root UID is forbidden"))


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
