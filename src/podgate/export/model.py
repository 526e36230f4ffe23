"""What an export produces: the target's objects (plain dicts), and per policy and per
namespace a verdict (proved, partial, unproved), the engine that decided it and the gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from podgate.errors import PodgateError

SOURCE_ANNOTATION = "podgate.io/source-policy"
VERDICT_ANNOTATION = "podgate.io/export-verdict"


class ExportError(PodgateError, ValueError):
    """An export that cannot be made: names the target and what is wrong with the input."""


class Verdict(StrEnum):
    """proved: the target's engine agreed with PSP on every pod tried; partial: it disagreed
    on some (each disagreement is a gap); unproved: no engine here ran the export."""

    PROVED = "proved"
    PARTIAL = "partial"
    UNPROVED = "unproved"


class Direction(StrEnum):
    LOOSER = "looser"  # the export admits what PSP denied
    STRICTER = "stricter"  # the export denies what PSP admitted
    DIFFERENT = "different"  # both admit, but the admitted pod differs from PSP's mutation


@dataclass(frozen=True, slots=True)
class Gap:
    """Where the export decides differently from PSP: the field at fault, the direction, why,
    and the input's workloads it affects (empty when only generated pods show it)."""

    field: str
    direction: Direction
    detail: str
    workloads: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "direction": self.direction.value,
            "detail": self.detail,
            "workloads": list(self.workloads),
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict on one exported unit (a policy or a namespace)."""

    name: str
    verdict: Verdict
    engine: str  # the engine and version that decided the verdict ("" when unproved)
    gaps: tuple[Gap, ...] = ()
    pods: int = 0  # pods tried
    agreed: int = 0  # pods on which the engine agreed with PSP
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict.value,
            "engine": self.engine,
            "podsTried": self.pods,
            "agreed": self.agreed,
            "gaps": [g.as_json() for g in self.gaps],
            **self.details,
        }


def verdict_of(gaps: tuple[Gap, ...] | list[Gap], engine: str) -> Verdict:
    if not engine:
        return Verdict.UNPROVED
    return Verdict.PARTIAL if gaps else Verdict.PROVED


@dataclass(frozen=True, slots=True)
class ExportResult:
    """Everything one export produced."""

    target: str
    kubernetes_version: str
    objects: tuple[dict[str, Any], ...]
    policies: tuple[Outcome, ...] = ()
    namespaces: tuple[Outcome, ...] = ()
    commands: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # the mutating objects (MutatingAdmissionPolicy, Gatekeeper's mutators): what they are and
    # their status for the cluster's version; None when the target has none
    mutating: dict[str, Any] | None = None
    mutations: tuple[Outcome, ...] = ()  # their verdicts

    @property
    def all_proved(self) -> bool:
        units = (*self.policies, *self.namespaces, *self.mutations)
        return all(u.verdict is Verdict.PROVED for u in units)

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kubernetesVersion": self.kubernetes_version,
            "proved": self.all_proved,
            "policies": [p.as_json() for p in self.policies],
            "namespaces": [n.as_json() for n in self.namespaces],
            "commands": list(self.commands),
            "notes": list(self.notes),
            **(
                {}
                if self.mutating is None
                else {
                    "mutating": {
                        **self.mutating,
                        "outcomes": [m.as_json() for m in self.mutations],
                    }
                }
            ),
            "objects": list(self.objects),
        }


def annotate(obj: dict[str, Any], source: str, verdict: Verdict) -> dict[str, Any]:
    """`obj` with the annotations naming its source policy and its verdict."""
    meta = dict(obj.get("metadata") or {})
    meta["annotations"] = {
        **dict(meta.get("annotations") or {}),
        SOURCE_ANNOTATION: source,
        VERDICT_ANNOTATION: verdict.value,
    }
    return {**obj, "metadata": meta}
