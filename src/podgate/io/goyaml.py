"""YAML values as kubectl reads them.

kubectl decodes each YAML document with go-yaml v2 into Go's `interface{}`, converts the result
to JSON with sigs.k8s.io/yaml and reads that JSON back with apimachinery's number rules. PyYAML
composes the nodes here (with their lines and columns); this module gives each node the value
that pipeline gives it, which differs from PyYAML's own constructor in many places:

- plain scalars resolve by go-yaml v2's table: `y`/`Y`/`n`/`N` are booleans besides
  yes/no/on/off/true/false; `=` is a string; `1:30` (YAML 1.1 base 60) is a string; `0o17`,
  `017`, `0x1F`, `0b101` and underscores are integers; `1e3` and `08` are numbers; timestamps
  stay the text they were written as (go-yaml keeps them as strings in `interface{}`);
- `.inf`, `-.inf` and `.nan` values cannot be JSON: kubectl refuses the document;
- numbers become what JSON makes of them: a whole float is an integer (`1.0` -> 1), an
  integer past int64 a float;
- map keys become strings (`80` -> "80", `yes` -> "true", `1.5` -> "1.5" at float32 precision);
  a null or sequence key is refused; two keys that become the same string are refused here,
  since kubectl's result then depends on Go's random map order;
- `<<` merges in document order: keys written after it override the merged ones, and the merged
  ones override keys written before it (PyYAML lets every explicit key win);
- `!!binary` is decoded (invalid UTF-8 replaced, as Go's JSON encoder does); other explicit
  tags are checked as go-yaml checks them (`!!int foo` is an error); unknown tags are ignored.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
import struct
from typing import Any

from podgate.errors import PodgateError
from podgate.k8s.gotext import go_json_float

PLAIN = "plain scalar"  # what our resolver tags untagged plain scalars with: no YAML tag can be
STR = "tag:yaml.org,2002:str"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
BINARY = "tag:yaml.org,2002:binary"
MERGE = "tag:yaml.org,2002:merge"
_RESOLVABLE = frozenset((PLAIN, STR, BOOL, INT, FLOAT, NULL, TIMESTAMP))

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

# the first characters go-yaml looks at more closely; any other plain scalar is a string
_SIGN, _DIGIT, _TABLE, _DOT = "S", "D", "M", "."
_HINTS: dict[str, str] = {"+": _SIGN, "-": _SIGN, ".": _DOT}
_HINTS.update(dict.fromkeys("0123456789", _DIGIT))
_HINTS.update(dict.fromkeys("yYnNtTfFoO~", _TABLE))

_TABLE_VALUES: dict[str, tuple[str, Any]] = {}
for _words, _value, _tag in (
    ("y Y yes Yes YES true True TRUE on On ON", True, BOOL),
    ("n N no No NO false False FALSE off Off OFF", False, BOOL),
    ("~ null Null NULL", None, NULL),
    (".nan .NaN .NAN", math.nan, FLOAT),
    (".inf .Inf .INF +.inf +.Inf +.INF", math.inf, FLOAT),
    ("-.inf -.Inf -.INF", -math.inf, FLOAT),
    ("<<", "<<", MERGE),
):
    for _word in _words.split():
        _TABLE_VALUES[_word] = (_tag, _value)
_TABLE_VALUES[""] = (NULL, None)

# Go's strconv.ParseInt(s, 0, 64) syntax, underscores already removed
_GO_DIGITS = r"(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))"
_GO_INT = re.compile(r"([+-]?)" + _GO_DIGITS)
_GO_UINT = re.compile(_GO_DIGITS)
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
# Go's ParseFloat for text that starts with a dot (underscores only between digits)
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?")
_BINARY_DIGITS = re.compile(r"([+-]?)([01]+)")
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:(?:([Tt])|( ))([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
_ESCAPED = re.compile("[\udc80-\udcff]")


class GoYAMLError(PodgateError, ValueError):
    """A value kubectl refuses; the message says why, as kubectl would."""


def _short(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def _base_int(sign: str, groups: tuple[str | None, ...]) -> int:
    hexa, octal, binary, legacy_octal, decimal = groups
    if hexa is not None:
        value = int(hexa, 16)
    elif octal is not None:
        value = int(octal, 8)
    elif binary is not None:
        value = int(binary, 2)
    elif legacy_octal is not None:
        value = int(legacy_octal, 8) if legacy_octal else 0
    else:
        value = int(decimal or "0")
    return -value if sign == "-" else value


def _parse_int(text: str) -> int | None:
    """Go's ParseInt(text, 0, 64), or ParseUint(text, 0, 64) for what is past int64."""
    found = _GO_INT.fullmatch(text)
    if found is not None:
        value = _base_int(found.group(1), found.groups()[1:])
        if INT64_MIN <= value <= INT64_MAX:
            return value
    found = _GO_UINT.fullmatch(text)
    if found is not None:
        value = _base_int("", found.groups())
        if value <= UINT64_MAX:
            return value
    return None


def _parse_float(text: str) -> float | None:
    """Go's ParseFloat on text already known to be decimal syntax; None where Go gives an
    error (a value past float64's range)."""
    value = float(text.replace("_", ""))
    return None if math.isinf(value) else value


