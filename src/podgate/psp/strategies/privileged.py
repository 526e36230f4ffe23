"""spec.privileged: containers may not set privileged: true unless the policy allows it."""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s import Obj
from podgate.k8s.field import FieldError, invalid
from podgate.psp.strategies import ContainerContext, Family, Order, PodView, Strategy


@dataclass(frozen=True, slots=True)
class Privileged(Strategy):
    # no mutator changes what this strategy reads
    mutation_independent = True

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        value = ctx.sc.get("privileged")
        if value is not None and value is not False:
            errs.append(
                invalid(
                    (*ctx.path, "securityContext", "privileged"),
                    value,
                    "Privileged containers are not allowed",
                )
            )

    def fails(self, view: PodView) -> bool:
        for _, sc in view.pairs:
            value = sc.get("privileged")
            if value is not None and value is not False:
                return True
        return False


def build(spec: Obj, annotations: Obj) -> Privileged | None:
    return None if spec.get("privileged") is True else Privileged()


FAMILY = Family(
    "privileged",
    build,
    (Privileged,),
    Order(build=120, validate_container=60),
)
