"""spec.allowedProcMountTypes: a container's procMount (Default when unset) must be listed;
an empty list allows only Default."""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s import Obj
from podgate.k8s.field import FieldError, invalid
from podgate.psp.policy import string_list
from podgate.psp.strategies import ContainerContext, Family, Order, PodView, Strategy


@dataclass(frozen=True, slots=True)
class ProcMount(Strategy):
    # no mutator changes what this strategy reads
    mutation_independent = True

    allowed: frozenset[str]

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        value = ctx.sc.get("procMount")
        if value is None:
            value = "Default"
        if value not in self.allowed:
            errs.append(
                invalid(
                    (*ctx.path, "securityContext", "procMount"),
                    value,
                    "ProcMountType is not allowed",
                )
            )

    def fails(self, view: PodView) -> bool:
        allowed = self.allowed
        for _, sc in view.pairs:
            value = sc.get("procMount")
            if (value if value is not None else "Default") not in allowed:
                return True
        return False


def build(spec: Obj, annotations: Obj) -> ProcMount:
    return ProcMount(frozenset(string_list(spec.get("allowedProcMountTypes")) or ("Default",)))


FAMILY = Family(
    "allowedProcMountTypes",
    build,
    (ProcMount,),
    Order(build=130, validate_container=70),
)
