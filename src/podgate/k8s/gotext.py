"""Go's text renderings that upstream messages use (`%q` quoting and `%v` of common values),
and what Go counts as white space."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# unicode.IsSpace, what strings.TrimSpace trims: Python's str.strip() and `\s` also take the
# information separators U+001C to U+001F, which Go keeps
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(s: str) -> str:
    """Go's strconv.Quote / `%q`: double quotes, `\\` and `"` escaped, control and
    non-printable characters as escapes, printable Unicode kept."""
    if s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'  # nothing to escape: what the loop below gives, at once
    out = ['"']
    for ch in s:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.append(_escaped(ch))
    out.append('"')
    return "".join(out)


def _escaped(ch: str) -> str:
    """A character Go does not print, as `%q` writes it."""
    esc = _ESCAPES.get(ch)
    if esc is not None:
        return esc
    code = ord(ch)
    if code < 0x80:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(s: str) -> str:
    """`s` to be shown to a person: each character Go's `%q` writes as an escape for not being
    printable (a terminal's control sequences, a bidirectional override) written so (`\\x1b`,
    `\\u202e`), every other character as it is (quotes and backslashes too), line breaks and
    tabs kept (a message's own layout)."""
    if s.isprintable():
        return s  # (the common case, at C speed)
    return "".join(ch if ch.isprintable() or ch in "\n\t" else _escaped(ch) for ch in s)


def go_value(value: Any) -> str:
    """`%v` of a scalar as field errors print it: bools lower case, numbers bare."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "<nil>"
    return str(value)


def go_json_float(value: float) -> str:
    """Go's encoding/json text of a finite float64: the shortest digits that read back as
    `value`, positional from 1e-6 up to 1e21 (`1000`, `18446744073709552000`), an exponent
    beyond (`1e+21`, `1e-7`)."""
    size = abs(value)
    shortest = repr(value)  # Python's repr is the shortest round-trip text too
    if size != 0 and (size < 1e-6 or size >= 1e21):
        mantissa, _, exponent = shortest.partition("e")
        if exponent.startswith("-0"):
            exponent = "-" + exponent[2:]  # Go's encoder writes e-7, strconv e-07
        return f"{mantissa}e{exponent}"
    text = format(Decimal(shortest), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
