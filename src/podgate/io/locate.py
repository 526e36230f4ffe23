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
from typing import Any

import msgspec
import yaml

from podgate.io.loader import DEFAULT_MAX_BYTES
from podgate.io.quoted import column_in
from podgate.io.stream import SeparatorError, decode, json_start, pieces
from podgate.io.yamldoc import first_node
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
_SPACE_BYTES = re.compile(rb"[ \t\n\r]*")
_BLOCK = 1 << 16
# a piece's first node, its first line, and where `quoted` wrote `\x27` for a `\'` in it
_Piece = tuple[yaml.Node | None, int, list[int]]
_DECODER = json.JSONDecoder()


class _Lines:
    """(line, column) of offsets in a text, or in the bytes of an ASCII text (the same
    offsets). The lines before each 64 KiB block, and where the line holding its first
    character starts, are found once (a list of every line's start would cost about 40 bytes
    a line: 300 MB for a pretty-printed snapshot of 100,000 pods); the rest within the block."""

    __slots__ = ("_count", "_length", "_line_starts", "_lines", "_newline", "_rfind")

    def __init__(self, text: str | bytes) -> None:
        self._count: Callable[[Any, int, int], int] = text.count
        self._rfind: Callable[[Any, int, int], int] = text.rfind
        self._newline: Any = "\n" if isinstance(text, str) else b"\n"
        self._length = len(text)
        self._lines: list[int] | None = None  # lines before each block
        self._line_starts: list[int] = []  # where the line holding each block's start starts

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of `offset`, both from 1."""
        nl = self._newline
        if self._lines is None:
            self._lines, self._line_starts = [0], [0]
            for at in range(0, self._length, _BLOCK):
                self._lines.append(self._lines[-1] + self._count(nl, at, at + _BLOCK))
                last = self._rfind(nl, at, at + _BLOCK)
                self._line_starts.append(last + 1 if last >= 0 else self._line_starts[-1])
        block = offset // _BLOCK
        line = self._lines[block] + self._count(nl, block * _BLOCK, offset) + 1
        last = self._rfind(nl, block * _BLOCK, offset)
        return line, offset - (last + 1 if last >= 0 else self._line_starts[block]) + 1


class _JsonText:
    """A JSON file, navigated without building it: keys are scanned and skipped values parsed
    by the C scanner; the start offsets of an array's elements are found once and kept (a big
    `kubectl get -o json` List would otherwise be walked again for every finding)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._elements: dict[int, tuple[list[int], int]] = {}
        self._members: dict[int, dict[str, tuple[int, int]]] = {}
        self._lines = _Lines(text)

    def _ws(self, pos: int) -> int:
        found = _SPACE.match(self.text, pos)
        return found.end() if found is not None else pos

    def _skip(self, pos: int) -> int:
        """Where the value at `pos` ends: a list element by element (the `items` of a large
        list is never built whole), anything else by the C scanner."""
        if self.text[pos] == "[":
            return self._list(pos)[1]
        return int(_DECODER.raw_decode(self.text, pos)[1])

    def _list(self, pos: int) -> tuple[list[int], int]:
        found = self._elements.get(pos)
        if found is None:
            starts = []
            cur = self._ws(pos + 1)
            while cur < len(self.text) and self.text[cur] != "]":
                starts.append(cur)
                cur = self._ws(int(_DECODER.raw_decode(self.text, cur)[1]))
                if cur < len(self.text) and self.text[cur] == ",":
                    cur = self._ws(cur + 1)
            if cur >= len(self.text):
                raise ValueError("a list that does not end")
            found = self._elements[pos] = (starts, cur + 1)
        return found

    def elements(self, pos: int) -> list[int]:
        """The start offsets of the elements of the list at `pos`."""
        return self._list(pos)[0]

    def member(self, pos: int, name: str) -> tuple[int, int] | None:
        """(key offset, value offset) of `name` in the object at `pos`: of the last time it is
        written there, as every JSON decoder here (and Go's) keeps the last."""
        members = self._members.get(pos)
        if members is None:
            members = self._members[pos] = self._read_members(pos)
        return members.get(name)

    def first_member(self, pos: int, name: str) -> tuple[int, int] | None:
        """`member`, but of the first time `name` is written: the object is read only as far
        as that."""
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

    def _read_members(self, pos: int) -> dict[str, tuple[int, int]]:
        text = self.text
        members: dict[str, tuple[int, int]] = {}
        cur = self._ws(pos + 1)
        while cur < len(text) and text[cur] == '"':
            found, after = scanstring(text, cur + 1)
            value = self._ws(self._ws(after) + 1)  # past the colon
            members[found] = (cur, value)
            cur = self._ws(self._skip(value))
            if cur < len(text) and text[cur] == ",":
                cur = self._ws(cur + 1)
        return members

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of `offset`, both from 1 (`_Lines`)."""
        return self._lines.position(offset)

    def walk(self, node: int, steps: FieldPath) -> int:
        """The offset of the field at `steps` from the object at `node`, or of its nearest
        existing parent (down to the object's `kind` key). Raises ValueError or IndexError on
        text that is no JSON."""
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
        return best

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
            return self.position(self.walk(node, steps))
        except (ValueError, IndexError):
            return None


class _ListItems(msgspec.Struct):
    """A JSON object's `items` list, each item undecoded."""

    items: list[msgspec.Raw]


_LIST_ITEMS = msgspec.json.Decoder(_ListItems)
_KEPT_ITEMS = 64  # items kept decoded as text (`_JsonItems`): a workload's findings come together


class _JsonItems:
    """An ASCII JSON list (a `kubectl get -o json` snapshot) kept as its bytes, never as a
    str beside them (on a 20,000-pod snapshot, 144 MiB more, and as much again while it is
    decoded): where each element of its `items` starts and ends is found once (`_item_spans`),
    and an element is navigated as a text of its own, a few kept at a time. Offsets, lines and
    columns are those of `_JsonText` on the whole text: the bytes of ASCII are its
    characters."""

    def __init__(self, data: bytes, spans: tuple[list[int], list[int]]) -> None:
        self._data = data
        self._starts, self._ends = spans
        self._lines = _Lines(data)
        self._texts: dict[int, _JsonText] = {}
        self._whole: _JsonText | None = None

    def locate(self, item: int | None, steps: FieldPath) -> tuple[int, int] | None:
        if item is None:  # not an item: the whole text (no document of a list file is one)
            if self._whole is None:
                self._whole = _JsonText(self._data.decode("ascii"))
            return self._whole.locate(item, steps)
        if item >= len(self._starts):
            return None
        text = self._texts.pop(item, None)  # kept again as the newest
        if text is None:
            start, end = self._starts[item], self._ends[item]
            text = _JsonText(self._data[start:end].decode("ascii"))
            if len(self._texts) >= _KEPT_ITEMS:
                del self._texts[next(iter(self._texts))]
        self._texts[item] = text
        try:
            return self._lines.position(self._starts[item] + text.walk(0, steps))
        except (ValueError, IndexError):
            return None


def _items_value(data: bytes) -> int | None:
    """Where the value of the first `items` key of the JSON object `data` (ASCII) holds
    starts, as `_JsonText.locate` finds it; read from the file's start, as much as it takes
    (the keys before `items` in kubectl's output: only `apiVersion`). None when it has none,
    or it is no JSON object."""
    size = 1 << 16
    while True:
        whole = size >= len(data)
        text = _JsonText(data[:size].decode("ascii"))
        if json_start(text.text) is None:
            if whole or json_start(text.text + "{") != len(text.text):
                return None  # YAML, or no object
        else:
            node = text._ws(0)
            try:
                found = text.first_member(node, "items") if text.text[node] == "{" else None
            except (ValueError, IndexError):  # a value cut off where the piece ends
                found = None
            # a value offset within the piece is where it is in the whole text
            if found is not None and (whole or found[1] < len(text.text)):
                return found[1]
            if whole:
                return None
        size *= 4


def _item_spans(data: bytes) -> tuple[list[int], list[int]] | None:
    """(starts, ends) of the elements of the first `items` list of the ASCII JSON list `data`,
    exactly where `_JsonText` finds them: msgspec gives each element's bytes (of the list it
    reads), and each is checked to be what `data` holds at that place, after the `[` of the
    first `items` or a `,`, the last followed by `]`, and no `items` after it. None when they
    are not (`items` written twice, anything not one JSON object with an `items` list): then
    the whole text is navigated."""
    first = _items_value(data)
    if first is None or data[first : first + 1] != b"[":
        return None
    try:
        found = _LIST_ITEMS.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return None
    starts: list[int] = []
    ends: list[int] = []
    cur = _ws_bytes(data, first + 1)
    for i, raw in enumerate(found.items):
        if i:
            if data[cur : cur + 1] != b",":
                return None
            cur = _ws_bytes(data, cur + 1)
        if not data.startswith(raw, cur):  # a Raw is a buffer of the bytes it read
            return None
        starts.append(cur)
        cur += len(raw)
        ends.append(cur)
        cur = _ws_bytes(data, cur)
    if data[cur : cur + 1] != b"]" or _items_again(data, cur + 1):
        return None
    return starts, ends


def _items_again(data: bytes, pos: int) -> bool:
    """Whether the object whose `items` list ends at `pos` names `items` again after it (the
    decoders read the last), or cannot be read as far as its end; what follows the list is
    read as text (in kubectl's output only `kind` and `metadata`)."""
    rest = _JsonText(data[pos:].decode("ascii"))
    try:
        cur = rest._ws(0)
        while rest.text[cur : cur + 1] == ",":
            cur = rest._ws(cur + 1)
            name, after = scanstring(rest.text, cur + 1)
            if name == "items":
                return True
            cur = rest._ws(rest._skip(rest._ws(rest._ws(after) + 1)))
    except (ValueError, IndexError):
        return True
    return rest.text[cur : cur + 1] != "}"


def _ws_bytes(data: bytes, pos: int) -> int:
    found = _SPACE_BYTES.match(data, pos)
    return found.end() if found is not None else pos


class Locator:
    """Finds fields in files, reading each file at most once."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._files: dict[str, list[_Piece]] = {}
        self._json: dict[str, _JsonText | _JsonItems | None] = {}
        self._max = max_bytes

    def release(self) -> None:
        """Let go of every file read (a writer done locating: a snapshot's bytes are as large
        as the report); a file is read again if it is asked for again."""
        self._files.clear()
        self._json.clear()

    def _read_bytes(self, file: str) -> bytes | None:
        try:
            with open(file, "rb") as fh:
                # the size fstat gives first: read(max) would allocate the whole cap (1 GiB)
                size = os.fstat(fh.fileno()).st_size
                data = fh.read(min(size + 1, self._max))
                if size < len(data) < self._max:  # it grew meanwhile: the rest, up to the cap
                    data += fh.read(self._max - len(data))
        except OSError:
            return None
        return data

    def _read(self, file: str) -> str | None:
        data = self._read_bytes(file)
        return None if data is None else decode(data)

    def _json_text(self, file: str) -> _JsonText | _JsonItems | None:
        """The file as JSON when it is JSON (a leading `{`): an ASCII list kept as bytes
        (`_JsonItems`), anything else as text."""
        if file not in self._json:
            data = self._read_bytes(file)
            spans = _item_spans(data) if data is not None and data.isascii() else None
            if data is not None and spans is not None:
                self._json[file] = _JsonItems(data, spans)
            else:
                text = None if data is None else decode(data)
                del data
                is_json = text is not None and json_start(text) is not None
                self._json[file] = _JsonText(text) if is_json and text is not None else None
        return self._json[file]

    def _documents(self, file: str) -> list[_Piece]:
        """The first node of each `---` piece, as the loader cuts and reads them."""
        docs = self._files.get(file)
        if docs is None:
            docs = []
            try:
                text = self._read(file)
                if text is None:
                    raise OSError(file)
                for piece in pieces(text):
                    node, _, written = first_node(piece.text)
                    docs.append((node, piece.line, written))
            except (OSError, SeparatorError, yaml.YAMLError):
                docs = []
            self._files[file] = docs
        return docs

    def item_line(self, source: Source) -> int:
        """The line to name for `source` in a message: where the item starts when it is an
        item of a list in a JSON file (the loader gives every item of a JSON list the list's
        own line; an item of a YAML list has its own already), else `source.line`."""
        if source.item is None or source.file == "-" or source.line <= 0 or source.document:
            return source.line
        json_text = self._json_text(source.file)
        found = json_text.locate(source.item, ()) if json_text is not None else None
        return found[0] if found is not None else source.line

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
        node, first_line, written = docs[source.document]
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
        column = column_in(mark.index, mark.column, written) if written else mark.column
        return first_line + mark.line, column + 1


def json_line(text: str, at: int, path: FieldPath) -> int | None:
    """The line of the field at `path` in the JSON value at offset `at` of `text` (or of its
    nearest existing parent), None when the text cannot be navigated."""
    found = _JsonText(text)
    try:
        return found.position(found.walk(at, path))[0]
    except (ValueError, IndexError):
        return None


def item_line(source: Source) -> int:
    """`Locator.item_line` of `source`, for one message (the file is read again: on the way to
    an error only)."""
    return Locator().item_line(source)
