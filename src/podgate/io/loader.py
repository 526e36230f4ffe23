"""Reading Kubernetes objects from YAML and JSON: files, directories, stdin, `v1 List`s.

Every input is hostile until read: each file is capped in size, YAML is read with the safe
loader (libyaml's C loader when present), and a document whose aliases expand to far more nodes
than it holds (an alias bomb), or that nests absurdly deep, is refused before it is built.
Errors are `LoadError`s naming the file, the document's index and its line.
"""

from __future__ import annotations

import gc
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from podgate.errors import LoadError

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 200  # Kubernetes objects nest about 15 deep; JSON encoders stop at 255
MAX_EXPANDED_NODES = 2_000_000  # nodes a document may expand to through aliases ...
MAX_ALIAS_RATIO = 10  # ... and at most this many times the nodes it holds, past 10,000
EXTENSIONS = (".yaml", ".yml", ".json")

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _init(self: Any, stream: str) -> None:
    _SafeLoader.__init__(self, stream)
    self.plain_tags = {}


def _resolve(self: Any, kind: Any, value: Any, implicit: Any) -> Any:
    """PyYAML's resolver, remembering each plain scalar's tag: the same few hundred values
    (keys, booleans, numbers) come back hundreds of thousands of times in a large file. The
    safe loader has no path resolvers, so a scalar's tag depends only on its text and on
    whether it is plain (quoted and explicitly non-specific ones are strings)."""
    if kind is not yaml.ScalarNode or self.yaml_path_resolvers:
        return _SafeLoader.resolve(self, kind, value, implicit)
    if not implicit[0]:
        return self.DEFAULT_SCALAR_TAG
    tag = self.plain_tags.get(value)
    if tag is None:
        tag = self.plain_tags[value] = _SafeLoader.resolve(self, kind, value, implicit)
    return tag


# the safe loader (libyaml's when present), with a memo of plain scalars' tags
_Loader: Any = type("_Loader", (_SafeLoader,), {"__init__": _init, "resolve": _resolve})


@dataclass(frozen=True, slots=True)
class Document:
    """One object read from input: where it came from and the decoded object."""

    file: str  # the path as given (or as found under a given directory), "-" for stdin
    index: int  # the document's index in its file, from 0
    line: int  # the line the object starts on, from 1
    obj: dict[str, Any]
    item: int | None = None  # the index within a `v1 List`, when it came from one

    @property
    def where(self) -> str:
        at = f"{self.file}: document {self.index}"
        if self.item is not None:
            at += f" item {self.item}"
        return f"{at} (line {self.line})"


def _expand(paths: Iterable[str]) -> Iterator[str]:
    for given in paths:
        if given == "-":
            yield given
            continue
        p = Path(given)
        if p.is_dir():
            found = sorted(
                str(f)
                for f in p.rglob("*")
                if f.suffix.lower() in EXTENSIONS and f.is_file() and not _hidden(f, p)
            )
            yield from found
        elif p.exists():
            yield given
        else:
            raise LoadError("no such file or directory", file=given)


def _hidden(f: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in f.relative_to(root).parts)


def _read(path: str, max_bytes: int) -> bytes:
    try:
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            size = os.path.getsize(path)
            if size > max_bytes:
                raise LoadError(f"file is {size} bytes, over the limit of {max_bytes}", file=path)
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
    except OSError as e:
        raise LoadError(e.strerror or str(e), file=path) from e
    if len(data) > max_bytes:
        raise LoadError(f"input is over the limit of {max_bytes} bytes", file=path)
    return data


