"""Lines and columns of fields in the files they were read from, for SARIF, JUnit and HTML.

Only files with findings are looked at, once each: the file is composed again (YAML nodes keep
their marks; JSON is read as YAML for this), and a field path such as
`spec.template.spec.containers[0].securityContext.privileged` is followed as far as it exists.
A missing field gives the line of its nearest existing parent (down to the document's `kind:`
line), as code scanning wants a line for "field not set" findings too."""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from podgate.io.loader import DEFAULT_MAX_BYTES, _Loader
from podgate.scan.inventory import Source

_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")

Locate = Callable[[Source, str], tuple[int, int] | None]


def _steps(path: str) -> list[str | int]:
    out: list[str | int] = []
    for name, index in _STEP.findall(path):
        if name:
            out.append(name)
        elif index.isdigit():
            out.append(int(index))
        else:
            out.append(index)  # a map key in brackets: annotations[key]
    return out


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == step:
                found: yaml.Node = v
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        child: yaml.Node = node.value[step]
        return child
    return None


def _key_node(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == step:
                return k
    return None


class Locator:
    """Finds fields in files, composing each file at most once."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._files: dict[str, list[yaml.Node | None]] = {}
        self._max = max_bytes

    def _documents(self, file: str) -> list[yaml.Node | None]:
        docs = self._files.get(file)
        if docs is None:
            docs = []
            try:
                with open(file, "rb") as fh:
                    text = fh.read(self._max).decode("utf-8-sig")
                loader = _Loader(text)
                try:
                    while loader.check_node():
                        docs.append(loader.get_node())
                finally:
                    loader.dispose()
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                docs = []
            self._files[file] = docs
        return docs

    def __call__(self, source: Source, field: str) -> tuple[int, int] | None:
        """(line, column), both from 1, of `field` in the object at `source`."""
        if source.file == "-":
            return None
        docs = self._documents(source.file)
        if source.document >= len(docs) or docs[source.document] is None:
            return None
        node = docs[source.document]
        assert node is not None
        if source.item is not None:
            items = _child(node, "items")
            node = _child(items, source.item) if items is not None else None
            if node is None:
                return None
        best: yaml.Node = _key_node(node, "kind") or node
        for step in _steps(field):
            key = _key_node(node, step)
            child = _child(node, step)
            if child is None:
                break
            best = key if key is not None else child
            node = child
        mark = best.start_mark
        return mark.line + 1, mark.column + 1
