"""spec.seLinux: MustRunAs (the policy's seLinuxOptions, defaulted at pod level) or RunAsAny."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError, FieldPath, invalid, required
from podgate.psp.draft import Draft
from podgate.psp.policy import BuildError, rule_of
from podgate.psp.strategies import ContainerContext, Family, Order, PodView, Strategy

_FIELDS = ("role", "type", "user")


def _text(opts: Obj, key: str) -> str:
    value = opts.get(key)
    return value if isinstance(value, str) else ""


def _equal_levels(want: str, got: str) -> bool:
    if want == got:
        return True
    w = want.split(":", 1)
    g = got.split(":", 1)
    if len(w) != 2 or len(g) != 2 or w[0] != g[0]:
        return False
    return sorted(w[1].split(",")) == sorted(g[1].split(","))


@dataclass(frozen=True, slots=True)
class MustRunAs(Strategy):
    options: dict[str, Any]

    def _default(self) -> dict[str, Any]:
        return dict(self.options)

    def mutate_pod(self, draft: Draft) -> None:
        if draft.pod_security_context.get("seLinuxOptions") is None:
            draft.set(("spec", "securityContext", "seLinuxOptions"), self._default())

    def mutate_container(
        self, draft: Draft, ctx: ContainerContext, changes: dict[str, Any]
    ) -> None:
        if ctx.effective("seLinuxOptions") is None:
            changes["seLinuxOptions"] = self._default()

    def _check(self, opts: Any, path: FieldPath, errs: list[FieldError]) -> None:
        if opts is None:
            errs.append(required(path))
            return
        got = mapping(opts)
        want_level, got_level = _text(self.options, "level"), _text(got, "level")
        if not _equal_levels(want_level, got_level):
            errs.append(invalid((*path, "level"), got_level, f"must be {want_level}"))
        for key in _FIELDS:
            want, have = _text(self.options, key), _text(got, key)
            if want != have:
                errs.append(invalid((*path, key), have, f"must be {want}"))

    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None:
        opts = view.sc.get("seLinuxOptions")
        self._check(opts, ("spec", "securityContext", "seLinuxOptions"), errs)

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        self._check(
            ctx.effective("seLinuxOptions"), (*ctx.path, "securityContext", "seLinuxOptions"), errs
        )


def build(spec: Obj, annotations: Obj) -> MustRunAs | None:
    rule = rule_of(spec, "seLinux")
    if rule == "RunAsAny":
        return None
    if rule != "MustRunAs":
        raise BuildError(f"Unrecognized SELinuxContext strategy type {rule}")
    opts = mapping(spec.get("seLinux")).get("seLinuxOptions")
    if opts is None:
        raise BuildError("MustRunAs requires SELinuxOptions")
    return MustRunAs({k: v for k, v in mapping(opts).items() if v is not None})


FAMILY = Family(
    "seLinux",
    build,
    (MustRunAs,),
    Order(build=30, mutate_pod=30, mutate_container=30, validate_pod=40, validate_container=30),
)
