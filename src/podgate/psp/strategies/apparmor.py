"""AppArmor through the policy annotations `apparmor.security.beta.kubernetes.io/...` and the
pod's per-container annotations (Kubernetes 1.21-1.24 knew no AppArmor fields)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError, forbidden
from podgate.k8s.gotext import go_quote
from podgate.psp.draft import Draft
from podgate.psp.strategies import ContainerContext, Family, Order, Strategy

DEFAULT_KEY = "apparmor.security.beta.kubernetes.io/defaultProfileName"
ALLOWED_KEY = "apparmor.security.beta.kubernetes.io/allowedProfileNames"
CONTAINER_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _key(c: Obj) -> str:
    name = c.get("name")
    return CONTAINER_PREFIX + (name if isinstance(name, str) else "")


def _profile(pod: Obj, key: str) -> str:
    value = mapping(mapping(pod.get("metadata")).get("annotations")).get(key)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class AppArmor(Strategy):
    default: str
    allowed: frozenset[str] | None  # None: the annotation is absent, anything goes
    allowed_text: str

    @property
    def can_fail(self) -> bool:
        return self.allowed is not None

    @property
    def mutates(self) -> bool:
        return not self.mutation_independent

    @property
    def mutation_independent(self) -> bool:
        return not self.default

    def mutate_container(
        self, draft: Draft, ctx: ContainerContext, changes: dict[str, Any]
    ) -> None:
        if not self.default:
            return
        key = _key(ctx.container)
        if not _profile(draft.root, key):
            draft.set(("metadata", "annotations", key), self.default)

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        if self.allowed is None:
            return
        key = _key(ctx.container)
        value = ctx.annotations.get(key)
        profile = value if isinstance(value, str) else ""
        path = ("pod", "metadata", "annotations", key)
        if not profile:
            if self.allowed:
                errs.append(forbidden(path, "AppArmor profile must be set"))
            return
        if profile not in self.allowed:
            errs.append(
                forbidden(
                    path,
                    f"{profile} is not an allowed profile. "
                    f"Allowed values: {go_quote(self.allowed_text)}",
                )
            )


def build(spec: Obj, annotations: Obj) -> AppArmor | None:
    default = annotations.get(DEFAULT_KEY)
    default = default if isinstance(default, str) else ""
    raw = annotations.get(ALLOWED_KEY)
    if not isinstance(raw, str):
        return AppArmor(default, None, "") if default else None
    return AppArmor(default, frozenset(raw.split(",")), raw)


FAMILY = Family(
    "appArmor",
    build,
    (AppArmor,),
    Order(build=40, mutate_container=40, validate_container=40),
)
