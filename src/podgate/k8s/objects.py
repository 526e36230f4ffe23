"""Plain-dict access to Kubernetes objects: where a pod spec lives in each kind, and the
containers of a pod spec in upstream's visiting order (init, regular, ephemeral)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from podgate.k8s.kinds import WORKLOAD_KINDS

Obj = Mapping[str, Any]
"""A decoded JSON object, read-only by signature."""

_EMPTY: Obj = {}
ContainerList = Literal["initContainers", "containers", "ephemeralContainers"]
CONTAINER_LISTS: tuple[ContainerList, ...] = ("initContainers", "containers", "ephemeralContainers")


def mapping(value: Any) -> Obj:
    """`value` if it is a mapping, else an empty one (absent, null, wrong types read as unset)."""
    return value if isinstance(value, dict) else _EMPTY


def sequence(value: Any) -> Sequence[Any]:
    """`value` if it is a list, else an empty tuple."""
    return value if isinstance(value, list) else ()


# bool before int: a JSON boolean decodes to a Python bool, which is an int too
_JSON_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number"),
    (str, "a string"),
    (Mapping, "an object"),
    (list, "a list"),
)


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, for messages: "a string", "an integer", "a list" ..."""
    for kind, text in _JSON_KINDS:
        if isinstance(value, kind):
            return text
    return "null" if value is None else type(value).__name__


def container_lists(spec: Obj) -> Iterator[tuple[ContainerList, Sequence[Any]]]:
    """(field name, list) for init, regular and ephemeral containers, in that order."""
    for name in CONTAINER_LISTS:
        items = spec.get(name)
        if isinstance(items, list) and items:
            yield name, items


def containers(spec: Obj) -> Iterator[Obj]:
    """Every container of a pod spec: init, then regular, then ephemeral, each in spec order."""
    for _, items in container_lists(spec):
        for c in items:
            if isinstance(c, Mapping):
                yield c


# kind -> path from the object to its pod template (metadata + spec)
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    k.kind: k.template for k in WORKLOAD_KINDS if k.template
}
# kind -> the API groups that serve it (apiVersion "group/version"; "" is the core group)
_POD_KIND_GROUPS: dict[str, tuple[str, ...]] = {k.kind: k.groups for k in WORKLOAD_KINDS}


def pod_spec_error(obj: Obj) -> str | None:
    """Why a Pod, or a known workload, has no pod spec the API server would store: its `spec`
    (or the template's) is missing or not an object. None when it has one, or is another kind
    (a kind of that name in another API group is another kind)."""
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in _POD_KIND_GROUPS:
        return None
    groups = _POD_KIND_GROUPS[kind]
    api = obj.get("apiVersion")
    if isinstance(api, str) and (api.rpartition("/")[0] if "/" in api else "") not in groups:
        return None
    path = ("spec",) if kind == "Pod" else (*_TEMPLATE_PATHS[kind], "spec")
    node: Obj = obj
    for i, key in enumerate(path):
        child = node.get(key)
        if not isinstance(child, Mapping):
            at = ".".join(path[: i + 1])
            got = "missing" if child is None else f"{json_kind(child)}, not an object"
            return f"{at} is {got}"
        node = child
    return None


@dataclass(frozen=True, slots=True)
class PodSource:
    """A pod spec found in an object: the pod itself, or the pod template of a workload."""

    kind: str
    namespace: str
    name: str
    meta: Obj  # the pod's (or template's) metadata
    spec: Obj  # the pod's (or template's) spec
    is_template: bool  # false only for a Pod
    generic: bool = False  # a kind podgate does not know, found through spec.template.spec
    path: str = ""  # where the pod template is in the object, e.g. "spec.template"


def pod_sources(obj: Obj) -> PodSource | None:
    """The pod spec inside `obj`: a Pod, a known workload, or any object whose
    spec.template.spec holds a list of containers (an Argo Rollout, a Knative Service)."""
    kind = obj.get("kind")
    kind = kind if isinstance(kind, str) else ""
    meta = mapping(obj.get("metadata"))
    ns = meta.get("namespace")
    namespace = ns if isinstance(ns, str) else ""
    nm = meta.get("name") or meta.get("generateName") or ""
    name = nm if isinstance(nm, str) else ""
    if kind == "Pod":
        spec = obj.get("spec")
        if not isinstance(spec, Mapping):
            return None
        return PodSource(kind, namespace, name, meta, spec, is_template=False)
    path = _TEMPLATE_PATHS.get(kind)
    generic = path is None
    if path is None:
        path = ("spec", "template")
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping) or not isinstance(node.get("spec"), Mapping):
        return None
    if generic and not any(isinstance(node["spec"].get(n), list) for n in CONTAINER_LISTS):
        return None  # a template of something else (an Argo CD ApplicationSet's Application)
    return PodSource(
        kind,
        namespace,
        name,
        mapping(node.get("metadata")),
        node["spec"],
        is_template=True,
        generic=generic,
        path=".".join(path),
    )
