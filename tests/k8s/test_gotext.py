"""go_quote's shortcut (a string with nothing to escape is returned quoted at once) gives what
quoting it character by character gives, as Go's strconv.Quote does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podgate.k8s.gotext import go_quote
from podgate.psp.patch import pointer_token

_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPES |= {"\v": "\\v", "\\": "\\\\", '"': '\\"'}


def _quote_each(s: str) -> str:
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


@given(st.text())
def test_go_quote_is_the_character_by_character_quote(s: str) -> None:
    assert go_quote(s) == _quote_each(s)


def test_go_quote_escapes_quotes_backslashes_and_controls() -> None:
    assert go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_quote("tab\there\x00\u200b") == '"tab\\there\\x00\\u200b"'
    assert go_quote("héllo wörld") == '"héllo wörld"'
    assert go_quote("") == '""'


@given(st.one_of(st.text(), st.integers(min_value=0)))
def test_a_pointer_token_escapes_tilde_then_slash(key: str | int) -> None:
    assert pointer_token(key) == str(key).replace("~", "~0").replace("/", "~1")
