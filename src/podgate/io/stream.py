"""How kubectl cuts a file into documents, before any YAML is parsed.

kubectl (`-f FILE`, `-f -`) reads a file through a byte-order-mark override: a UTF-16 BOM (what
Windows PowerShell 5 writes for `kubectl get -o yaml > f`) switches to UTF-16, a UTF-8 BOM is
dropped, and anything else is read as UTF-8 with each ill-formed sequence replaced by U+FFFD
(kubectl refuses no file for its encoding). Text whose first non-space character is `{` is a
JSON stream (one or more values); anything else is YAML, cut into documents at every line that
starts with `---` (a line that starts with `---` and goes on with anything but spaces or a
comment is an error: "invalid Yaml document separator"). Each piece is then parsed on its own,
and only its first YAML document is read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from podgate.errors import PodgateError
from podgate.k8s.gotext import GO_SPACE

_UTF16_BE = b"\xfe\xff"
_UTF16_LE = b"\xff\xfe"
_UTF8_BOM = b"\xef\xbb\xbf"
# Go's white space, as strings.TrimSpace and kubectl's JSON guess read it
_SPACE = re.compile(f"[{GO_SPACE}]*")
_FIRST_SEPARATOR = re.compile(r"---([^\n]*)")
_SEPARATOR = re.compile(r"\n---([^\n]*)")  # a literal first character: searched at C speed


def decode(raw: bytes) -> str:
    """The text kubectl reads from a file's bytes."""
    if raw.startswith(_UTF16_BE):
        return raw[2:].decode("utf-16-be", "replace")
    if raw.startswith(_UTF16_LE):
        return raw[2:].decode("utf-16-le", "replace")
    if raw.startswith(_UTF8_BOM):
        raw = raw[3:]
    return raw.decode("utf-8", "replace")


def json_start(text: str) -> int | None:
    """Where the JSON stream starts (its `{`), or None when kubectl reads the text as YAML."""
    found = _SPACE.match(text)
    start = found.end() if found is not None else 0
    return start if text.startswith("{", start) else None


class SeparatorError(PodgateError, ValueError):
    """A line that starts with `---` followed by content: kubectl refuses the file there."""

    def __init__(self, rest: str, line: int) -> None:
        self.line = line
        super().__init__(f"invalid Yaml document separator: {rest}")


@dataclass(frozen=True, slots=True)
class Piece:
    """One YAML document as kubectl cuts it: its text and the line it starts on (from 1)."""

    text: str
    line: int


def _separators(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, what follows the `---`) of each line that starts with `---`."""
    first = _FIRST_SEPARATOR.match(text)
    if first is not None:
        yield 0, first.end(), first.group(1)
    for found in _SEPARATOR.finditer(text):
        yield found.start() + 1, found.end(), found.group(1)


def pieces(text: str, first_line: int = 1) -> Iterator[Piece]:
    """The YAML documents of `text`, cut at `---` lines as kubectl's YAMLReader cuts them. A
    piece that is empty (two separators in a row) is not one; one that holds only blank lines
    or comments is (it reads as nothing). Every piece ends with a line break: kubectl's
    LineReader ends each line it hands on with one, the file's last line too (a block scalar
    there keeps it: `|` then `ALL` with no line break after it is "ALL\\n")."""
    start = 0
    line = first_line
    for at, end, rest in _separators(text):
        rest = rest.strip(GO_SPACE)
        sep_line = line + text.count("\n", start, at)
        if rest and not rest.startswith("#"):
            raise SeparatorError(rest, sep_line)
        if at > start:
            yield Piece(text[start:at], line)
        start = end + 1  # past the separator's newline
        line = sep_line + 1
    if start < len(text):
        last = text[start:] if start else text
        yield Piece(last if last.endswith("\n") else last + "\n", line)


_STRUCTURE = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STRING = re.compile(rb'"[^"]*"')
_ESCAPE = re.compile(rb"\\.", re.DOTALL)


_CHUNK = 1 << 23


def _chunks(text: bytes) -> Iterator[bytes]:
    """`text` in pieces of about 8 MiB (a large file is never copied whole), each ending where
    no escape (a backslash and what it escapes) is cut in two: not after a backslash."""
    start = 0
    while len(text) - start > _CHUNK:
        end = start + _CHUNK
        while end > start and text[end - 1] == 0x5C:  # a backslash
            end -= 1
        if end == start:  # backslashes only: the rest in one piece
            break
        yield text[start:end]
        start = end
    yield text[start:] if start else text


def _brackets(text: bytes) -> bytes:
    """The quotes and brackets of `text` (braces as brackets), escapes dropped."""
    if b"\\" in text:  # escapes occur only in strings: drop each, and what it escapes
        text = _ESCAPE.sub(b"", text)
    return text.translate(_STRUCTURE, _NOT_STRUCTURE)


def json_depth_ok(text: bytes, limit: int) -> bool:
    """Whether no array or object in a valid JSON text nests deeper than `limit` (the outermost
    at depth 1), read from the text with C-level bytes operations rather than by walking every
    decoded value: escapes and string contents are dropped, leaving the brackets, and each round
    of removing every innermost `[]` pair lowers the depth by exactly one."""
    brackets = b"".join(map(_brackets, _chunks(text)))  # quotes and [ ] only
    # Two adjacent quotes open and close a string with no bracket in it, or close one and open
    # the next: dropping them keeps every bracket inside or outside a string as it was.
    brackets = brackets.replace(b'""', b"")
    if b'"' in brackets:
        brackets = _STRING.sub(b"", brackets)
    for _ in range(limit):
        if not brackets:
            return True
        brackets = brackets.replace(b"[]", b"")
    return not brackets
