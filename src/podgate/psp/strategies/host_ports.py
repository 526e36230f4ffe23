"""spec.hostPorts: every container port's hostPort > 0 must lie in an allowed range."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping, sequence
from podgate.k8s.field import FieldError, invalid
from podgate.psp.policy import IdRange, as_int
from podgate.psp.strategies import ContainerContext, Family, Order, PodView, Strategy


def ranges_text(ranges: tuple[IdRange, ...]) -> str:
    """`80,8000-9000`: single ports when min == max, comma separated, no spaces."""
    return ",".join(str(r.low) if r.low == r.high else f"{r.low}-{r.high}" for r in ranges)


@dataclass(frozen=True, slots=True)
class HostPorts(Strategy):
    # no mutator changes what this strategy reads
    mutation_independent = True

    ranges: tuple[IdRange, ...]
    text: str

    def _refused(self, hp: Any) -> bool:
        """Whether a port's hostPort is set (> 0) and in none of the ranges."""
        if hp is None or hp == 0 or (isinstance(hp, int) and hp < 0):
            return False
        if isinstance(hp, int):
            for r in self.ranges:
                if r.low <= hp <= r.high:
                    return False
        return True

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        for port in sequence(ctx.container.get("ports")):
            hp = mapping(port).get("hostPort")
            if self._refused(hp):
                errs.append(
                    invalid(
                        (*ctx.path, "hostPort"),
                        hp,
                        f"Host port {hp} is not allowed to be used. Allowed ports: [{self.text}]",
                    )
                )

    def fails(self, view: PodView) -> bool:
        for container, _ in view.pairs:
            ports = container.get("ports")
            if isinstance(ports, list):
                for port in ports:
                    if self._refused(mapping(port).get("hostPort")):
                        return True
        return False


def build(spec: Obj, annotations: Obj) -> HostPorts:
    ranges = tuple(
        IdRange(as_int(mapping(r).get("min")), as_int(mapping(r).get("max")))
        for r in sequence(spec.get("hostPorts"))
    )
    return HostPorts(ranges, ranges_text(ranges))


FAMILY = Family(
    "hostPorts",
    build,
    (HostPorts,),
    Order(build=140, validate_container=90),
)
