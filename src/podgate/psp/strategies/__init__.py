"""PSP strategies, one module per field family (as upstream's pkg/security/podsecuritypolicy).

Each module has `build(spec, annotations)` returning a strategy object, or None when the
policy makes the family a no-op, and raising `BuildError` when upstream could not build it.
A strategy implements any of:

* `mutate_pod(draft)` and `mutate_container(draft, at)`: fill in defaults through the draft;
* `validate_pod(view, errors)` and `validate_container(view, container, csc, cpath, errors)`:
  append upstream's field errors; `view` is the pod with its spec, pod securityContext and
  annotations looked up once, `csc` the container's securityContext.

`at` is the container's location `(list name, index)`; `cpath` its field path text
(`spec.containers[0]`). The provider calls them in upstream's order.

A strategy whose validation reads nothing any mutator of the policy can change says so with
`mutation_independent = True`: to learn whether a policy fails, the provider runs those
validators on the pod as it is, before paying for mutation. A strategy whose validation can
never fail under the policy (a wildcard allows everything) says `can_fail = False` and its
validators are left out; likewise `mutates = False` leaves out its mutators.
"""

from __future__ import annotations

from typing import Any

from podgate.k8s import Obj, mapping

ContainerAt = tuple[str, int]

_EMPTY: Obj = {}


class PodView:
    """A pod with the parts every validator reads looked up once."""

    __slots__ = ("_volume_types", "annotations", "pod", "sc", "spec")

    def __init__(self, pod: Obj, before: PodView | None = None) -> None:
        """`before`: the view of the pod this one was mutated from (no mutator touches volumes,
        so their types carry over when the list is the same object)."""
        self._volume_types: tuple[str, ...] | None = None
        self.pod = pod
        spec = pod.get("spec")
        self.spec: Obj = spec if isinstance(spec, dict) else _EMPTY
        sc = self.spec.get("securityContext")
        self.sc: Obj = sc if isinstance(sc, dict) else _EMPTY
        meta = pod.get("metadata")
        ann = meta.get("annotations") if isinstance(meta, dict) else None
        self.annotations: Obj = ann if isinstance(ann, dict) else _EMPTY
        if before is not None and before.spec.get("volumes") is self.spec.get("volumes"):
            self._volume_types = before._volume_types

    @property
    def volume_types(self) -> tuple[str, ...]:
        """The FSType of each volume ("" when it has no source), computed once per pod."""
        if self._volume_types is None:
            from podgate.psp.strategies.volumes import fs_type

            vols = self.spec.get("volumes")
            items = vols if isinstance(vols, list) else ()
            self._volume_types = tuple(fs_type(v if isinstance(v, dict) else _EMPTY) for v in items)
        return self._volume_types

    def effective(self, csc: Obj, key: str) -> Any:
        """The container's value, falling back to the pod's (runAsUser, runAsGroup,
        runAsNonRoot, seLinuxOptions)."""
        value = csc.get(key)
        return self.sc.get(key) if value is None else value


def security_context(obj: Obj) -> Obj:
    """An object's securityContext (pod spec or container), empty when absent or null."""
    sc = obj.get("securityContext")
    return sc if isinstance(sc, dict) else _EMPTY


def effective(pod: Obj, container: Obj, key: str) -> Any:
    """The container's securityContext value, falling back to the pod's (runAsUser,
    runAsGroup, runAsNonRoot, seLinuxOptions)."""
    value = security_context(container).get(key)
    if value is None:
        value = security_context(mapping(pod.get("spec"))).get(key)
    return value


def container_of(draft_root: Obj, at: ContainerAt) -> Obj:
    """The container at `at` in the (possibly mutated) pod."""
    item: Obj = mapping(draft_root.get("spec"))[at[0]][at[1]]
    return item


def sc_path(at: ContainerAt, key: str) -> tuple[str | int, ...]:
    """The draft path of a container securityContext field."""
    return ("spec", at[0], at[1], "securityContext", key)
