"""PSP strategies, one module per field family (as upstream's pkg/security/podsecuritypolicy).

Each module has `build(spec, annotations)` returning a strategy object, or None when the
policy makes the family a no-op, and raising `BuildError` when upstream could not build it.
A strategy implements any of:

* `mutate_pod(draft)` and `mutate_container(draft, at)`: fill in defaults through the draft;
* `validate_pod(pod, errors)` and `validate_container(pod, container, cpath, errors)`: append
  upstream's field errors.

`at` is the container's location `(list name, index)`; `cpath` its field path text
(`spec.containers[0]`). The provider calls them in upstream's order.
"""

from __future__ import annotations

from typing import Any

from podgate.k8s import Obj, mapping

ContainerAt = tuple[str, int]

_EMPTY: Obj = {}


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
