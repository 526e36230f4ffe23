"""Lines and columns of fields in the files they were read from, for SARIF, JUnit and HTML.

Only files with findings are looked at, once each: the file is composed again (YAML nodes keep
their marks; JSON is navigated in its text), and a field path's steps, such as
`("spec", "template", "spec", "containers", 0, "securityContext", "privileged")`, are followed
as far as they exist.
A missing field gives the line of its nearest existing parent (down to the document's `kind:`
line), as code scanning wants a line for "field not set" findings too."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from json.decoder import scanstring  # type: ignore[attr-defined]

import yaml

from podgate.io.loader import DEFAULT_MAX_BYTES
from podgate.io.stream import SeparatorError, decode, json_start, pieces
from podgate.io.yamldoc import yaml_loader
from podgate.k8s.field import FieldPath
from podgate.k8s.source import Source

Locate = Callable[[Source, FieldPath], tuple[int, int] | None]


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


_SPACE = re.compile(r"[ \t\n\r]*")
_BLOCK = 1 << 16
_DECODER = json.JSONDecoder()


class _JsonText:
    """A JSON file, navigated without building it: keys are scanned and skipped values parsed
    by the C scanner; the start offsets of an array's elements are found once and kept (a big
    `kubectl get -o json` List would otherwise be walked again for every finding)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._elements: dict[int, list[int]] = {}
        self._members: dict[tuple[int, str], tuple[int, int] | None] = {}
        self._lines: list[int] | None = None  # lines before each block (`position`)
        self._line_starts: list[int] = []  # where the line holding each block's start starts

    def _ws(self, pos: int) -> int:
        found = _SPACE.match(self.text, pos)
        return found.end() if found is not None else pos

    def _skip(self, pos: int) -> int:
        return int(_DECODER.raw_decode(self.text, pos)[1])

    def elements(self, pos: int) -> list[int]:
        found = self._elements.get(pos)
        if found is None:
            found = []
            cur = self._ws(pos + 1)
            while cur < len(self.text) and self.text[cur] != "]":
                found.append(cur)
                cur = self._ws(self._skip(cur))
                if cur < len(self.text) and self.text[cur] == ",":
                    cur = self._ws(cur + 1)
            self._elements[pos] = found
        return found

    def member(self, pos: int, name: str) -> tuple[int, int] | None:
        """(key offset, value offset) of `name` in the object at `pos`."""
        key = (pos, name)
        if key not in self._members:
            self._members[key] = self._member(pos, name)
        return self._members[key]

    def _member(self, pos: int, name: str) -> tuple[int, int] | None:
        text = self.text
        cur = self._ws(pos + 1)
        while cur < len(text) and text[cur] == '"':
            found, after = scanstring(text, cur + 1)
            value = self._ws(self._ws(after) + 1)  # past the colon
            if found == name:
                return cur, value
            cur = self._ws(self._skip(value))
            if cur < len(text) and text[cur] == ",":
                cur = self._ws(cur + 1)
        return None

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of `offset`, both from 1. The lines before each 64 KiB block, and
        where the line holding its first character starts, are found once (a list of every
        line's start would cost about 40 bytes a line: 300 MB for a pretty-printed snapshot
        of 100,000 pods); the rest within the block."""
        text = self.text
        if self._lines is None:
            self._lines, self._line_starts = [0], [0]
            for at in range(0, len(text), _BLOCK):
                self._lines.append(self._lines[-1] + text.count("\n", at, at + _BLOCK))
                last = text.rfind("\n", at, at + _BLOCK)
                self._line_starts.append(last + 1 if last >= 0 else self._line_starts[-1])
        block = offset // _BLOCK
        line = self._lines[block] + text.count("\n", block * _BLOCK, offset) + 1
        last = text.rfind("\n", block * _BLOCK, offset)
        return line, offset - (last + 1 if last >= 0 else self._line_starts[block]) + 1

    def locate(self, item: int | None, steps: FieldPath) -> tuple[int, int] | None:
        try:
            node = self._ws(0)
            if item is not None:
                items = self.member(node, "items") if self.text[node] == "{" else None
                if items is None or self.text[items[1]] != "[":
                    return None
                elements = self.elements(items[1])
                if item >= len(elements):
                    return None
                node = elements[item]
            kind = self.member(node, "kind") if self.text[node] == "{" else None
            best = kind[0] if kind else node
            for step in steps:
                ch = self.text[node]
                if ch == "{" and isinstance(step, str):
                    found = self.member(node, step)
                    if found is None:
                        break
                    best, node = found
                elif ch == "[" and isinstance(step, int):
                    elements = self.elements(node)
                    if step >= len(elements):
                        break
                    best = node = elements[step]
                else:
                    break
            return self.position(best)
        except (ValueError, IndexError):
            return None


class Locator:
    """Finds fields in files, reading each file at most once."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._files: dict[str, list[tuple[yaml.Node | None, int]]] = {}
        self._json: dict[str, _JsonText | None] = {}
        self._max = max_bytes

    def _read(self, file: str) -> str | None:
        try:
            with open(file, "rb") as fh:
                # the size fstat gives first: read(max) would allocate the whole cap (1 GiB)
                size = os.fstat(fh.fileno()).st_size
                data = fh.read(min(size + 1, self._max))
                if size < len(data) < self._max:  # it grew meanwhile: the rest, up to the cap
                    data += fh.read(self._max - len(data))
        except OSError:
            return None
        return decode(data)

    def _json_text(self, file: str) -> _JsonText | None:
        """The file as JSON when it is JSON (a `.json` name or a leading `{`/`[`)."""
        if file not in self._json:
            text = self._read(file)
            is_json = text is not None and json_start(text) is not None
            self._json[file] = _JsonText(text) if is_json and text is not None else None
        return self._json[file]

    def _documents(self, file: str) -> list[tuple[yaml.Node | None, int]]:
        """(first node, its piece's first line) of each `---` piece, as the loader cuts them."""
        docs = self._files.get(file)
        if docs is None:
            docs = []
            try:
                text = self._read(file)
                if text is None:
                    raise OSError(file)
                for piece in pieces(text):
                    loader = yaml_loader()(piece.text)
                    try:
                        node = loader.get_node() if loader.check_node() else None
                        docs.append((node, piece.line))
                    finally:
                        loader.dispose()
            except (OSError, SeparatorError, yaml.YAMLError):
                docs = []
            self._files[file] = docs
        return docs

    def __call__(self, source: Source, path: FieldPath) -> tuple[int, int] | None:
        """(line, column), both from 1, of the field at `path` in the object at `source`."""
        if source.file == "-" or source.line <= 0:
            return None
        json_text = self._json_text(source.file)
        if json_text is not None:
            return json_text.locate(source.item, path) if source.document == 0 else None
        docs = self._documents(source.file)
        if source.document >= len(docs):
            return None
        node, first_line = docs[source.document]
        if node is None:
            return None
        if source.item is not None:
            items = _child(node, "items")
            node = _child(items, source.item) if items is not None else None
            if node is None:
                return None
        best: yaml.Node = _key_node(node, "kind") or node
        for step in path:
            key = _key_node(node, step)
            child = _child(node, step)
            if child is None:
                break
            best = key if key is not None else child
            node = child
        mark = best.start_mark
        return first_line + mark.line, mark.column + 1
