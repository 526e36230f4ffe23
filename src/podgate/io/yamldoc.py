"""YAML documents, parsed by PyYAML (libyaml's C parser when present) and valued as kubectl
values them (`goyaml`), one `---` piece at a time as kubectl cuts them (`stream`).

Every input is hostile until read: a document whose aliases expand to far more nodes than it
holds (an alias bomb), that refers to itself, or that nests absurdly deep is refused before it
is built. Building makes no reference cycles, so nothing is left for the cyclic collector."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from podgate.errors import LoadError
from podgate.io import fastyaml, goyaml, quoted
from podgate.io.stream import Piece, SeparatorError, pieces

MAX_DEPTH = 200  # Kubernetes objects nest about 15 deep; JSON encoders stop at 255
MAX_EXPANDED_NODES = 2_000_000  # nodes a document may expand to through aliases ...
MAX_ALIAS_RATIO = 10  # ... and at most this many times the nodes it holds, past 10,000

# PyYAML is imported when a piece goes the libyaml way (rarely, where `fastyaml` reads
# pieces): not at start-up, which runs before a pool's workers can start
if TYPE_CHECKING:
    import yaml


@cache
def yaml_loader() -> Any:
    """The safe loader (libyaml's when present), composing nodes only, with plain scalars
    tagged `goyaml.PLAIN` (valued by go-yaml's rules when built) and other scalars strings."""
    import yaml

    safe: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def resolve(self: Any, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            return goyaml.PLAIN if implicit[0] else goyaml.STR
        return safe.resolve(self, kind, value, implicit)

    return type("YAMLLoader", (safe,), {"resolve": resolve})


def check_node(root: yaml.Node, file: str, index: int, first_line: int) -> None:
    """Refuse alias bombs, cycles and absurd nesting by walking the composed node graph."""
    import yaml

    def refused(message: str, at: yaml.Node) -> LoadError:
        return LoadError(message, file=file, document=index, line=first_line + at.start_mark.line)

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
                raise refused(
                    "document expands to too many nodes through aliases (an alias bomb?)", root
                )
            continue
        if key in sizes:
            if key in open_nodes:
                raise refused(
                    "document refers to itself through an alias (a recursive structure)", node
                )
            continue
        if depth > MAX_DEPTH:
            raise refused(f"document nests deeper than {MAX_DEPTH} levels", node)
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
    """The fast pass met a node twice (an alias) or a limit: check the graph, then build again."""


class _Refused(Exception):
    """A value kubectl refuses, at a node."""

    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.node = node


class Values:
    """The values of plain scalars already seen in one file (the same few hundred keys,
    booleans and numbers come back hundreds of thousands of times in a large file)."""

    __slots__ = ("keys", "values")

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.keys: dict[str, tuple[str, tuple[str, Any] | None]] = {}


_NOT_YET = object()


class _Builder:
    """Builds one document's value. `checked`: the graph passed `check_node`, so aliases are
    rebuilt where they are used (as go-yaml does); otherwise any node met twice, or a limit
    reached, raises _Unusual (only text with an `&` can have aliases: only then are nodes
    tracked). Holds no reference to itself: no cycles to collect."""

    __slots__ = ("checked", "count", "keys", "plain_ok", "seen", "text", "track", "values")

    def __init__(self, memo: Values, checked: bool, text: str) -> None:
        self.keys = memo.keys
        self.values = memo.values
        self.checked = checked
        self.text = text
        self.track = not checked and "&" in text
        self.plain_ok = "!" not in text  # no `!`: no scalar has the non-specific tag
        self.seen: set[int] = set()
        self.count = 1

    def _visit(self, node: Any) -> None:
        key = id(node)
        if key in self.seen:
            raise _Unusual
        self.seen.add(key)

    def _grow(self, n: int, depth: int) -> None:
        if self.checked:
            return
        self.count += n
        if self.count > MAX_EXPANDED_NODES or depth >= MAX_DEPTH:
            raise _Unusual

    def value(self, node: Any, depth: int) -> Any:
        if self.track:
            self._visit(node)
        kind = node.id
        if kind == "scalar":
            return self._scalar(node)
        items = node.value
        if kind == "mapping":
            out: dict[str, Any] = {}
            self._fill(node, out, None, depth)
            return out
        if not items:
            return []
        self._grow(len(items), depth)
        if self.track or not self.plain_ok:
            return [self.value(v, depth + 1) for v in items]
        values = self.values
        out_list: list[Any] = []
        for v in items:  # the common scalars inline: they are most of a document
            if v.id == "scalar":
                tag = v.tag
                if tag == goyaml.STR:
                    out_list.append(v.value)
                    continue
                if tag == goyaml.PLAIN:
                    found = values.get(v.value, _NOT_YET)
                    if found is not _NOT_YET:
                        out_list.append(found)
                        continue
            out_list.append(self.value(v, depth + 1))
        return out_list

    def _non_specific(self, node: Any) -> bool:
        """Whether a scalar tagged PLAIN was written with the non-specific tag `!` (libyaml
        reports `! text` as plain and implicit; go-yaml keeps the `!` and reads a string)."""
        if self.plain_ok:
            return False
        if node.style:
            return True  # a quoted or block scalar comes here only with `!`
        text = self.text
        at = node.start_mark.index
        if text.startswith("&", at):  # an anchor first: `&name ! text`
            while at < len(text) and not text[at].isspace():
                at += 1
            while at < len(text) and text[at] in " \t":
                at += 1
        return text.startswith("!", at)

    def _scalar(self, node: Any) -> Any:
        tag = node.tag
        text = node.value
        if tag == goyaml.STR:
            return text
        if tag == goyaml.PLAIN:
            found = self.values.get(text, _NOT_YET)
            if found is not _NOT_YET:
                return found if type(found) is str or not self._non_specific(node) else text
        try:
            if tag == goyaml.BINARY:
                return goyaml.decode_binary(text)
            rtag, value = goyaml.resolve(tag, text)
            if rtag == goyaml.TIMESTAMP or rtag == goyaml.MERGE:
                value = text
            value = goyaml.json_value(rtag, value)
        except goyaml.GoYAMLError as e:
            if tag == goyaml.PLAIN and self._non_specific(node):
                return text
            raise _Refused(str(e), node) from None
        if tag == goyaml.PLAIN:
            self.values[text] = value
            if type(value) is not str and self._non_specific(node):
                return text
        return value

    def _key(self, node: Any) -> tuple[str, tuple[str, Any] | None]:
        if node.id != "scalar":
            what = "mapping" if node.id == "mapping" else "list"
            raise _Refused(f"invalid map key: a {what}", node)
        tag = node.tag
        text = node.value
        if tag == goyaml.STR:
            return text, None
        if tag == goyaml.PLAIN:
            found = self.keys.get(text)
            if found is not None and (found[1] is None or not self._non_specific(node)):
                return found
            if found is not None or self._non_specific(node):
                return text, None
        try:
            if tag == goyaml.BINARY:
                key: tuple[str, tuple[str, Any] | None] = (goyaml.decode_binary(text), None)
            else:
                rtag, value = goyaml.resolve(tag, text)
                if rtag == goyaml.TIMESTAMP or rtag == goyaml.MERGE:
                    value = text
                key = goyaml.key_text(rtag, value)
        except goyaml.GoYAMLError as e:
            raise _Refused(str(e), node) from None
        if tag == goyaml.PLAIN and (key[1] is None or key[1][0] != "nan"):
            self.keys[text] = key
        return key

    def _fill(
        self, node: Any, out: dict[str, Any], origins: dict[str, Any] | None, depth: int
    ) -> dict[str, Any] | None:
        """Set the pairs of mapping `node` into `out` in order, as go-yaml decodes a mapping
        into a map: a merge (`<<`) sets the merged pairs there, over what is already set.
        `origins`: what the keys that were not strings were (None while there are none)."""
        items = node.value
        if items:
            self._grow(2 * len(items), depth)
        track = self.track
        inline = not track and self.plain_ok
        keys = self.keys
        values = self.values
        for k, v in items:
            if track:
                self._visit(k)
            # the common keys and scalar values inline: they are most of a document
            ktag = k.tag
            found_key = keys.get(k.value) if inline and ktag == goyaml.PLAIN else None
            if found_key is not None:
                name, origin = found_key
            elif ktag == goyaml.STR and k.id == "scalar":
                name, origin = k.value, None
            elif k.id == "scalar" and k.value == "<<" and ktag in (goyaml.PLAIN, goyaml.MERGE):
                origins = self._merge(v, out, origins, depth)
                continue
            else:
                name, origin = self._key(k)
            if inline and v.id == "scalar":
                vtag = v.tag
                if vtag == goyaml.STR:
                    value = v.value
                elif vtag == goyaml.PLAIN:
                    value = values.get(v.value, _NOT_YET)
                    if value is _NOT_YET:
                        value = self._scalar(v)
                else:
                    value = self._scalar(v)
            else:
                value = self.value(v, depth + 1)
            if origin is not None or origins is not None:
                if origins is None:
                    origins = {}
                before = origins.get(name)
                if before is None and name in out:
                    before = ("str", name)
                now = origin if origin is not None else ("str", name)
                if before is not None and before != now:
                    raise _Refused(
                        f"two keys of one mapping both become {name!r} in JSON "
                        "(kubectl's result then depends on Go's map order)",
                        k,
                    )
                origins[name] = now
            out[name] = value
        return origins

    def _merge(
        self, node: Any, out: dict[str, Any], origins: dict[str, Any] | None, depth: int
    ) -> dict[str, Any] | None:
        if self.track:
            self._visit(node)
        if node.id == "mapping":
            return self._fill(node, out, origins, depth)
        if node.id == "sequence" and all(n.id == "mapping" for n in node.value):
            for n in reversed(node.value):  # earlier maps take precedence: set them last
                if self.track:
                    self._visit(n)
                origins = self._fill(n, out, origins, depth)
            return origins
        raise _Refused("map merge requires map or sequence of maps as the value", node)


def first_node(text: str) -> tuple[Any, str, list[int]]:
    """The first document's node of a piece's `text` (None when it holds none), composed by
    libyaml as go-yaml reads it (`quoted`), with what `quoted.column_in` needs to give a
    column in `text`: the text composed and where a `\\x27` was written for a `\\'`.
    Raises yaml.YAMLError for text kubectl refuses."""
    import yaml

    written: list[int] = []
    for _ in range(quoted.MAX_QUOTE_REWRITES + 1):
        loader = yaml_loader()(text)
        try:
            return _first_node(loader), text, written
        except yaml.MarkedYAMLError as e:
            again = quoted.with_quote_escapes_rewritten(text, e)
            if again is None:
                raise
            text = again[0]
            written.extend(again[1])
        finally:
            loader.dispose()
    raise yaml.YAMLError(f"more than {quoted.MAX_QUOTE_REWRITES} strings hold the escape \\'")


def _first_node(loader: Any) -> Any:
    """The first document's node of a piece (None when it holds none)."""
    if not loader.check_node():
        return None
    return loader.get_node()


def yaml_documents(
    text: str, file: str, first_index: int = 0, first_line: int = 1, *, fast: bool = True
) -> Iterator[tuple[int, int, Any, list[int]]]:
    """(index, line, value, lines of `items[*]`) for each YAML document of `text`, cut and
    read as kubectl does. An index counts every piece, also those that hold nothing. `fast`:
    pieces go through `fastyaml` first, which hands back those it cannot read identically."""
    memo = Values()
    cut: list[Piece] = []
    bad_separator: SeparatorError | None = None
    try:
        cut.extend(pieces(text, first_line))
    except SeparatorError as e:  # raised after the pieces before it (as kubectl reads them)
        bad_separator = e
    quick: list[fastyaml.Read | None] = [None] * len(cut)
    if fast and fastyaml.available():
        reader = fastyaml.Reader()
        try:
            quick = reader.read_all(cut, text)
        finally:
            reader.close()
    for index, (piece, found) in enumerate(zip(cut, quick, strict=True), first_index):
        if found is not None:
            yield index, *found
        else:
            slow = _read_piece(piece, file, index, memo)
            if slow is not None:
                yield slow
    if bad_separator is not None:
        raise LoadError(
            str(bad_separator), file=file, document=first_index + len(cut), line=bad_separator.line
        ) from bad_separator


def _read_piece(
    piece: Piece, file: str, index: int, memo: Values
) -> tuple[int, int, Any, list[int]] | None:
    """One piece's first document, read by libyaml as go-yaml reads it (`quoted`: a
    double-quoted scalar's `\\'` is read again as `\\x27`, at most MAX_QUOTE_REWRITES times)."""
    text = piece.text
    for _ in range(quoted.MAX_QUOTE_REWRITES + 1):
        try:
            return _read_text(text, piece.line, file, index, memo)
        except _QuoteEscape as again:
            text = again.rewritten[0]
    raise LoadError(
        f"more than {quoted.MAX_QUOTE_REWRITES} double-quoted strings hold the escape \\' "
        "(which kubectl reads as a quote and libyaml refuses): write them single-quoted "
        "(a quote as '') or with \\x27",
        file=file,
        document=index,
        line=piece.line,
    )


class _QuoteEscape(Exception):
    """libyaml refused a piece at a `\\'` escape: read it `rewritten` instead."""

    def __init__(self, rewritten: tuple[str, list[int]]) -> None:
        super().__init__("read again")
        self.rewritten = rewritten


def _read_text(
    text: str, base: int, file: str, index: int, memo: Values
) -> tuple[int, int, Any, list[int]] | None:
    import yaml

    loader = yaml_loader()(text)
    try:
        node = _first_node(loader)
        if node is None:
            return None
        line = base + node.start_mark.line
        try:
            data = _Builder(memo, checked=False, text=text).value(node, 1)
        except _Unusual:
            check_node(node, file, index, base)
            data = _Builder(memo, checked=True, text=text).value(node, 1)
        if _has_more(loader):
            raise LoadError(
                "more than one YAML document between two `---` lines (after `...`): kubectl "
                "reads only the first; start each document with a `---` line",
                file=file,
                document=index,
                line=line,
            )
        slash = quoted.slash_escape_line(text, yaml_loader())
        if slash is not None:
            raise LoadError(
                f"invalid YAML: while parsing a quoted scalar {quoted.UNKNOWN_ESCAPE} "
                "(go-yaml, which kubectl uses, has no escape \\/: write / alone)",
                file=file,
                document=index,
                line=base + slash,
            )
        item_lines: list[int] = []
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == "items":  # the last `items` is the one read, list or not
                    item_lines = (
                        [base + n.start_mark.line for n in v.value]
                        if isinstance(v, yaml.SequenceNode)
                        else []
                    )
        return index, line, data, item_lines
    except _Refused as e:
        raise LoadError(
            f"kubectl refuses this YAML: {e}",
            file=file,
            document=index,
            line=base + e.node.start_mark.line,
        ) from e
    except yaml.MarkedYAMLError as e:
        again = quoted.with_quote_escapes_rewritten(text, e)
        if again is not None:
            raise _QuoteEscape(again) from e
        mark = e.problem_mark or e.context_mark
        at = base + mark.line if mark is not None else None
        what = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise LoadError(f"invalid YAML: {what}", file=file, document=index, line=at) from e
    except yaml.reader.ReaderError as e:  # its text spans two lines and names an offset
        raise LoadError(
            f"invalid YAML: {_reader_problem(e)}",
            file=file,
            document=index,
            line=base + _newlines_before(text, e.position),
        ) from e
    except yaml.YAMLError as e:
        raise LoadError(f"invalid YAML: {e}", file=file, document=index) from e
    except RecursionError as e:
        raise LoadError("document nests too deep", file=file, document=index) from e
    finally:
        loader.dispose()


def _reader_problem(e: Any) -> str:
    """A yaml.reader.ReaderError's problem, on one line: `unacceptable character #x0000:
    control characters are not allowed`."""
    if isinstance(e.character, bytes):
        return f"'{e.encoding}' codec can't decode byte #x{e.character[0]:02x}: {e.reason}"
    return f"unacceptable character #x{e.character:04x}: {e.reason}"


def _newlines_before(text: str, position: int) -> int:
    """The newlines of `text` before a reader error's `position`: an offset in the UTF-8 bytes
    with libyaml's loader, in the characters with PyYAML's own."""
    import yaml

    if issubclass(yaml_loader(), getattr(yaml, "CSafeLoader", ())):
        return text.encode("utf-8", "surrogatepass")[:position].count(b"\n")
    return text.count("\n", 0, position)


def _has_more(loader: Any) -> bool:
    """Whether a piece goes on with another document (which kubectl would not read)."""
    import yaml

    try:
        return bool(loader.check_node())
    except yaml.YAMLError:
        return True
