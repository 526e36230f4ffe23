"""A copy-on-write draft of a pod: strategies write through it, the original is never touched.

Writing a path copies only the dicts and lists along that path (a pod that no policy changes is
never copied at all), so evaluating a pod against several policies costs little more than
reading it. The draft knows whether anything changed, which is what PSP calls "mutated"."""

from __future__ import annotations

from typing import Any

from podgate.k8s import Obj

Path = tuple[str | int, ...]
Write = tuple[bool, Path, Any]
"""One write to a draft: (True, path, value) set, (False, path, values) merged."""

_EMPTY: Obj = {}


class Draft:
    """The pod as mutated so far. `root` is read like any pod; `set` writes a value at a path."""

    __slots__ = ("_owned", "annotations_only", "changed", "original", "root", "writes")

    def __init__(self, original: Obj) -> None:
        self.original = original
        self.root: Any = original
        self._owned: set[int] = set()
        self.changed = False
        # every write so far went to a key of metadata.annotations (the admission patch of
        # such a pod is the diff of its annotations alone)
        self.annotations_only = True
        # every write, in order: (True, path, value) for `set`, (False, path, values) for
        # `update`; `replay` makes them again on another pod (psp/memo.py)
        self.writes: list[Write] = []

    def _own(self, node: Any) -> Any:
        if id(node) in self._owned:
            return node
        copied: Any = list(node) if isinstance(node, list) else dict(node)
        self._owned.add(id(copied))
        return copied

    @property
    def pod_security_context(self) -> Obj:
        """The pod's spec.securityContext as drafted so far, empty when absent or null."""
        spec = self.root.get("spec")
        sc = spec.get("securityContext") if isinstance(spec, dict) else None
        return sc if isinstance(sc, dict) else _EMPTY

    def set(self, path: Path, value: Any) -> None:
        """Set `value` at `path`, creating missing (or null) mappings on the way."""
        self._parent(path)[path[-1]] = value
        self.writes.append((True, path, value))
        self.changed = True
        if len(path) < 3 or path[0] != "metadata" or path[1] != "annotations":
            self.annotations_only = False

    def update(self, path: Path, values: Obj) -> None:
        """Merge `values` into the mapping at `path`, creating it when missing (or null)."""
        self._parent((*path, "")).update(values)
        self.writes.append((False, path, values))
        self.changed = True
        if len(path) < 2 or path[0] != "metadata" or path[1] != "annotations":
            self.annotations_only = False

    def _parent(self, path: Path) -> Any:
        """The owned container of `path`'s last element, copying and creating on the way."""
        node: Any = self._own(self.root)
        self.root = node
        for key in path[:-1]:
            child: Any = node.get(key) if isinstance(node, dict) else node[key]
            if isinstance(child, dict | list):
                child = self._own(child)
            else:
                child = {}
                self._owned.add(id(child))
            node[key] = child
            node = child
        return node


def replay(pod: Obj, writes: tuple[Write, ...]) -> Draft:
    """A draft of `pod` with `writes` (another draft's) made again, each value a copy of its
    own: what that draft's strategies would have made of `pod` had they read the same."""
    draft = Draft(pod)
    for is_set, path, value in writes:
        if is_set:
            draft.set(path, _copied(value))
        else:
            draft.update(path, _copied(value))
    return draft


def _copied(value: Any) -> Any:
    """A copy of a decoded JSON value: every dict and list in it new."""
    if type(value) is dict:
        return {k: _copied(v) for k, v in value.items()}
    if type(value) is list:
        return [_copied(v) for v in value]
    return value
