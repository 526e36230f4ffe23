"""PSP strategies, one module per field family (as upstream's pkg/security/podsecuritypolicy).

Each module ends with its `FAMILY` (groups.py, whose rules serve three fields as upstream's
group strategies do, with `FAMILIES`): the family's name, its `build(spec, annotations)`
returning a strategy object, or None when the policy makes the family a no-op, and raising
`BuildError` when upstream could not build it; the strategy classes it builds; and where
upstream calls it in each phase (`Order`). `psp.registry` collects and checks them; adding a
strategy touches one file. A strategy is a `Strategy` implementing any of the four kinds:

* `PodMutator.mutate_pod(draft)` and `ContainerMutator.mutate_container(draft, ctx, changes)`:
  fill in defaults through the draft (a container's securityContext fields go in `changes`);
* `PodValidator.validate_pod(view, errs)` and `ContainerValidator.validate_container(ctx, errs)`:
  append upstream's field errors.

A mutation-independent strategy may also say whether a whole pod fails it, with no error built
(`Screened.fails(view)`: exactly whether its validators would give any error for the pod, in
one call). Admission asks that of each such check to learn whether a policy fails; the errors
themselves are built only to deny. A property test holds every `fails` to the validators.

`view` is the pod with its spec, pod securityContext and annotations looked up once; `ctx` one
container of it (`ContainerContext`: the container, its securityContext, the pod's
securityContext and annotations, its field path `("spec", "containers", 0)` and its location
`("containers", 0)`). A context does not point back to its view, so a view and its contexts
make no reference cycle (they are freed as soon as a pod is decided, without the collector).

A strategy whose validation reads nothing any mutator of the policy can change says so with
`mutation_independent`: to learn whether a policy fails, the provider runs those validators on
the pod as it is, before paying for mutation. A strategy whose validation can never fail under
the policy (a wildcard allows everything) says `can_fail = False` and its validators are left
out; likewise `mutates = False` leaves out its mutators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from podgate.k8s import Obj
from podgate.k8s.field import FieldError, FieldPath
from podgate.k8s.objects import CONTAINER_LISTS
from podgate.psp.draft import Draft
from podgate.psp.strategies._sources import fs_types

ContainerAt = tuple[str, int]

_EMPTY: Obj = {}


class PodView:
    """A pod with the parts every validator reads looked up once."""

    __slots__ = (
        "_containers",
        "_pairs",
        "_same_volumes",
        "_volume_types",
        "annotations",
        "pod",
        "sc",
        "spec",
    )

    def __init__(self, pod: Obj, before: PodView | None = None) -> None:
        """`before`: the view of the pod this one was mutated from (no mutator touches volumes,
        so their types are computed once for both when the list is the same object)."""
        self._volume_types: tuple[str, ...] | None = None
        self._same_volumes: PodView | None = None
        self._containers: tuple[ContainerContext, ...] | None = None
        self._pairs: tuple[tuple[Obj, Obj], ...] | None = None
        self.pod = pod
        spec = pod.get("spec")
        self.spec: Obj = spec if isinstance(spec, dict) else _EMPTY
        sc = self.spec.get("securityContext")
        self.sc: Obj = sc if isinstance(sc, dict) else _EMPTY
        meta = pod.get("metadata")
        ann = meta.get("annotations") if isinstance(meta, dict) else None
        self.annotations: Obj = ann if isinstance(ann, dict) else _EMPTY
        if before is not None and before.spec.get("volumes") is self.spec.get("volumes"):
            self._same_volumes = before

    @property
    def volume_types(self) -> tuple[str, ...]:
        """The FSType of each volume ("" when it has no source), computed once per pod."""
        if self._volume_types is None and self._same_volumes is not None:
            self._volume_types = self._same_volumes.volume_types
        if self._volume_types is None:
            vols = self.spec.get("volumes")
            self._volume_types = fs_types(vols) if isinstance(vols, list) else ()
        return self._volume_types

    @property
    def pairs(self) -> tuple[tuple[Obj, Obj], ...]:
        """Each container with its securityContext (empty when absent or null), in upstream's
        order: what `containers` holds of them, made for much less (a context is an object
        made with its field path, about 6k instructions a container, and a pair a tuple), for
        the screens (`Screened.fails`), which need neither path nor location."""
        if self._pairs is None:
            found: list[tuple[Obj, Obj]] = []
            spec = self.spec
            for list_name in CONTAINER_LISTS:
                items = spec.get(list_name)
                if not items:
                    continue
                for c in items:
                    found.append((c, c.get("securityContext") or _EMPTY))
            self._pairs = tuple(found)
        return self._pairs

    @property
    def containers(self) -> tuple[ContainerContext, ...]:
        """Every container in upstream's order (init, regular, ephemeral), made once per view."""
        if self._containers is None:
            found: list[ContainerContext] = []
            spec = self.spec
            for list_name in CONTAINER_LISTS:
                items = spec.get(list_name)
                if not items:
                    continue
                for i, c in enumerate(items):
                    sc = c.get("securityContext") or _EMPTY
                    found.append(
                        ContainerContext(
                            c, sc, self.sc, self.annotations, ("spec", list_name, i), list_name, i
                        )
                    )
            self._containers = tuple(found)
        return self._containers


