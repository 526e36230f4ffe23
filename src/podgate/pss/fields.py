"""Reading pod fields the way upstream's typed objects see them, and upstream's detail grammar.

Presence: a key that is absent or `null` is unset (a nil pointer upstream). A `null` inside a list
or a map is that item's zero value (an empty object, an empty string), as Go's JSON decoding
gives.

Wrong types: upstream never sees them (decoding fails first), so a check must not read one as
"allowed". `obj()`/`as_obj()` wrap a non-object where an object is expected in `Malformed`, a
read-only mapping in which every field reads as `Malformed` again; `items()` turns a non-list
into one `Malformed` item. A `Malformed` value is never equal to an allowed value (a string,
`False`, `True`, `0`), so every check reports it, rendered with `text()`. Checks compare leaf
values by type too (`v is False`, `type(v) is str and v in ALLOWED`), never by truthiness. A
`Malformed` has no keys: code that iterates an object (annotations, volume sources) must treat
it as malformed, not as empty.

Hot path: the checks test `type(x) is dict` before calling `as_obj()`, so well-formed JSON costs
one type test per object, and the registry hands every check of one evaluation the same
container list with each container's securityContext (`pod_contexts`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, final

from podgate.k8s import Obj
from podgate.k8s.gotext import go_quote

__all__ = [
    "EMPTY",
    "FEW",
    "Contexts",
    "Malformed",
    "as_obj",
    "collect_containers",
    "containers",
    "containers_phrase",
    "entry",
    "is_user_namespace_pod",
    "is_windows_pod",
    "items",
    "join_quote",
    "name_at",
    "name_of",
    "names_at",
    "obj",
    "plural",
    "pod_contexts",
    "quoted_annotation",
    "security_contexts",
    "setters",
    "text",
]

EMPTY: Final[Obj] = {}


@final
class Malformed(Mapping[str, Any]):
    """A value of the wrong type where an object was expected; every field of it is malformed."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __getitem__(self, key: str) -> Malformed:
        return self

    def get(self, key: str, default: Any = None) -> Malformed:
        return self

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"Malformed({self.value!r})"


def obj(value: Any) -> Obj | None:
    """An object field: None when unset, the mapping itself, or `Malformed` for any other type."""
    if value is None or type(value) is dict or isinstance(value, Mapping):
        return value
    return Malformed(value)


def as_obj(value: Any) -> Obj:
    """An object field known to be set: the mapping itself, or `Malformed` for any other type."""
    if type(value) is dict or isinstance(value, Mapping):
        return value
    return Malformed(value)


def items(value: Any) -> Sequence[Any]:
    """A list field: () when unset, the list itself, or one `Malformed` item for any other type."""
    if type(value) is list or type(value) is tuple:
        return value
    if value is None:
        return ()
    return (value if type(value) is Malformed else Malformed(value),)


def entry(value: Any) -> Obj:
    """A list item that should be an object: `null` is the zero value (empty), others as `obj`."""
    if type(value) is dict:
        return value
    if value is None:
        return EMPTY
    return value if isinstance(value, Mapping) else Malformed(value)


Contexts = Sequence[tuple[Obj, Obj | None]]
"""(container, its securityContext) pairs; the context is None when unset, else an object."""


def containers(spec: Obj) -> Sequence[Obj]:
    """Every container: init, regular, ephemeral, each in spec order, each a mapping."""
    return collect_containers(spec)


def security_contexts(spec: Obj) -> Contexts:
    """(container, securityContext) for every container, in `containers` order; the context is
    None when unset, the mapping, or `Malformed`."""
    return pod_contexts(spec)


def pod_contexts(spec: Obj) -> Contexts:
    """`security_contexts(spec)`: what the registry computes once per evaluation and hands to
    every check."""
    out = []
    for c in collect_containers(spec):
        sc = c.get("securityContext")
        out.append((c, sc if sc is None or type(sc) is dict else as_obj(sc)))
    return out


def collect_containers(spec: Obj) -> Sequence[Obj]:
    """Every container: init, regular, ephemeral, each in spec order, each a mapping."""
    main = spec.get("containers")
    init = spec.get("initContainers")
    eph = spec.get("ephemeralContainers")
    if type(main) is list:
        if init is None and eph is None:
            found = main
        elif type(init) is list and eph is None:
            found = init + main
        elif type(init) is list and type(eph) is list:
            found = init + main + eph
        elif init is None and type(eph) is list:
            found = main + eph
        else:
            found = None
        if found is not None:
            for c in found:
                if type(c) is not dict:
                    break
            else:
                return found
    out: list[Obj] = []
    for lst in (init, main, eph):
        for c in items(lst):
            out.append(entry(c))
    return out


def text(value: Any) -> str:
    """A field value as it appears in a detail: strings as they are, unset as the empty string
    (Go's zero value), anything else (a wrong type) as compact JSON."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if type(value) is Malformed:
        return text(value.value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (TypeError, ValueError):
        return repr(value)


def name_of(container: Obj) -> str:
    """A container's (or volume's) name as upstream prints it ("" when unset)."""
    name = container.get("name")
    return name if type(name) is str else text(name)


def join_quote(values: Sequence[str]) -> str:
    """Upstream's list rendering: each item in plain double quotes, joined with ", "."""
    if not values:
        return ""
    return '"' + '", "'.join(values) + '"'


def plural(singular: str, plural_form: str, count: int) -> str:
    return singular if count == 1 else plural_form


def containers_phrase(names: Sequence[str]) -> str:
    """`container "a"` or `containers "a", "b"`."""
    if len(names) == 1:
        return f'container "{names[0]}"'
    return 'containers "' + '", "'.join(names) + '"'


def setters(pod: bool, bad_containers: Sequence[str]) -> str:
    """`pod`, `container "a"` / `containers "a", "b"`, or both joined with " and "."""
    if not bad_containers:
        return "pod" if pod else ""
    phrase = containers_phrase(bad_containers)
    return f"pod and {phrase}" if pod else phrase


def name_at(contexts: Contexts, index: int) -> str:
    """The name of the container at `index` of `contexts`, as upstream prints it."""
    name = contexts[index][0].get("name")
    return name if type(name) is str else text(name)


FEW: Final = 8
"""Containers at fault in a check's result that is remembered, at most: a result names each,
so remembering those of pods of thousands of containers (a webhook's requester chooses the
pods) would keep megabytes for each pod."""


def names_at(contexts: Contexts, indices: Iterable[int]) -> list[str]:
    """The names of the containers at `indices` of `contexts`, in that order."""
    out = []
    for i in indices:
        name = contexts[i][0].get("name")
        out.append(name if type(name) is str else text(name))
    return out


def quoted_annotation(key: str, value: Any) -> str:
    """An annotation as upstream renders it: `key="value"` with Go %q quoting of the value."""
    return f"{key}={go_quote(text(value))}"


def is_windows_pod(spec: Obj) -> bool:
    """`spec.os.name == "windows"` (the v1.25+ exemption of three restricted checks)."""
    os = spec.get("os")
    if os is None:
        return False
    return (os if type(os) is dict else as_obj(os)).get("name") == "windows"


def is_user_namespace_pod(spec: Obj) -> bool:
    """`spec.hostUsers` explicitly false (the v1.35+ relaxation); unset or true is not."""
    return spec.get("hostUsers") is False