def _parse_binary(plain: str) -> int | None:
    """go-yaml's own `0b` fallback: ParseInt(rest, 2, 64), which allows a sign after `0b`."""
    if plain.startswith("0b"):
        found = _BINARY_DIGITS.fullmatch(plain[2:])
        if found is None:
            return None
        value = int(found.group(2), 2) * (-1 if found.group(1) == "-" else 1)
        if INT64_MIN <= value <= INT64_MAX:
            return value
        return value if found.group(1) == "" and value <= UINT64_MAX else None
    if plain.startswith("-0b") and re.fullmatch(r"[01]+", plain[3:]):
        value = -int(plain[3:], 2)
        return value if value >= INT64_MIN else None
    return None


def _is_timestamp(text: str) -> bool:
    """Whether go-yaml's parseTimestamp accepts `text` (its four layouts, with Go's ranges)."""
    found = _TIMESTAMP.fullmatch(text)
    if found is None:
        return False
    year, month, day, t, space, hour, minute, second, zone = found.groups()
    if (space is not None and zone is not None) or (t is not None and zone is None):
        return False  # the space-separated layout has no time zone; the T layouts need one
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return hour is None or (int(hour) <= 23 and int(minute) <= 59 and int(second) <= 59)


def resolve(tag: str, text: str) -> tuple[str, Any]:
    """go-yaml v2's `resolve(tag, in)`: the tag a scalar resolves to and its Go value (an int
    past int64 stands for Go's uint64). `tag` is PLAIN for a plain scalar without a tag."""
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, value = _resolve(tag, text)
    if tag in (PLAIN, rtag, STR):
        return rtag, value
    if tag == FLOAT and rtag == INT:
        return FLOAT, float(value)
    raise GoYAMLError(f"cannot decode {_short(rtag)} `{text}` as a {_short(tag)}")


def _resolve(tag: str, text: str) -> tuple[str, Any]:
    hint = _HINTS.get(text[0]) if text else _TABLE
    if hint is None or tag == STR:
        return STR, text
    known = _TABLE_VALUES.get(text)
    if known is not None:
        return known
    if hint == _DOT:
        if _DOT_FLOAT.fullmatch(text):
            value = _parse_float(text)
            if value is not None:
                return FLOAT, value
    elif hint in (_DIGIT, _SIGN):
        if tag in (PLAIN, TIMESTAMP) and _is_timestamp(text):
            return TIMESTAMP, text  # kept as its text: go-yaml's answer for interface{}
        plain = text.replace("_", "")
        number = _parse_int(plain)
        if number is not None:
            return INT, number
        if _YAML_FLOAT.fullmatch(plain):
            value = _parse_float(plain)
            if value is not None:
                return FLOAT, value
        number = _parse_binary(plain)
        if number is not None:
            return INT, number
    return STR, text


def _json_string(data: bytes) -> str:
    """A Go string as Go's JSON encoder writes it: each invalid UTF-8 byte becomes U+FFFD."""
    return _ESCAPED.sub("\ufffd", data.decode("utf-8", "surrogateescape"))


def decode_binary(text: str) -> str:
    """A `!!binary` scalar's value: base64 (line breaks ignored, as Go's decoder does)."""
    try:
        data = base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        raise GoYAMLError("!!binary value contains invalid base64 data") from None
    return _json_string(data)


def _go_float_text(value: float) -> str:
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def json_value(tag: str, value: Any) -> Any:
    """A resolved scalar as kubectl holds it after the round trip through JSON."""
    if tag == FLOAT:
        if math.isinf(value) or math.isnan(value):
            raise GoYAMLError(
                f"{_go_float_text(value)} is not a JSON number "
                f'(kubectl: "json: unsupported value: {_go_float_text(value)}")'
            )
        if value.is_integer() and abs(value) < 2**53:
            return int(value)  # Go writes it without a point; read back as an int64
        if value.is_integer() and abs(value) < 1e21:
            # Go writes its shortest digits, zeros after (-2**63 as -9223372036854776000):
            # an int64 when `ParseInt` takes that text, else a float
            whole = int(go_json_float(value))
            return whole if INT64_MIN <= whole <= INT64_MAX else value
        return value
    if tag == INT and value > INT64_MAX:
        return float(value)  # a uint64: JSON has it as digits that no int64 holds
    return value


def _float32_text(value: float) -> str:
    """Go's strconv.FormatFloat(value, 'g', -1, 32), which sigs.k8s.io/yaml uses for float keys."""
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        single = math.copysign(math.inf, value)
    if math.isnan(single):
        return ".nan"
    if math.isinf(single):
        return ".inf" if single > 0 else "-.inf"
    if single == 0:
        return "-0" if math.copysign(1.0, single) < 0 else "0"
    for precision in range(1, 10):
        text = f"{single:.{precision - 1}e}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == single:
            break
    mantissa, exponent = text.split("e")
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    exp = int(exponent)
    if exp < -4 or exp >= 6:
        frac = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{frac}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    point = exp + 1  # digits before the decimal point
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def key_text(tag: str, value: Any) -> tuple[str, tuple[str, Any] | None]:
    """A resolved map key as sigs.k8s.io/yaml turns it into a JSON key, and, for a key that was
    not a string, what it was (two different keys that become one string are refused)."""
    if tag in (STR, TIMESTAMP, MERGE) or isinstance(value, str):
        return value, None
    if value is None:
        raise GoYAMLError("a null map key (kubectl: unsupported map key)")
    if isinstance(value, bool):
        return ("true" if value else "false"), ("bool", value)
    if isinstance(value, int):
        if value > INT64_MAX:
            raise GoYAMLError(f"map key {value} is a uint64 (kubectl: unsupported map key)")
        return str(value), ("int", value)
    if math.isnan(value):
        return ".nan", ("nan", object())  # NaN equals no other key, not even itself
    return _float32_text(value), ("float", value)
