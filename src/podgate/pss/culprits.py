"""Whom a violation blames, in its pod spec: the pod as a whole, or each container at fault by
its list and index, with what the check says of each alone (`Violation.faults`, resolved).

    for culprit in culprits(spec, violation):
        culprit.where, culprit.index   # None, -1 (the pod) or "containers", 0
        culprit.detail                 # 'container "app" must set securityContext...'
"""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s import Obj
from podgate.k8s.objects import CONTAINER_LISTS, ContainerList
from podgate.pss.fields import items
from podgate.pss.model import POD, Violation

__all__ = ["Culprit", "culprits"]


@dataclass(frozen=True, slots=True)
class Culprit:
    """The pod as a whole (`where` None, `index` -1), or the container `spec[where][index]`;
    `detail` is what the check says of it alone (of the pod without containers, or of the pod
    with that one container)."""

    where: ContainerList | None
    index: int
    detail: str


def culprits(spec: Obj, violation: Violation) -> tuple[Culprit, ...]:
    """The faults of `violation`, found by evaluating `spec`, as places in `spec`."""
    out = []
    for at, detail in violation.faults:
        if at == POD:
            out.append(Culprit(None, POD, detail))
            continue
        for list_name in CONTAINER_LISTS:
            # as the evaluation counts them: a list's items, one item for any other value
            count = len(items(spec.get(list_name)))
            if at < count:
                out.append(Culprit(list_name, at, detail))
                break
            at -= count
    return tuple(out)
