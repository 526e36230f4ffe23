"""Field errors as k8s.io/apimachinery prints them: `<path>: <Type>[: <value>][: <detail>]`.

Values are rendered when the error is made (Go syntax differs by type: bare numbers and bools,
`%q` strings, `"null"` for nil, `[]int64{5}` for slices), so an error is a plain value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from podgate.k8s.gotext import go_quote, go_value

INVALID = "Invalid value"
REQUIRED = "Required value"
FORBIDDEN = "Forbidden"
UNSUPPORTED = "Unsupported value"
DUPLICATE = "Duplicate value"
TOO_LONG = "Too long"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field error: its type, the upstream field path, the rendered value and the detail."""

    type: str
    field: str
    value: str | None  # already rendered in Go syntax; None when the type prints no value
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.field}: {self.type}"
        if self.value is not None:
            text += f": {self.value}"
        if self.detail:
            text += f": {self.detail}"
        return text


def render(value: object) -> str:
    """A value as field.Error prints it: strings quoted, nil as "null", the rest with %v."""
    if value is None:
        return '"null"'
    if isinstance(value, str):
        return go_quote(value)
    return go_value(value)


def int64_slice(values: Iterable[int] | None) -> str:
    """`%#v` of a []int64: `[]int64{1, 2}`, nil as `[]int64(nil)`."""
    if values is None:
        return "[]int64(nil)"
    return "[]int64{" + ", ".join(str(v) for v in values) + "}"


def invalid(field: str, value: object, detail: str) -> FieldError:
    return FieldError(INVALID, field, render(value), detail)


def invalid_rendered(field: str, rendered: str, detail: str) -> FieldError:
    return FieldError(INVALID, field, rendered, detail)


def required(field: str, detail: str = "") -> FieldError:
    return FieldError(REQUIRED, field, None, detail)


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError(FORBIDDEN, field, None, detail)


def unsupported(field: str, value: object, supported: Iterable[str]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(s) for s in supported)
    return FieldError(UNSUPPORTED, field, render(value), detail)


def duplicate(field: str, value: object) -> FieldError:
    return FieldError(DUPLICATE, field, render(value), "")


def too_long(field: str, max_length: int) -> FieldError:
    return FieldError(TOO_LONG, field, None, f"must have at most {max_length} bytes")


def error_list(errors: Iterable[FieldError]) -> str:
    """Go's `%v` of a field.ErrorList inside a message: `[e1 e2]`, `[]` when empty."""
    return "[" + " ".join(str(e) for e in errors) + "]"
