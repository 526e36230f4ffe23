"""JSON numbers as kubectl's decoder reads them: one beyond a 64-bit float's range is an error.

kubectl (and the API server) decode a JSON object with sigs.k8s.io/json, encoding/json's fork:
a number bound for `interface{}` is an int64 when it has no `.` and `ParseInt` takes it, else
`strconv.ParseFloat(s, 64)`, and a number that function finds beyond float64's range (`1e400`,
`-1e400`, `1.8e308`, an integer of 309 digits or more) fails the whole object with
`json: cannot unmarshal number 1e400 into Go value of type float64`. Python's decoder reads such
a number as infinity (an integer as a Python int of any size); orjson refuses the text.
(YAML is another matter: go-yaml reads a plain `1e400` as the string "1e400", io/goyaml.py.)

`GoNumbers` is a `json.JSONDecoder` that notes each such number while it decodes (read as an
infinity meanwhile, so that the text still reads as JSON and is not taken for YAML), and
`beyond_range` names the first one: its text and its field. An integer outside
[-2**63, 2**64 - 1] within range is read as a float, as orjson (podgate's first decoder) reads
it and as Go does (`ParseInt` fails, `ParseFloat` does not)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from podgate.k8s.field import FieldPath, render

__all__ = ["BeyondRange", "GoNumbers", "beyond_range"]

_SHORT = 19  # an integer with fewer digits is within int64, so within float64
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1
_SHOWN = 32  # a number's characters shown in a message
_LONGEST = 309  # 10**309 is past float64's largest (1.797e308): no integer with more digits fits


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class GoNumbers(json.JSONDecoder):
    """A decoder noting (`beyond`) the text of each number beyond float64's range, in the
    order read; such a number is read as an infinity of its sign. One per text: not shared
    between threads."""

    def __init__(self) -> None:
        self.beyond: list[str] = []
        super().__init__(
            parse_float=self._real, parse_int=self._integer, parse_constant=_reject_constant
        )

    def _real(self, text: str) -> float:
        value = float(text)
        if math.isinf(value):
            self.beyond.append(text)
        return value

    def _integer(self, text: str) -> int | float:
        digits = len(text) - (text[0] == "-")
        if digits < _SHORT:
            return int(text)
        if digits <= _LONGEST:  # (int() refuses a text of over 4,300 digits)
            value = int(text)
            if _INT64_MIN <= value <= _UINT64_MAX:
                return value
            try:
                return float(value)  # as orjson reads it (and Go: ParseInt fails, ParseFloat)
            except OverflowError:
                pass
        self.beyond.append(text)
        return -math.inf if text[0] == "-" else math.inf


@dataclass(frozen=True, slots=True)
class BeyondRange:
    """The first number of a JSON value beyond float64's range: its text, and its field (None
    when no field holds it in the value read, such as a key written twice, the first time)."""

    text: str
    field: FieldPath | None

    def message(self, refuser: str = "kubectl") -> str:
        """One line, kubectl's own error in parentheses (a long number cut short)."""
        where = f"{render(self.field) or '(the document)'}: " if self.field is not None else ""
        shown = self.text
        if len(shown) > _SHOWN:
            shown = f"{shown[:_SHOWN]}... ({len(self.text)} characters)"
        return (
            f"{where}number {shown} is beyond a 64-bit float's range, which {refuser} "
            f"refuses (json: cannot unmarshal number {shown} into Go value of type float64)"
        )


def _first_infinity(value: Any, path: FieldPath) -> FieldPath | None:
    """The path of the first infinity in `value`, in the order the text wrote it."""
    if type(value) is float:
        return path if math.isinf(value) else None
    if type(value) is dict:
        for key, item in value.items():
            found = _first_infinity(item, (*path, key))
            if found is not None:
                return found
    elif type(value) is list:
        for i, item in enumerate(value):
            found = _first_infinity(item, (*path, i))
            if found is not None:
                return found
    return None


def beyond_range(decoder: GoNumbers, value: Any) -> BeyondRange | None:
    """The first number beyond float64's range that `decoder` noted while reading `value`
    (and forgets what it noted), or None."""
    if not decoder.beyond:
        return None
    text = decoder.beyond[0]
    decoder.beyond.clear()
    return BeyondRange(text, _first_infinity(value, ()))
