"""Go's text renderings that upstream messages use: `%q` quoting and `%v` of common values."""

from __future__ import annotations

from typing import Any

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
            code = ord(ch)
            if code < 0x80:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def go_value(value: Any) -> str:
    """`%v` of a scalar as field errors print it: bools lower case, numbers bare."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "<nil>"
    return str(value)
