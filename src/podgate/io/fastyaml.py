"""The fast path for YAML documents: rapidyaml (the C++ ryml library) parses a `---` piece and
writes it out as JSON, orjson reads that JSON; what is built is exactly what the libyaml path
(`yamldoc`, valued by `goyaml`) would have made of the piece, or the piece goes that way.

The strings of the JSON (all of them, also those in a value a later duplicate key replaces)
and the text of the piece prove it, and the piece goes back to the libyaml path (`read`
returns None) whenever they cannot:

- ryml writes a plain scalar bare only in a few forms (`true`, `false`, `null`, and decimal
  numbers), and every other plain scalar as a JSON string, so a JSON string is ambiguous when
  go-yaml would read the same text, written plain, as something other than that string (`yes`,
  `~`, `0x1F`, `017`, `1_000`, `.inf`): such a piece goes the slow way, unless ryml always
  writes that text bare when it is plain (`"8080"`, `"true"`: then it was quoted);
- a bare number is valued as go-yaml values it (a whole float is an int, an int past int64 a
  float); one JSON cannot hold (`1e999`) makes orjson fail, and the piece goes the slow way;
- keys: only keys that read as the same string whether plain or quoted (so `80:`, `yes:`,
  `<<:` and `~:` go the slow way, which tracks what a key was before it became a string);
- the text itself: anything ryml and libyaml might read differently, or that only the libyaml
  path handles (anchors, aliases, tags, `?` keys, directives, `...`, merge keys, tabs, CR,
  control characters, Unicode line breaks, a BOM), sends the piece the slow way before ryml
  sees it; so does nesting near the depth limit, and anything ryml refuses (libyaml then gives
  the error it gives today). With no aliases a piece's nodes are bounded by its text: no bomb.

The proofs run once over a whole file (its text, and its pieces' JSON joined in one list), and
each of them is one a part passes when the whole passes (it looks for something within a line,
or after a line break); only when one fails there is each piece proved on its own, as if alone.

Lines: a piece's object starts on its first line that holds more than blanks or a comment; the
items of a top-level `items:` block sequence are found by their `-` lines, each checked against
the item's first key, or the piece goes the slow way.

ryml prints its parse errors on file descriptor 2 itself; while it runs (one thread at a time),
descriptor 2 is a temporary file, and what others wrote there meanwhile is passed on."""

from __future__ import annotations

import importlib
import math
import os
import re
import threading
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any, BinaryIO, Protocol, cast

import orjson

from podgate.io import goyaml, quoted
from podgate.io.stream import Piece

SAFE_DEPTH = 190  # below yamldoc.MAX_DEPTH with room: the slow path words the refusal


class _Ryml(Protocol):
    """The part of the `ryml` module (no type stubs ship with it) used here."""

    def Tree(self) -> _Tree: ...

    # parses a copy of `buf` into `tree` (what `parse_in_arena` does, without its wrapper)
    def parse_csubstr(self, buf: bytes, tree: _Tree) -> None: ...

    # writes JSON into `buf`; (True, size needed) when it is too small (`emit_json` itself
    # never frees the buffer it returns: 5 MB lost per MB of YAML)
    def emit_json_to_substr(self, tree: _Tree, node: int, buf: bytearray) -> tuple[bool, int]: ...


class _Tree(Protocol):
    def root_id(self) -> int: ...

    def clear(self) -> None: ...

    def clear_arena(self) -> None: ...


def _load_ryml() -> _Ryml | None:
    try:
        module: ModuleType = importlib.import_module("ryml")
    except ImportError:  # no wheel for this platform: everything goes the libyaml way
        return None
    return cast(_Ryml, module)


_RYML = _load_ryml()


def available() -> bool:
    return _RYML is not None


