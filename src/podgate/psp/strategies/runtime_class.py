"""spec.runtimeClass: allowedRuntimeClassNames (`*` = any) and defaultRuntimeClassName."""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError, invalid
from podgate.psp.draft import Draft
from podgate.psp.policy import string_list
from podgate.psp.strategies import Family, Order, PodView, Strategy


@dataclass(frozen=True, slots=True)
class RuntimeClass(Strategy):
    allowed: frozenset[str]
    allow_any: bool
    default: str | None

    @property
    def mutates(self) -> bool:
        return not self.mutation_independent

    @property
    def mutation_independent(self) -> bool:
        return self.default is None

    def mutate_pod(self, draft: Draft) -> None:
        if (
            self.default is not None
            and mapping(draft.root.get("spec")).get("runtimeClassName") is None
        ):
            draft.set(("spec", "runtimeClassName"), self.default)

    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None:
        name = view.spec.get("runtimeClassName")
        if name is None or self.allow_any or name in self.allowed:
            return
        errs.append(invalid(("spec", "runtimeClassName"), name, ""))


def build(spec: Obj, annotations: Obj) -> RuntimeClass | None:
    rc = spec.get("runtimeClass")
    if rc is None:
        return None
    rc = mapping(rc)
    allowed = frozenset(string_list(rc.get("allowedRuntimeClassNames")))
    default = rc.get("defaultRuntimeClassName")
    return RuntimeClass(allowed, "*" in allowed, default if isinstance(default, str) else None)


FAMILY = Family(
    "runtimeClass",
    build,
    (RuntimeClass,),
    Order(build=170, mutate_pod=50, validate_pod=80),
)
