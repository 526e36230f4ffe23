"""Seccomp through the policy annotations `seccomp.security.alpha.kubernetes.io/...`, read from
the pod's annotations and its securityContext.seccompProfile fields."""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError, FieldPath, forbidden
from podgate.psp.draft import Draft
from podgate.psp.strategies import ContainerContext, Family, Order, PodView, Strategy

DEFAULT_KEY = "seccomp.security.alpha.kubernetes.io/defaultProfileName"
ALLOWED_KEY = "seccomp.security.alpha.kubernetes.io/allowedProfileNames"
POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
_RUNTIME_DEFAULTS = ("runtime/default", "docker/default")


def profile_of_field(sc: Obj) -> str | None:
    """The annotation form of a seccompProfile field, None when the field is unset."""
    field = sc.get("seccompProfile")
    if field is None:
        return None
    field = mapping(field)
    kind = field.get("type")
    if kind == "Unconfined":
        return "unconfined"
    if kind == "RuntimeDefault":
        return "runtime/default"
    if kind == "Localhost":
        local = field.get("localhostProfile")
        if isinstance(local, str):
            return "localhost/" + local
    return ""


def written_by_every_policy(view: PodView) -> bool:
    """Whether every policy's mutation writes the pod's seccomp annotation: the annotation is
    empty and the pod-level field gives a profile, which MutatePod then copies into it
    whatever the policy says. No policy can admit such a pod unchanged."""
    value = view.annotations.get(POD_KEY)
    if value and isinstance(value, str):
        return False
    return view.sc.get("seccompProfile") is not None and bool(profile_of_field(view.sc))


def _annotation(annotations: Obj, key: str) -> str:
    value = annotations.get(key)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class Seccomp(Strategy):
    default: str
    allowed: frozenset[str] | None  # None: the annotation is absent
    allowed_text: str
    allow_any: bool

    @property
    def can_fail(self) -> bool:
        return not self.allow_any

    @property
    def mutation_independent(self) -> bool:
        """Without a default, mutation only copies the pod's seccompProfile field into the
        annotation, which does not change any profile the validation reads."""
        return not self.default

    def mutate_pod(self, draft: Draft) -> None:
        # the pod's annotation when set (a non-empty string) stays; else the pod's field, or
        # when that is unset the default, is written to it (read inline: no call for a pod
        # without the field, as most are)
        root = draft.root
        meta = root.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        value = annotations.get(POD_KEY) if isinstance(annotations, dict) else None
        if value and isinstance(value, str):
            return
        spec = root.get("spec")
        pod_sc = spec.get("securityContext") if isinstance(spec, dict) else None
        if isinstance(pod_sc, dict) and pod_sc.get("seccompProfile") is not None:
            profile = profile_of_field(pod_sc)
        else:
            profile = self.default
        if profile:
            draft.set(("metadata", "annotations", POD_KEY), profile)

    def _allows(self, profile: str) -> bool:
        """Whether the policy accepts `profile` ("" when none is set)."""
        if self.allow_any:
            return True
        allowed = self.allowed
        return profile in allowed if allowed else not profile

    def _check(self, profile: str, path: FieldPath, errs: list[FieldError]) -> None:
        if self._allows(profile):
            return
        if not self.allowed:
            errs.append(forbidden(path, "seccomp may not be set"))
        else:
            errs.append(
                forbidden(
                    path,
                    f"{profile} is not an allowed seccomp profile. "
                    f"Valid values are {self.allowed_text}",
                )
            )

    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None:
        profile = view.annotations.get(POD_KEY)
        if not profile or not isinstance(profile, str):
            profile = profile_of_field(view.sc) or ""
        allowed = self.allowed
        if (profile in allowed) if allowed else not profile:  # `_allows`, inline
            return
        self._check(profile, ("pod", "metadata", "annotations", POD_KEY), errs)

    def fails(self, view: PodView) -> bool:
        """Whether `validate_pod` or any container's `validate_container` gives an error."""
        if self.allow_any:
            return False
        allowed = self.allowed
        annotations = view.annotations
        pod_sc = view.sc
        annotated = annotations.get(POD_KEY)
        annotated = annotated if isinstance(annotated, str) else ""
        if pod_sc.get("seccompProfile") is None:  # (most pods: no call)
            profile = inherited = annotated  # a container's, without its field or annotation
        else:
            inherited = profile_of_field(pod_sc) or ""
            profile = annotated or inherited
        if not ((profile in allowed) if allowed else not profile):
            return True
        for container, sc in view.pairs:
            if sc.get("seccompProfile") is not None:
                profile = profile_of_field(sc) or ""
            else:
                name = container.get("name")
                key = CONTAINER_PREFIX + (name if isinstance(name, str) else "")
                profile = _annotation(annotations, key) if key in annotations else inherited
            if not ((profile in allowed) if allowed else not profile):
                return True
        return False

    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        # the first set of: the container's field, its annotation (present, even empty), the
        # pod's field, the pod's annotation
        name = ctx.container.get("name")
        key = CONTAINER_PREFIX + (name if isinstance(name, str) else "")
        sc = ctx.sc
        if sc.get("seccompProfile") is not None:
            profile = profile_of_field(sc) or ""
        else:
            annotations = ctx.annotations
            if key in annotations:
                profile = _annotation(annotations, key)
            elif ctx.pod_sc.get("seccompProfile") is not None:
                profile = profile_of_field(ctx.pod_sc) or ""
            else:
                profile = _annotation(annotations, POD_KEY)
        allowed = self.allowed
        if (profile in allowed) if allowed else not profile:  # `_allows`, inline
            return
        self._check(profile, ("pod", "metadata", "annotations", key), errs)


def build(spec: Obj, annotations: Obj) -> Seccomp:
    default = _annotation(annotations, DEFAULT_KEY)
    raw = annotations.get(ALLOWED_KEY)
    if not isinstance(raw, str):
        return Seccomp(default, None, "", False)
    allowed: set[str] = set()
    allow_any = False
    for p in raw.split(","):
        if p == "*":
            allow_any = True
            continue
        if p in _RUNTIME_DEFAULTS:
            allowed.update(_RUNTIME_DEFAULTS)
        allowed.add(p)
    return Seccomp(default, frozenset(allowed), raw, allow_any)


FAMILY = Family(
    "seccomp",
    build,
    (Seccomp,),
    Order(build=50, mutate_pod=40, validate_pod=30, validate_container=50),
)