# Anything below sends the piece to the libyaml path before ryml parses it. First: every
# character libyaml's reader or scanner treats specially or refuses, and every one the two
# might read differently (tab, CR, C0/C1 controls, DEL, NEL, LS, PS, BOM, surrogates, U+FFFE/F).
_ASCII_OK = b"\n" + bytes(range(0x20, 0x7F))  # and every byte of a multi-byte character
_ODD_CHAR = re.compile(  # (a small class: the complement takes 30 ms to compile)
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
# anchors, aliases, tags, explicit keys, and the reserved `@` and backquote (libyaml refuses a
# token that starts with them, ryml reads a string) where a token starts (also inside quotes:
# such a string costs a slow read, never a wrong one)
_TOKEN_MARKS = "&*!?@`%"
_BEFORE_TOKEN = frozenset(" \n[]{},")


def _at_token_start(text: str, mark: str) -> bool:
    at = text.find(mark)
    while at >= 0:
        if (at == 0 or text[at - 1] in _BEFORE_TOKEN) and not _quoted_on_its_line(text, at):
            return True
        at = text.find(mark, at + 1)
    return False


def _quoted_on_its_line(text: str, at: int) -> bool:
    """Whether `text[at]` is inside a quoted scalar that is the whole value on its line
    (`schedule: '*/15 * * * *'`): it opens first on the line or after `: ` or `- ` (elsewhere a
    quote may be a plain scalar's own character, as in `it's`), and only blanks or a comment
    follow it."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    line = text[start : end if end >= 0 else len(text)]
    pos = at - start
    for found in _QUOTED.finditer(line):
        if found.start() >= pos:
            return False
        if pos < found.end() - 1:
            before = line[: found.start()]
            head = before.rstrip(" ")
            after = line[found.end() :]
            ends = not after.strip(" ") or (after[0] == " " and after.lstrip(" ").startswith("#"))
            return ends and (not head or (len(head) < len(before) and head[-1] in ":-"))
    return False


# no comment after the header: ryml reads a `-` or `+` that ends the comment as a chomping
# indicator (`| #c-` lost the final line break libyaml and go-yaml keep)
_BLOCK_HEADER = re.compile(r"[|>][-+]? *(?:\n|$)")


def _odd_block_header(text: str, mark: str) -> bool:
    """Whether `mark` (`|` or `>`) starts a token anywhere but as a block scalar's header with
    at most a chomping indicator (ryml reads some headers libyaml refuses; indentation
    indicators and headers with a comment are left to libyaml)."""
    at = text.find(mark)
    while at >= 0:
        if (at == 0 or text[at - 1] in _BEFORE_TOKEN) and _BLOCK_HEADER.match(text, at) is None:
            return True
        at = text.find(mark, at + 1)
    return False


_KEY_END = {q: re.compile(q + r"(?= *:(?: |\n|$))", re.MULTILINE) for q in "'\""}


def _multi_line_quoted_key(text: str) -> bool:
    """Whether a quoted scalar that started on an earlier line ends in `:` (libyaml refuses
    such a key, ryml reads it): the quotes before it on its last line are then even in number
    (a single-quoted scalar holds only doubled ones; a double-quoted one with a backslash on
    that line is taken as such too)."""
    for quote, pattern in _KEY_END.items():
        if quote not in text:
            continue
        for found in pattern.finditer(text):
            at = found.start()
            line = text[text.rfind("\n", 0, at) + 1 : at]
            if line.count(quote) % 2 == 0 or (quote == '"' and "\\" in line):
                return True
    return False


_BEFORE_QUOTE = frozenset(" [{,:")  # where a quoted scalar may open (as `_QUOTED` has it)


def _quote_left_then_more(text: str) -> bool:
    """Whether a quote is left on a line once the quoted scalars that open and close on it are
    dropped (the end or the start of a quoted scalar spanning lines, or a plain scalar's own
    character, as in `it's`) and more than blanks follows it there, when it cannot open a
    scalar (first on its line, or after anything but ` [{,:`) or a blank follows it: libyaml
    refuses some such lines that ryml reads (`k:\n- 'a\n\n b'  k: v` read as `{"k": "v"}`,
    the list lost), and whether such a quote ends a scalar cannot be told from its line
    alone, so they go the libyaml way."""
    if "'" not in text and '"' not in text:
        return False
    for line in set(text.split("\n")):  # (a file's lines repeat: each is looked at once)
        if "'" not in line and '"' not in line:
            continue
        rest = _QUOTED.sub("", line)
        for quote in "'\"":
            at = rest.find(quote)
            while at >= 0:
                opens = at > 0 and rest[at - 1] in _BEFORE_QUOTE and rest[:at].strip(" ")
                if rest[at + 1 :].strip(" ") and (not opens or rest[at + 1] == " "):
                    return True
                at = rest.find(quote, at + 1)
    return False


def _lone_closer(text: str, mark: str) -> bool:
    """Whether `]` or `}` starts a block value, a list item or a line (ryml reads a string
    there, libyaml refuses it)."""
    at = text.find(mark)
    while at >= 0:
        before = at - 1
        while before >= 0 and text[before] == " ":
            before -= 1
        if before < 0 or text[before] in ":-\n":
            return True
        at = text.find(mark, at + 1)
    return False


# a quoted scalar that opens where a token may start (not a plain scalar's own `'`, as in
# `it's`) and closes on the same line
_QUOTED = re.compile(r"(?<![^ \[{,:])(?:'(?:[^'\n]|'')*'|\"(?:[^\"\\\n]|\\.)*\")")
_OPENS = {"[": 1, "{": 1, "]": -1, "}": -1}
_CLOSER = {"[": "]", "{": "}"}


def _multi_line_flow(text: str) -> bool:
    """Whether a flow collection may span lines: a `[` or `{` where a token starts that is not
    closed on its line (before any quote or `#` left once the quoted strings on the line are
    dropped). ryml writes such a collection as it writes a block one, so `_block_shape` cannot
    see it, and ryml reads flow content libyaml refuses (`[x,\n :y]`)."""
    for mark in "[{":
        at = text.find(mark)
        while at >= 0:
            # (an empty collection, `{}`, is closed on its line: the common case, at once)
            if (at == 0 or text[at - 1] in _BEFORE_TOKEN) and not text.startswith(
                _CLOSER[mark], at + 1
            ):
                end = text.find("\n", at)
                rest = _QUOTED.sub("", text[at : end if end >= 0 else len(text)])
                depth = 0
                for char in rest:
                    step = _OPENS.get(char)
                    if step is not None:
                        depth += step
                        if depth == 0:
                            break
                    elif char in "'\"#":
                        return True
                else:
                    return True
            at = text.find(mark, at + 1)
    return False


def _long_key(text: str) -> bool:
    """Whether a line longer than MAX_KEY may hold a key that long (libyaml and go-yaml refuse
    a simple key past 1,024 characters; ryml reads it): its first `: ` comes after MAX_KEY
    characters, or its first token is a quoted or flow one (the `: ` found may be inside it).
    Long lines are found by jumping up to MAX_KEY characters at a time."""
    at = 0
    size = len(text)
    while at + MAX_KEY < size:
        newline = text.rfind("\n", at, at + MAX_KEY + 1)
        if newline >= 0:
            at = newline + 1
            continue
        end = text.find("\n", at)
        line = text[at : end if end >= 0 else size]
        head = line.lstrip(" -")
        if head[:1] in "'\"?[{" or line.find(": ", 0, MAX_KEY) < 0:
            return True
        if end < 0:
            break
        at = end + 1
    return False


def _plain_text(text: str, data: bytes) -> bool:
    """Whether nothing in `text` (`data` encoded) needs the libyaml path (see the module's
    doc)."""
    # what is left: control characters and whole multi-byte characters
    odd = data.translate(None, _ASCII_OK)
    if odd and (odd.isascii() or _ODD_CHAR.search(odd.decode()) is not None):
        return False
    if "<" in text and "<<" in text:  # merge keys (a lone character is found at C speed)
        return False
    if "\\" in text and (quoted.QUOTE_ESCAPE in text or quoted.SLASH_ESCAPE in text):
        return False  # escapes go-yaml and libyaml read apart, settled on the libyaml path
    if any(_at_token_start(text, mark) for mark in _TOKEN_MARKS):
        return False
    if _lone_closer(text, "]") or _lone_closer(text, "}"):
        return False
    if _odd_block_header(text, "|") or _odd_block_header(text, ">"):
        return False
    if _multi_line_quoted_key(text):
        return False
    if _quote_left_then_more(text):
        return False
    if _multi_line_flow(text):
        return False
    if _long_key(text):
        return False
    # directives, document end markers
    if "%" in text and (text.startswith("%") or "\n%" in text):
        return False
    return not (text.startswith("...") or "\n..." in text)


_CONTENT = re.compile(r"^ *[^ \n#]", re.MULTILINE)
# ryml writes these plain scalars bare (tests/io/test_fastyaml.py holds ryml to it): a JSON
# string of this form was quoted in the YAML
_RYML_BARE = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|-?[1-9][0-9]*(?:\.[0-9]+)?[eE][-+]?[0-9]+"
)
_RYML_BARE_WORDS = frozenset(("true", "false", "null"))
_ITEMS_LINE = re.compile(r"^items:[ ]*(?:#.*)?$", re.MULTILINE)
_STR_TAGS = frozenset((goyaml.STR, goyaml.TIMESTAMP))
MAX_KEY = 1000  # libyaml's implicit keys end at 1,024 characters; longer ones go the slow way


class _Slow(Exception):
    """This piece cannot be shown identical here: read it the libyaml way."""


_FD2 = threading.Lock()  # held while descriptor 2 is not itself
_RYML_ERROR = re.compile(
    rb"(?m)^(?:line=\d+ col=\d+ [^\n]*|[^\n ]*\.hpp:\d+:) ERROR: [^\n]*\n"
    rb"(?:[^\n]*\(detected here\)\n)?"
)


def _scratch_file() -> BinaryIO:
    """An anonymous file (in memory where the system has `memfd_create`: tempfile and what it
    imports cost start-up time)."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None:
        try:
            return open(memfd("podgate-ryml-stderr", os.MFD_CLOEXEC), "w+b")
        except OSError:
            pass
    import tempfile

    scratch: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _Stderr.close()
    return scratch


class _Stderr:
    """File descriptor 2 redirected to a temporary file while ryml runs."""

    def __init__(self) -> None:
        with _FD2:
            self.saved = os.dup(2)
        self.capture = _scratch_file()
        self.failed = False

    def close(self) -> None:
        os.close(self.saved)
        self.capture.close()

    def quiet(self) -> _Stderr:
        """`with stderr.quiet() as capture:` descriptor 2 is the capture inside (one thread at
        a time); `capture.failed = True` when ryml raised an error that was caught inside."""
        return self

    def __enter__(self) -> _Stderr:
        _FD2.acquire()
        self.failed = False
        try:
            os.dup2(self.capture.fileno(), 2)
        except BaseException:
            _FD2.release()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            os.dup2(self.saved, 2)
            self._pass_on(drop_ryml=kind is not None or self.failed)
        finally:
            _FD2.release()

    def _pass_on(self, drop_ryml: bool) -> None:
        fd = self.capture.fileno()
        if os.fstat(fd).st_size == 0:
            return
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        text = b"".join(chunks)
        if drop_ryml:  # ryml's own lines about the error it raised (parsing or emitting)
            text = _RYML_ERROR.sub(b"", text)
        if text:
            os.write(self.saved, text)


INT64_MAX = goyaml.INT64_MAX
# every text go-yaml may read as other than a string when plain, and more (what ryml writes
# for the spellings of infinity and NaN among them): go-yaml's table words, and its numbers in
# every base with `_` anywhere, an exponent, or go-yaml's `0b-1`
_MAYBE_NOT_STRING = re.compile(
    rb"[-+]?[0-9_.][0-9a-fA-FxXoO_.]*(?:[eE][-+]?[0-9_]*)?|[-+]?0[bB][-+][01_]+"
    rb"|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)|[yYnN~]|yes|Yes|YES|no|No|NO|true|True|TRUE"
    rb"|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|<<|"
)
# In ryml's JSON: each string whose whole text is one of those (the empty string too), and a
# `:` after it when it is a key; every other JSON string is itself, plain or quoted. One pass at
# C speed: the literal first byte is searched, the lookahead (the first bytes the forms above
# start with) drops almost every other string at once. A match never starts at a closing quote
# (one is followed by `:`, `,`, `]`, `}` or a line break, none of which the forms start with);
# one that starts at an escaped quote inside a string is a harmless extra check; so every
# string without an escaped quote whose text is one of those forms is found whole.
_SUSPECT = re.compile(rb'"(?=[-+0-9_.yYnNtTfFoO~<"])(' + _MAYBE_NOT_STRING.pattern + rb')"(:?)')
_MEMO_SIZE = 8192  # verdicts kept: enough for the words and numbers that recur
# what is known of a JSON string `_SUSPECT` finds: (None if it is the value the libyaml path
# gives its scalar whether plain or quoted, else the value, which it is only if it was quoted;
# whether it is that key whether plain or quoted)
_VERDICTS: dict[bytes, tuple[str | None, bool]] = {}


def _verdict(found: bytes) -> tuple[str | None, bool]:
    verdict = _VERDICTS.get(found)
    if verdict is None:
        value = found.decode()
        itself = _key_means_itself(value)  # (go-yaml's reading asked once for both)
        verdict = (None if itself or _means_itself(value, False) else value, itself)
        if len(_VERDICTS) < _MEMO_SIZE:
            _VERDICTS[found] = verdict
    return verdict


def _strings_ok(raw: bytes, text: str) -> bool:
    """Whether every string in ryml's JSON `raw` of `text` (also in values a later duplicate
    key replaced, which orjson drops but the libyaml path still checks) is what the libyaml
    path reads: a key, the same string whether plain or quoted; a value, that too, or quoted
    in `text`. (Several pieces' JSON and their file's text: true only if true of each.)"""
    for found, colon in set(_SUSPECT.findall(raw)):
        if found.isdigit() and (len(found) == 1 or found[0] != 0x30):
            # a decimal int (the resourceVersions): ryml writes it bare when plain, so a string
            # was quoted; a key is an int to go-yaml (not memoised: each is new)
            if colon:
                return False
            continue
        string, key_ok = _verdict(found)
        if colon:
            if not key_ok:
                return False
        elif string is not None and _maybe_plain(string, text):
            return False
    return True


# ryml writes a block collection (and a flow one that spans lines) over several lines, one
# entry per line, each nesting level 2 spaces deeper; a flow collection written on one line
# with content is an opening bracket followed by anything but a line break or its closer
_FLOW_LIST = re.compile(rb"\[[^\n\]]")  # (a literal first byte: searched at C speed)
_FLOW_MAP = re.compile(rb"\{[^\n}]")
_ESCAPED = re.compile(rb"\\.", re.DOTALL)
_DEEP = b"\n" + b" " * (2 * (SAFE_DEPTH - 1))
# a bare number that is a float, or an int of 19 digits or more: after a key, or alone on its
# line (an item of a list)
_SETTLE_AFTER_KEY = re.compile(rb'": -?(?:[0-9]{19}|[0-9]++[.eE])')
_SETTLE_ITEM = re.compile(rb"\n ++-?(?:[0-9]{19}|[0-9]++[.eE])")
# in the YAML: a block sequence's entry that may be a number (on the dash's line, or on a later
# one); without one no list item in ryml's JSON is a bare number (flow collections with content
# go the libyaml way)
_NUMBER_ENTRY = re.compile(r"-(?: ++[-+.0-9#]| *+(?:\n|$))")


def _number_entry(text: str) -> bool:
    """Whether `text` holds a `_NUMBER_ENTRY` whose dash starts a line or follows a blank (as
    an entry's dash does: not the last of a `---` line in a file's text)."""
    for found in _NUMBER_ENTRY.finditer(text):
        at = found.start()
        if at == 0 or text[at - 1] in " \n":
            return True
    return False


def _block_shape(raw: bytes) -> bool:
    """Whether ryml's JSON holds no flow collection with content written on one line (ryml
    reads some flow content libyaml refuses, such as `[:x]`; flow collections that span lines
    are caught in the text, by `_multi_line_flow`) and nests no deeper than SAFE_DEPTH (ryml's
    emitter itself stops at 64 levels). A bracket inside a string is none: strings never span
    lines, so the quotes before it on its line are odd in number once escapes are dropped."""
    if _DEEP in raw:
        return False
    for pattern in (_FLOW_LIST, _FLOW_MAP):
        for found in pattern.finditer(raw):
            at = found.start()
            before = raw[raw.rfind(b"\n", 0, at) + 1 : at]
            if b"\\" in before:
                before = _ESCAPED.sub(b"", before)
            if before.count(b'"') % 2 == 0:
                return False
    return True


def _numbers_to_settle(raw: bytes, text: str) -> bool:
    """Whether ryml's JSON (of block collections only: `_block_shape`) may hold a bare float,
    or an int past int64 (19 digits or more), which the libyaml path values otherwise than
    orjson reads them: after a key, or as an item alone on its line (or such text in a
    string: the walk then finds nothing to settle)."""
    if _SETTLE_AFTER_KEY.search(raw) is not None:
        return True
    return _number_entry(text) and _SETTLE_ITEM.search(raw) is not None


def _distinct_lines(raw: bytes) -> bytes:
    """The distinct lines of ryml's JSON `raw`, each after a line break (and one at the end).
    `_strings_ok`, `_block_shape` and `_numbers_in_lines` each look for something within a
    line, or a line's start (ryml writes a line break in a string as `\\n`, so no string spans
    two lines): what they find in `raw` they find there too, and only that. A file's pieces
    repeat most of their lines (the 1,000-pod directory: 515k lines, 19k distinct), so the
    proofs read a fraction of the JSON, at the cost of one split."""
    return b"\n" + b"\n".join(set(raw.split(b"\n"))) + b"\n"


def _distinct_text_lines(text: str) -> str:
    """The distinct lines of a YAML text, each between line breaks. The text proofs
    (`_plain_text`, and `_maybe_plain` for a value without a line break) each look for
    something within a line, a line's start or its end (where the text's own start and end
    count as a line's): what they find in the text they find there too, and only that. A
    file's documents repeat most of their lines, so the proofs read a fraction of the text."""
    return "\n" + "\n".join(set(text.split("\n"))) + "\n"


def _numbers_in_lines(lines: bytes) -> bool:
    """`_numbers_to_settle` of the JSON whose distinct lines are `lines` (`_distinct_lines`),
    without the look in the text: may it hold a bare float, or an int past int64, after a key
    or as an item alone on its line."""
    return _SETTLE_AFTER_KEY.search(lines) is not None or _SETTLE_ITEM.search(lines) is not None


def _number(value: Any) -> Any:
    """A bare JSON number as the libyaml path values the same plain scalar: a whole float is
    an int, an int past int64 a float (orjson refuses what is out of float's range)."""
    if type(value) is int:
        return float(value) if value > INT64_MAX else value
    if math.isinf(value) or math.isnan(value):
        raise _Slow
    return goyaml.json_value(goyaml.FLOAT, value)


def _settle(node: Any) -> None:
    """Every bare number in a decoded dict or list (and below it), as `_number` values it."""
    for k, v in node.items() if type(node) is dict else enumerate(node):
        kind = type(v)
        if kind is float or kind is int:
            node[k] = _number(v)
        elif kind is dict or kind is list:
            _settle(v)


_SLOW: Any = object()  # a piece's value not proved identical to the libyaml path's


class _Values(list[Any]):
    """The values of several pieces' JSON; `settle`: whether any may hold a number that the
    libyaml path values otherwise than orjson reads it."""

    __slots__ = ("settle",)

    def __init__(self, values: Iterable[Any] = ()) -> None:
        super().__init__(values)
        self.settle = False


Read = tuple[int, Any, list[int]]
"""What the fast path makes of a piece: (line, value, lines of `items[*]`)."""


class Reader:
    """Reads the pieces of one file (or several) the fast way. `close()` when done."""

    __slots__ = ("buffer", "stderr", "tree")

    def __init__(self) -> None:
        self.stderr: _Stderr | None = None
        self.buffer = bytearray(1 << 16)
        self.tree: _Tree | None = None

    def _json(self, ryml: _Ryml, data: bytes) -> bytes:
        """`data` parsed and written as JSON by ryml, into this reader's buffer (grown as
        needed). One tree serves every piece, emptied before each (nodes and arena), so that
        its memory is not allocated, grown and cleared again for each."""
        tree = self.tree
        if tree is None:
            tree = self.tree = ryml.Tree()
        else:
            tree.clear()
            tree.clear_arena()
        ryml.parse_csubstr(data, tree)
        root = tree.root_id()
        failed, size = ryml.emit_json_to_substr(tree, root, self.buffer)
        if failed:
            self.buffer = bytearray(size + (size >> 2))
            failed, size = ryml.emit_json_to_substr(tree, root, self.buffer)
            if failed:
                raise _Slow
        return bytes(memoryview(self.buffer)[:size])

    def close(self) -> None:
        self.tree = None
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None

    def read(self, piece: Piece) -> Read | None:
        """(line, value, lines of `items[*]`) of a piece, or None when the libyaml path must
        read it (it then gives the same answer, or the error)."""
        return self.read_all([piece], piece.text)[0]

    def read_all(self, cut: Sequence[Piece], text: str) -> list[Read | None]:
        """`read` of each of `cut`, the pieces of `text` (each a part of it, but for a line
        break added at the end). The proofs run once over the whole text and all the pieces'
        JSON; only where that fails (something in some piece is not plain) is each piece
        proved on its own. Each proof is one that a part of a text passes when the whole text
        passes it: it looks for something in a line, or after a line break."""
        out: list[Read | None] = [None] * len(cut)
        ryml = _RYML
        if ryml is None or not cut:
            return out
        raws: list[bytes] = []
        read: list[int] = []  # the index in `cut` of each of `raws`
        starts: list[int] = []  # where each piece's content starts
        distinct = _distinct_text_lines(text) if len(cut) > 1 else text
        whole = len(cut) > 1 and _plain_text(distinct, distinct.encode())
        if self.stderr is None:
            self.stderr = _Stderr()
        with self.stderr.quiet() as capture:
            for i, piece in enumerate(cut):
                data = piece.text.encode()
                first = _CONTENT.search(piece.text)
                if first is None or not (whole or _plain_text(piece.text, data)):
                    continue
                try:
                    raw = self._json(ryml, data)
                except Exception:  # noqa: BLE001 - ryml's errors (SWIG classes), or any
                    capture.failed = True  # other: the libyaml path gives today's answer
                    continue
                raws.append(raw)
                read.append(i)
                starts.append(first.start())
        if not raws:
            return out
        try:
            values = self._values(raws, distinct, [cut[i].text for i in read])
        except Exception:  # noqa: BLE001 - any surprise: the libyaml path reads them all
            return out
        for i, raw, value, start in zip(read, raws, values, starts, strict=True):
            if value is _SLOW or type(value) is not dict:
                continue
            piece = cut[i]
            try:
                if values.settle and _numbers_to_settle(raw, piece.text):
                    _settle(value)
                lines = self._item_lines(piece, value, start)
            except _Slow:
                continue
            except Exception:  # noqa: BLE001 - any surprise: the libyaml path reads it
                continue
            out[i] = (piece.line + piece.text.count("\n", 0, start), value, lines)
        return out

    @staticmethod
    def _values(raws: list[bytes], text: str, texts: list[str]) -> _Values:
        """The values of `raws` (the JSON of `texts`, parts of the text whose distinct lines
        are `text`: `_distinct_text_lines`), `_SLOW` for those not proved identical to the
        libyaml path's; `settle` tells whether any may hold a number to settle. All at once
        when the proofs pass on all together (on the JSON's distinct lines:
        `_distinct_lines`), else one by one."""
        if len(raws) > 1:
            joined = b"[\n" + b",\n".join(raws) + b"\n]"
            lines = _distinct_lines(joined)
            if _strings_ok(lines, text) and _block_shape(lines):
                try:
                    together = _Values(orjson.loads(joined))
                except orjson.JSONDecodeError:
                    pass
                else:
                    if len(together) == len(raws):  # (each JSON is one value)
                        together.settle = _numbers_in_lines(lines)
                        return together
        apart = _Values()
        for raw, piece_text in zip(raws, texts, strict=True):
            value: Any = _SLOW
            if _strings_ok(raw, piece_text) and _block_shape(raw):
                try:
                    value = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    value = _SLOW
            apart.append(value)
        apart.settle = True
        return apart

    def _item_lines(self, piece: Piece, value: dict[str, Any], start: int) -> list[int]:
        """The lines of the items of a top-level `items` list, as the libyaml path gives them."""
        items = value.get("items")
        if not isinstance(items, list) or not items:
            return []
        text = piece.text
        if text[start] == " " or text[start] in "[{":
            raise _Slow  # an indented or flow root: not scanned here
        found = list(_ITEMS_LINE.finditer(text))
        if len(found) != 1:
            raise _Slow
        lines = text[found[0].end() + 1 :].split("\n")
        base = piece.line + text.count("\n", 0, found[0].end()) + 1
        out: list[int] = []
        indent: int | None = None
        waiting = False  # a `-` alone on its line: the item starts on the next content line
        for n, line in enumerate(lines):
            body = line.lstrip(" ")
            if not body or body.startswith("#"):
                continue
            at = len(line) - len(body)
            if waiting:
                if indent is None or at <= indent:
                    raise _Slow
                out.append(base + n)
                waiting = False
                self._check_item(items, len(out) - 1, body)
                continue
            if indent is None:
                if not (body == "-" or body.startswith("- ")):
                    raise _Slow  # `items:` then a flow list or nothing: not scanned here
                indent = at
            if at < indent or (at == indent and not (body == "-" or body.startswith("- "))):
                break  # the next top-level key
            if at > indent:
                continue
            rest = body[1:].lstrip(" ")
            if not rest or rest.startswith("#"):
                waiting = True
                continue
            out.append(base + n)
            self._check_item(items, len(out) - 1, rest)
        if waiting or len(out) != len(items):
            raise _Slow
        return out

    @staticmethod
    def _check_item(items: list[Any], index: int, body: str) -> None:
        """The text an item starts with must be its first key, followed by `:`."""
        if index >= len(items):
            raise _Slow
        item = items[index]
        if type(item) is not dict or not item:
            raise _Slow
        key = next(iter(item))
        if not body.startswith((key + ":", key + " :")):
            raise _Slow


def unproved_value(data: bytes) -> Any | None:
    """What ryml's JSON of the YAML `data` reads as, with none of the proofs above: only for
    podgate's own data files (io/catalog.py), each held by a test to what PyYAML's safe loader
    reads of it; never for input. None without ryml, or when ryml or orjson refuses it."""
    ryml = _RYML
    if ryml is None:
        return None
    reader = Reader()
    try:
        reader.stderr = _Stderr()
        with reader.stderr.quiet() as capture:
            try:
                raw = reader._json(ryml, data)
            except Exception:  # noqa: BLE001 - ryml's errors (SWIG classes): the caller's way
                capture.failed = True
                return None
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    finally:
        reader.close()


def _means_itself(text: str, plain_itself: bool | None = None) -> bool:
    """Whether a JSON string `text` is the value the libyaml path gives its scalar: go-yaml
    reads the same text plain as that string, or ryml would have written it bare had it been
    plain (so it was quoted). `plain_itself`: whether go-yaml reads it plain as that string
    (`_key_means_itself`), when the caller knows it already."""
    if not text:
        return True  # a plain empty scalar is null, which ryml writes as null
    if plain_itself is None:
        plain_itself = _key_means_itself(text)
    if plain_itself:
        return True
    return text in _RYML_BARE_WORDS or _RYML_BARE.fullmatch(text) is not None


_RYML_SPELLS = re.compile(r"[-+]?\.(?:inf|nan)", re.IGNORECASE)
_QUOTES = "'\""


def _maybe_plain(value: str, text: str) -> bool:
    """Whether `value` (a string go-yaml reads otherwise when plain: `True`, `yes`, `0755`)
    may be written plain in `text`. A plain scalar is its own text, and a plain scalar never
    starts or ends with a quote; so if every place `value` occurs in the text is between two
    like quotes, it was quoted wherever it occurs as a whole scalar (a quoted one may also be
    written with escapes, and then does not occur at all)."""
    if _RYML_SPELLS.fullmatch(value) is not None:
        return True  # ryml writes plain `inf`, `-inf`, `infinity`, `nan` as these
    if "\n" in value:
        return True  # the libyaml way (go-yaml reads no such plain scalar but as itself)
    if value and all(value[:k] != value[-k:] for k in range(1, len(value))):
        # no two occurrences overlap, and so none of the quoted ones: when they are as many
        # as all occurrences, each is quoted (counted at C speed: `'True'` in every
        # condition of a large file)
        quoted = text.count(f"'{value}'") + text.count(f'"{value}"')
        if quoted == text.count(value):
            return False
    at = text.find(value)
    while at >= 0:
        end = at + len(value)
        quoted = at > 0 and end < len(text) and text[at - 1] == text[end] and text[end] in _QUOTES
        if not quoted:
            return True
        at = text.find(value, at + 1)
    return False


def _key_means_itself(text: str) -> bool:
    """Whether a key reads as the same string (and was a string) whether plain or quoted."""
    if not text:
        return False  # a plain empty key is null: refused by the slow path
    tag, value = goyaml.resolve(goyaml.PLAIN, text)
    return tag in _STR_TAGS and value == text