def _check_node(root: yaml.Node, file: str, index: int) -> None:
    """Refuse alias bombs and absurd nesting by walking the composed node graph."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # entered but not finished: reaching one again is a cycle
    unique = 0
    # iterative post-order walk: (node, depth, children done?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            total = 1
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    total += sizes[id(k)] + sizes[id(v)]
            elif isinstance(node, yaml.SequenceNode):
                for v in node.value:
                    total += sizes[id(v)]
            sizes[key] = total
            if total > MAX_EXPANDED_NODES or (total > 10_000 and total > MAX_ALIAS_RATIO * unique):
                raise LoadError(
                    "document expands to too many nodes through aliases (an alias bomb?)",
                    file=file,
                    document=index,
                    line=root.start_mark.line + 1,
                )
            continue
        if key in sizes:
            if key in open_nodes:
                raise LoadError(
                    "document refers to itself through an alias (a recursive structure)",
                    file=file,
                    document=index,
                    line=node.start_mark.line + 1,
                )
            continue
        if depth > MAX_DEPTH:
            raise LoadError(
                f"document nests deeper than {MAX_DEPTH} levels",
                file=file,
                document=index,
                line=node.start_mark.line + 1,
            )
        unique += 1
        sizes[key] = 0
        open_nodes.add(key)
        stack.append((node, depth, True))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append((k, depth + 1, False))
                stack.append((v, depth + 1, False))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, depth + 1, False) for v in node.value)


class _Unusual(Exception):
    """The document needs the full checks and PyYAML's own constructor: an alias, a tag other
    than the plain core ones, a non-scalar or merge key, or a limit reached."""


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = ("null", "bool", "int", "float", "binary", "timestamp")


def _construct_plain(loader: Any, root: yaml.Node, track: bool) -> Any:
    """The document as PyYAML's safe constructor builds it, in one pass that also bounds its
    depth and size; raises _Unusual for anything outside the common case, so that the caller
    runs `_check_node` and PyYAML's constructor instead. Without aliases a document expands to
    exactly its own nodes, so `_check_node` could only object to depth or size, which this pass
    checks the same way. `track`: the text has an `&`, so it may have anchors and aliases;
    watch for any node met twice."""
    scalars: dict[str, Any] = {
        f"tag:yaml.org,2002:{name}": getattr(loader, f"construct_yaml_{name}")
        for name in _SCALAR_TAGS
    }
    seen: set[int] = set()
    count = 1

    def build(node: Any, depth: int) -> Any:
        nonlocal count
        if track:
            key = id(node)
            if key in seen:
                raise _Unusual
            seen.add(key)
        tag = node.tag
        kind = node.id
        if kind == "scalar":
            if tag == _STR:
                return node.value
            construct = scalars.get(tag)
            if construct is None:
                raise _Unusual
            return construct(node)
        items = node.value
        if items and depth >= MAX_DEPTH:
            raise _Unusual
        if kind == "mapping":
            count += 2 * len(items)
            if tag != _MAP or count > MAX_EXPANDED_NODES:
                raise _Unusual
            out: dict[Any, Any] = {}
            for k, v in items:
                if k.id != "scalar":
                    raise _Unusual
                if track:
                    key = id(k)
                    if key in seen:
                        raise _Unusual
                    seen.add(key)
                ktag = k.tag
                if ktag == _STR:
                    name = k.value
                else:
                    construct = scalars.get(ktag)
                    if construct is None:  # a merge key `<<`, a value key `=`, a custom tag
                        raise _Unusual
                    name = construct(k)
                out[name] = build(v, depth + 1)
            return out
        count += len(items)
        if tag != _SEQ or count > MAX_EXPANDED_NODES:
            raise _Unusual
        return [build(v, depth + 1) for v in items]

    return build(root, 1)


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, max(pos, 0)) + 1


def _yaml_documents(text: str, file: str) -> Iterator[tuple[int, int, Any, list[int]]]:
    """(index, line, object, lines of `items[*]`) for each YAML document."""
    loader = _Loader(text)
    track = "&" in text  # no `&`, no anchors, so no aliases
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # an empty document
                index += 1
                continue
            try:
                data = _construct_plain(loader, node, track)
            except (_Unusual, yaml.YAMLError, ValueError):  # the checks, and errors, as before
                _check_node(node, file, index)
                data = loader.construct_document(node)
            item_lines: list[int] = []
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == "items" and isinstance(v, yaml.SequenceNode):
                        item_lines = [n.start_mark.line + 1 for n in v.value]
            yield index, node.start_mark.line + 1, data, item_lines
            index += 1
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise LoadError(f"invalid YAML: {what}", file=file, document=index, line=line) from e
    except yaml.YAMLError as e:
        raise LoadError(f"invalid YAML: {e}", file=file, document=index) from e
    except RecursionError as e:
        raise LoadError("document nests too deep", file=file, document=index) from e
    finally:
        loader.dispose()


_STRUCTURE = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STRING = re.compile(rb'"[^"]*"')
_ESCAPE = re.compile(rb"\\.", re.DOTALL)


def _json_depth_ok(text: bytes) -> bool:
    """Whether no array or object in a valid JSON text nests deeper than MAX_DEPTH (the outermost
    at depth 1), read from the text with C-level bytes operations rather than by walking every
    decoded value: escapes and string contents are dropped, leaving the brackets, and each round
    of removing every innermost `[]` pair lowers the depth by exactly one."""
    if b"\\" in text:  # escapes occur only in strings: drop each, and what it escapes
        text = _ESCAPE.sub(b"", text)
    brackets = text.translate(_STRUCTURE, _NOT_STRUCTURE)  # quotes and [ ] only
    # Two adjacent quotes open and close a string with no bracket in it, or close one and open
    # the next: dropping them keeps every bracket inside or outside a string as it was.
    brackets = brackets.replace(b'""', b"")
    if b'"' in brackets:
        brackets = _STRING.sub(b"", brackets)
    for _ in range(MAX_DEPTH):
        if not brackets:
            return True
        brackets = brackets.replace(b"[]", b"")
    return not brackets


def _is_json(path: str, text: str) -> bool:
    if path.lower().endswith(".json"):
        return True
    head = text.lstrip()[:1]
    return head in ("{", "[")


def load_text(text: str, file: str) -> Iterator[Document]:
    """The objects in one file's text (YAML or JSON), `v1 List`s expanded into their items."""
    if _is_json(file, text):
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            if not file.lower().endswith(".json"):
                yield from _from_yaml(text, file)  # flow-style YAML that is not JSON
                return
            raise LoadError(f"invalid JSON: {e.msg}", file=file, document=0, line=e.lineno) from e
        if not _json_depth_ok(text.encode()):
            raise LoadError(f"document nests deeper than {MAX_DEPTH} levels", file=file, document=0)
        yield from _objects(data, file, 0, 1, [])
        return
    yield from _from_yaml(text, file)


