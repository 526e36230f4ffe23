"""What apimachinery accepts as a name, a qualified name and a label value, with its messages to
the letter, and Go's `%#v` renderings of the slices upstream prints in field errors."""

from __future__ import annotations

import re
from collections.abc import Sequence

from podgate.k8s.gotext import go_quote

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_QNAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_RE = re.compile(_QNAME)
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE = "(" + _QNAME + ")?"
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)


def blen(s: str) -> int:
    """Go's len() of a string: its length in UTF-8 bytes."""
    return len(s.encode("utf-8", "surrogatepass"))


def _regex_error(msg: str, pattern: str, *examples: str) -> str:
    if not examples:
        return f"{msg} (regex used for validation is '{pattern}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{pattern}')"


def _max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def dns1123_subdomain_errors(value: str) -> list[str]:
    """apimachinery IsDNS1123Subdomain: the messages for a value that is not a DNS subdomain."""
    errs: list[str] = []
    if blen(value) > 253:
        errs.append(_max_len_error(253))
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        errs.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN, "example.com"))
    return errs


def qualified_name_errors(value: str) -> list[str]:
    parts = value.split("/")
    errs: list[str] = []
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in dns1123_subdomain_errors(prefix))
    else:
        return [
            "a qualified name "
            + _regex_error(_QNAME_MSG, _QNAME, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif blen(name) > 63:
        errs.append("name part " + _max_len_error(63))
    if not _QNAME_RE.fullmatch(name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME, "MyName", "my.name", "123-abc"))
    return errs


def label_value_errors(value: str) -> list[str]:
    errs: list[str] = []
    if blen(value) > 63:
        errs.append(_max_len_error(63))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE, "MyValue", "my_value", "12345"))
    return errs


def mask_trailing_dash(name: str) -> str:
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


# --- Go %#v renderings ----------------------------------------------------------------------


def go_slice(type_name: str, items: Sequence[str] | None) -> str:
    """`%#v` of a slice of a string type: `[]core.Capability{"A", "B"}`."""
    if items is None:
        return f"[]{type_name}(nil)"
    return f"[]{type_name}{{" + ", ".join(go_quote(s) for s in items) + "}"


def go_ranges(ranges: Sequence[tuple[int, int]] | None) -> str:
    """`%#v` of a []policy.IDRange."""
    if ranges is None:
        return "[]policy.IDRange(nil)"
    inner = ", ".join(f"policy.IDRange{{Min:{lo}, Max:{hi}}}" for lo, hi in ranges)
    return "[]policy.IDRange{" + inner + "}"
