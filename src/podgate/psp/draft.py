"""A copy-on-write draft of a pod: strategies write through it, the original is never touched.

Writing a path copies only the dicts and lists along that path (a pod that no policy changes is
never copied at all), so evaluating a pod against several policies costs little more than
reading it. The draft knows whether anything changed, which is what PSP calls "mutated"."""

from __future__ import annotations

from typing import Any

from podgate.k8s import Obj

Path = tuple[str | int, ...]

_EMPTY: Obj = {}


class Draft:
    """The pod as mutated so far. `root` is read like any pod; `set` writes a value at a path."""

    __slots__ = ("_owned", "annotations_only", "changed", "original", "root")

    def __init__(self, original: Obj) -> None:
        self.original = original
        self.root: Any = original
        self._owned: set[int] = set()
        self.changed = False
        # every write so far went to a key of metadata.annotations (the admission patch of
        # such a pod is the diff of its annotations alone)
        self.annotations_only = True

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
        self.changed = True
        if len(path) < 3 or path[0] != "metadata" or path[1] != "annotations":
            self.annotations_only = False

    def update(self, path: Path, values: Obj) -> None:
        """Merge `values` into the mapping at `path`, creating it when missing (or null)."""
        self._parent((*path, "")).update(values)
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