# str.isspace() for ASCII: what str.lstrip() strips before the first character of a text
_ASCII_HEAD = re.compile(rb"[\t\n\x0b\x0c\r\x1c-\x1f ]*(.?)", re.DOTALL)


def _load_ascii_json(raw: bytes, file: str) -> list[Document] | None:
    """`load_text` for an ASCII JSON file, parsed from its bytes without decoding a copy of
    them; None when it is not JSON after all (the caller then decodes it and calls load_text,
    which reports errors or reads it as YAML as before)."""
    head = _ASCII_HEAD.match(raw)
    if not file.lower().endswith(".json") and (head is None or head.group(1) not in (b"{", b"[")):
        return None
    depth_ok = _json_depth_ok(raw)  # before decoding: its copies of the text come and go first
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not depth_ok:
        raise LoadError(f"document nests deeper than {MAX_DEPTH} levels", file=file, document=0)
    return list(_objects(data, file, 0, 1, []))


def _from_yaml(text: str, file: str) -> Iterator[Document]:
    for index, line, data, item_lines in _yaml_documents(text, file):
        yield from _objects(data, file, index, line, item_lines)


def _objects(
    data: Any, file: str, index: int, line: int, item_lines: list[int]
) -> Iterator[Document]:
    if data is None:
        return
    if not isinstance(data, dict):
        got = type(data).__name__
        if isinstance(data, list):
            got = "a list"
        raise LoadError(
            f"expected a Kubernetes object (a mapping), got {got}",
            file=file,
            document=index,
            line=line,
        )
    kind = data.get("kind")
    items = data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for i, item in enumerate(items):
            item_line = item_lines[i] if i < len(item_lines) else line
            if not isinstance(item, Mapping):
                raise LoadError(
                    f"items[{i}] is not an object", file=file, document=index, line=item_line
                )
            obj = item if type(item) is dict else dict(item)  # decoded items are new dicts
            yield Document(file, index, item_line, obj, item=i)
        return
    yield Document(file, index, line, data)


def load_documents(paths: Iterable[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Document]:
    """Every object in the given files and directories (recursively: .yaml, .yml, .json), `-`
    for stdin. Raises LoadError for the first input that cannot be read."""
    out: list[Document] = []
    enabled = gc.isenabled()
    gc.disable()  # the cyclic GC makes bulk parsing several times slower
    try:
        for path in _expand(paths):
            raw = _read(path, max_bytes)
            if raw.isascii():
                found = _load_ascii_json(raw, path)
                if found is not None:
                    out.extend(found)
                    continue
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as e:
                line = raw.count(b"\n", 0, e.start) + 1
                raise LoadError("not UTF-8 text", file=path, line=line) from e
            out.extend(load_text(text, path))
    finally:
        if enabled:
            gc.enable()
    # The documents hold no reference cycles and live as long as the scan; a full collection
    # would walk all of their millions of objects again each time (seconds on a large
    # snapshot), so they go to the collector's permanent generation. They are still freed
    # by reference counting.
    gc.freeze()
    return out