class ContainerContext:
    """One container of a pod as strategies read it."""

    __slots__ = ("annotations", "container", "index", "list_name", "path", "pod_sc", "sc")

    def __init__(
        self,
        container: Obj,
        sc: Obj,
        pod_sc: Obj,
        annotations: Obj,
        path: FieldPath,
        list_name: str,
        index: int,
    ) -> None:
        self.container = container
        self.sc = sc  # its securityContext, empty when absent or null
        self.pod_sc = pod_sc  # the pod's securityContext, empty when absent or null
        self.annotations = annotations  # the pod's annotations, empty when absent or null
        self.path = path  # its field path: ("spec", "containers", 0)
        self.list_name = list_name
        self.index = index

    @property
    def at(self) -> ContainerAt:
        """Its location in the pod: (list name, index)."""
        return (self.list_name, self.index)

    def effective(self, key: str) -> Any:
        """The container's value, falling back to the pod's (runAsUser, runAsGroup,
        runAsNonRoot, seLinuxOptions)."""
        value = self.sc.get(key)
        return self.pod_sc.get(key) if value is None else value


def security_context(obj: Obj) -> Obj:
    """An object's securityContext (pod spec or container), empty when absent or null."""
    sc = obj.get("securityContext")
    return sc if isinstance(sc, dict) else _EMPTY


# --- what a strategy is -----------------------------------------------------------------------


class Strategy:
    """What every strategy says of itself under its policy; the defaults: its validation can
    fail, its mutators (if any) can change a pod, and mutation can change what it validates."""

    __slots__ = ()

    @property
    def can_fail(self) -> bool:
        return True

    @property
    def mutates(self) -> bool:
        return True

    @property
    def mutation_independent(self) -> bool:
        return False


@runtime_checkable
class PodMutator(Protocol):
    def mutate_pod(self, draft: Draft) -> None: ...


@runtime_checkable
class ContainerMutator(Protocol):
    def mutate_container(
        self, draft: Draft, ctx: ContainerContext, changes: dict[str, Any]
    ) -> None: ...


@runtime_checkable
class PodValidator(Protocol):
    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None: ...


@runtime_checkable
class ContainerValidator(Protocol):
    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None: ...


@runtime_checkable
class Screened(Protocol):
    def fails(self, view: PodView) -> bool: ...


KINDS: dict[str, type] = {
    "mutate_pod": PodMutator,
    "mutate_container": ContainerMutator,
    "validate_pod": PodValidator,
    "validate_container": ContainerValidator,
}
"""The strategy kinds, by the name of the method each implements (and of its phase)."""


@dataclass(frozen=True, slots=True)
class Order:
    """Where upstream calls a family in each phase (provider.go): lower runs first; None: the
    family has no part in that phase. `build` is the order of upstream's strategy factory, in
    which build errors are reported."""

    build: int
    mutate_pod: int | None = None
    mutate_container: int | None = None
    validate_pod: int | None = None
    validate_container: int | None = None

    def rank(self, phase: str) -> int | None:
        rank: int | None = getattr(self, phase)
        return rank


@dataclass(frozen=True, slots=True)
class Family:
    """One field family of a policy: how to build its strategy, the classes that can come out,
    and where upstream calls it."""

    name: str
    build: Callable[[Obj, Obj], Strategy | None]
    kinds: tuple[type[Strategy], ...]
    order: Order
