"""The strategy registry: every `FAMILY` (or `FAMILIES`) of `podgate.psp.strategies`, checked
once at start-up and ordered for each phase as upstream's provider calls them.

Checks: family names are unique; within a phase no two families share a rank; every class a
family can build is a `Strategy` implementing exactly the kinds (mutate_pod, mutate_container,
validate_pod, validate_container) the family has a rank for. `provider.build_provider` builds
the families in `build` order and calls them in each phase's order; export/ reads the same
families, so every engine reads a policy the one way."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import ModuleType

from podgate.errors import RegistryError
from podgate.modules import public_modules
from podgate.psp.strategies import KINDS, Family, Strategy

__all__ = ["PHASES", "Registry", "discover", "registry"]

PHASES = ("build", *KINDS)
"""The phases a family has a place in: building, then each strategy kind."""


def discover(package: ModuleType | None = None) -> tuple[Family, ...]:
    """The families of every module in `package` (default `podgate.psp.strategies`) whose name
    does not start with an underscore, in module-name order."""
    found: list[Family] = []
    for module in public_modules(package or "podgate.psp.strategies"):
        one = getattr(module, "FAMILY", None)
        families = (one,) if one is not None else getattr(module, "FAMILIES", None)
        if not isinstance(families, tuple) or not families:
            raise RegistryError(f"strategy module {module.__name__}: FAMILY is missing")
        for family in families:
            if not isinstance(family, Family):
                raise RegistryError(f"strategy module {module.__name__}: {family!r} is no Family")
            found.append(family)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Registry:
    """The families, validated, in each phase's order (families without a place in a phase
    are left out of it)."""

    families: tuple[Family, ...]
    build: tuple[Family, ...]
    mutate_pod: tuple[Family, ...]
    mutate_container: tuple[Family, ...]
    validate_pod: tuple[Family, ...]
    validate_container: tuple[Family, ...]

    @classmethod
    def of(cls, families: tuple[Family, ...]) -> Registry:
        _validate(families)

        def ordered(phase: str) -> tuple[Family, ...]:
            placed = [f for f in families if f.order.rank(phase) is not None]
            return tuple(sorted(placed, key=lambda f: f.order.rank(phase) or 0))

        return cls(families, *(ordered(phase) for phase in PHASES))

    def named(self, name: str) -> Family:
        for family in self.families:
            if family.name == name:
                return family
        raise KeyError(name)


def _validate(families: tuple[Family, ...]) -> None:
    names: set[str] = set()
    for family in families:
        if not family.name:
            raise RegistryError("a strategy family needs a name")
        if family.name in names:
            raise RegistryError(f"strategy family {family.name}: registered more than once")
        names.add(family.name)
        if not family.kinds:
            raise RegistryError(f"strategy family {family.name}: no strategy classes")
        for kind in family.kinds:
            if not (isinstance(kind, type) and issubclass(kind, Strategy)):
                raise RegistryError(f"strategy family {family.name}: {kind!r} is no Strategy")
            for method in KINDS:
                has = callable(getattr(kind, method, None))
                placed = family.order.rank(method) is not None
                if has and not placed:
                    raise RegistryError(
                        f"strategy family {family.name}: {kind.__name__}.{method} has no place "
                        f"in the {method} order"
                    )
                if (
                    placed
                    and not has
                    and not any(callable(getattr(k, method, None)) for k in family.kinds)
                ):
                    raise RegistryError(
                        f"strategy family {family.name}: placed in the {method} order, but no "
                        f"class implements {method}"
                    )
    for phase in PHASES:
        seen: dict[int, str] = {}
        for family in families:
            rank = family.order.rank(phase)
            if rank is None:
                continue
            if rank in seen:
                raise RegistryError(
                    f"strategy families {seen[rank]} and {family.name}: both at {rank} in the "
                    f"{phase} order"
                )
            seen[rank] = family.name


@functools.cache
def registry() -> Registry:
    """The registry of podgate's own strategies, built on first use."""
    return Registry.of(discover())
