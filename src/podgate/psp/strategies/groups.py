"""Group strategies: spec.runAsGroup (per container), spec.fsGroup and
spec.supplementalGroups (pod level). Rules MustRunAs, MayRunAs, RunAsAny."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError, FieldPath, int64_slice, invalid_rendered
from podgate.psp.draft import Draft
from podgate.psp.policy import BuildError, IdRange, id_ranges, in_ranges, ranges_text, rule_of
from podgate.psp.strategies import ContainerContext, Family, Order, PodView, Strategy

_POD_SC = ("spec", "securityContext")


def _check(
    field: FieldPath,
    groups: Sequence[Any] | None,
    must: bool,
    ranges: Sequence[IdRange],
    text: str,
    errs: list[FieldError],
) -> None:
    rendered = int64_slice(groups)
    if must and not groups:
        errs.append(
            invalid_rendered(
                field, rendered, "unable to validate empty groups against required ranges"
            )
        )
    for g in groups or ():
        if not (isinstance(g, int) and in_ranges(g, ranges)):
            errs.append(
                invalid_rendered(field, rendered, f"group {g} must be in the ranges: {text}")
            )


@dataclass(frozen=True, slots=True)
class _Rule(Strategy):
    """A group rule with its ranges: MustRunAs (defaults and requires a value) or MayRunAs
    (checks only a value that is set)."""

    must: bool
    ranges: tuple[IdRange, ...]
    text: str

    @property
    def mutates(self) -> bool:
        return self.must

    @property
    def mutation_independent(self) -> bool:
        return not self.must


@dataclass(frozen=True, slots=True)
class RunAsGroup(_Rule):
    def mutate_container(
        self, draft: Draft, ctx: ContainerContext, changes: dict[str, Any]
    ) -> None:
        if self.must and ctx.effective("runAsGroup") is None:
            changes["runAsGroup"] = self.ranges[0].low

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        gid = ctx.effective("runAsGroup")
        # upstream reports runAsGroup errors at the securityContext itself
        _check(
            (*ctx.path, "securityContext"),
            None if gid is None else [gid],
            self.must,
            self.ranges,
            self.text,
            errs,
        )


@dataclass(frozen=True, slots=True)
class FsGroup(_Rule):
    def mutate_pod(self, draft: Draft) -> None:
        sc = draft.pod_security_context
        if self.must and sc.get("fsGroup") is None:
            draft.set((*_POD_SC, "fsGroup"), self.ranges[0].low)

    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None:
        value = view.sc.get("fsGroup")
        _check(
            ("spec", "securityContext", "fsGroup"),
            None if value is None else [value],
            self.must,
            self.ranges,
            self.text,
            errs,
        )


@dataclass(frozen=True, slots=True)
class SupplementalGroups(_Rule):
    def mutate_pod(self, draft: Draft) -> None:
        sc = draft.pod_security_context
        if self.must and sc.get("supplementalGroups") is None:
            draft.set((*_POD_SC, "supplementalGroups"), [self.ranges[0].low])

    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None:
        value = view.sc.get("supplementalGroups")
        groups = value if isinstance(value, list) else None if value is None else [value]
        _check(
            ("spec", "securityContext", "supplementalGroups"),
            groups,
            self.must,
            self.ranges,
            self.text,
            errs,
        )


def _parts(spec: Obj, field: str, kind: str) -> tuple[bool, tuple[IdRange, ...], str] | None:
    rule = rule_of(spec, field)
    if rule == "RunAsAny":
        return None
    if rule not in ("MustRunAs", "MayRunAs"):
        raise BuildError(f"Unrecognized {kind} strategy type {rule}")
    ranges = id_ranges(mapping(spec.get(field)))
    if not ranges:
        raise BuildError(f"ranges must be supplied for {rule}")
    return rule == "MustRunAs", ranges, ranges_text(ranges)


def build_run_as_group(spec: Obj, annotations: Obj) -> RunAsGroup | None:
    if spec.get("runAsGroup") is None:
        return None  # optional: omitted behaves as RunAsAny
    parts = _parts(spec, "runAsGroup", "RunAsGroup")
    return RunAsGroup(*parts) if parts else None


def build_fs_group(spec: Obj, annotations: Obj) -> FsGroup | None:
    parts = _parts(spec, "fsGroup", "FSGroup")
    return FsGroup(*parts) if parts else None


def build_supplemental_groups(spec: Obj, annotations: Obj) -> SupplementalGroups | None:
    parts = _parts(spec, "supplementalGroups", "SupplementalGroups")
    return SupplementalGroups(*parts) if parts else None


FAMILIES = (
    Family(
        "runAsGroup",
        build_run_as_group,
        (RunAsGroup,),
        Order(build=20, mutate_container=20, validate_container=20),
    ),
    Family(
        "fsGroup",
        build_fs_group,
        (FsGroup,),
        Order(build=60, mutate_pod=20, validate_pod=10),
    ),
    Family(
        "supplementalGroups",
        build_supplemental_groups,
        (SupplementalGroups,),
        Order(build=70, mutate_pod=10, validate_pod=20),
    ),
)
