"""The escapes of double-quoted YAML scalars as kubectl reads them, where libyaml differs.

kubectl's YAML parser, go-yaml v2 (scannerc.go, `yaml_parser_scan_flow_scalar`), takes `\\'` in
a double-quoted scalar for a single quote, which libyaml refuses ("found unknown escape
character"), and refuses `\\/`, which libyaml (since 0.2.2, after YAML 1.2) reads as a slash.
Every other escape the two read alike (tests/io/test_loader_kubectl_yaml.py).

libyaml stays the parser. A piece it refuses at a `\\'` is read again with that scalar's `\\'`
escapes written `\\x27`, the same character: no line moves, so every line reported stays the
file's. A piece libyaml reads whose text holds `\\/` is looked at token by token: a `\\/`
escape in a double-quoted scalar refuses it as go-yaml does."""

from __future__ import annotations

import re
from typing import Any

UNKNOWN_ESCAPE = "found unknown escape character"
QUOTE_ESCAPE = "\\'"
SLASH_ESCAPE = "\\/"
MAX_QUOTE_REWRITES = 256  # double-quoted scalars with `\'` per piece (each costs a parse)

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)  # an escape, found left to right: `\\` is one
_BODY = re.compile(r'(?:[^"\\]|\\.)*', re.DOTALL)  # a double-quoted scalar's text


def with_quote_escapes_rewritten(text: str, error: Any) -> tuple[str, list[int]] | None:
    """`text` with the `\\'` escapes of the double-quoted scalar that libyaml refused at one
    (`error`, a yaml.MarkedYAMLError) written `\\x27`, and where each `\\x27` written starts
    in it; None when `error` is another error."""
    problem, start = error.problem_mark, error.context_mark
    if error.problem != UNKNOWN_ESCAPE or problem is None or start is None:
        return None
    at = problem.index  # libyaml's mark is on the backslash, PyYAML's own after it
    if not text.startswith(QUOTE_ESCAPE, at):
        at -= 1
        if at < 0 or not text.startswith(QUOTE_ESCAPE, at):
            return None
    begin = start.index + 1
    if not text.startswith('"', start.index) or at < begin:
        return None
    body = _BODY.match(text, begin)
    end = body.end() if body is not None else begin
    if at >= end:
        return None
    parts = [text[:begin]]
    written: list[int] = []
    size = begin
    last = begin
    for found in _ESCAPE.finditer(text, begin, end):
        if found.group(1) == "'":
            parts.append(text[last : found.start()])
            size += found.start() - last
            written.append(size)
            parts.append("\\x27")
            size += 4
            last = found.end()
    parts.append(text[last:])
    return "".join(parts), written


def column_in(index: int, column: int, written: list[int]) -> int:
    """The column, in the text before rewriting, of what is at `index` (at `column`) of the
    rewritten text, in which each of `written` starts a `\\x27` that stood for a `\\'`."""
    line_start = index - column
    return column - 2 * sum(1 for at in written if line_start <= at < index)


def slash_escape_line(text: str, loader: Any) -> int | None:
    """The line (0-based in `text`) of the first `\\/` escape in a double-quoted scalar of
    `text`, which `loader` (a PyYAML loader class) reads without error; None when none."""
    if SLASH_ESCAPE not in text:
        return None
    import yaml

    for token in yaml.scan(text, Loader=loader):
        if type(token) is not yaml.ScalarToken or token.style != '"':
            continue
        raw = text[token.start_mark.index : token.end_mark.index]
        if SLASH_ESCAPE not in raw:
            continue
        for found in _ESCAPE.finditer(raw):
            if found.group(1) == "/":
                return int(token.start_mark.line) + raw.count("\n", 0, found.start())
    return None
