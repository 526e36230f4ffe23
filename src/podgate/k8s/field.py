"""Field paths and field errors as k8s.io/apimachinery prints them.

A field path is a tuple of steps (`FieldPath`): field names and map keys are strings, list
indexes ints, as `field.NewPath("spec").Child("containers").Index(0)` builds them. It is text
only at output (`render`): `spec.containers[0].securityContext.privileged`, a map key in
brackets after a map-valued field (`metadata.annotations[container.seccomp...io/a]`). Code
that needs to know where a path points (which container, which object field) reads the steps,
never the text.

A field error prints as `<path>: <Type>[: <value>][: <detail>]`. Values are rendered when the
error is made (Go syntax differs by type: bare numbers and bools, `%q` strings, `"null"` for
nil, `[]int64{5}` for slices), so an error is a plain value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from podgate.k8s.gotext import go_quote, go_value

INVALID = "Invalid value"
REQUIRED = "Required value"
FORBIDDEN = "Forbidden"
UNSUPPORTED = "Unsupported value"
DUPLICATE = "Duplicate value"
TOO_LONG = "Too long"

Step = str | int
FieldPath = tuple[Step, ...]
"""A field path: names and map keys as strings, list indexes as ints."""

MAP_FIELDS = frozenset({"annotations", "labels", "nodeSelector"})
"""Fields whose values are maps: the step after one is a key, rendered `[key]`."""


def render(path: FieldPath) -> str:
    """A path as upstream's `field.Path.String()` prints it: names joined by `.`, indexes and
    the keys of map-valued fields in brackets."""
    text = ""
    previous: Step | None = None
    for step in path:
        if type(step) is int or previous in MAP_FIELDS:
            text += f"[{step}]"
        elif text:
            text += f".{step}"
        else:
            text = str(step)
        previous = step
    return text


def _steps(path: FieldPath | str) -> FieldPath:
    """A path as steps; a text (from code that keeps upstream's path as one string, such as
    the policy validation) is one opaque step, rendered back as it is."""
    return (path,) if isinstance(path, str) else path


@dataclass(frozen=True, slots=True, init=False)
class FieldError:
    """One field error: its type, the upstream field path, the rendered value and the detail."""

    type: str
    path: FieldPath
    value: str | None  # already rendered in Go syntax; None when the type prints no value
    detail: str = ""

    def __init__(self, type: str, path: FieldPath, value: str | None, detail: str = "") -> None:
        # what the dataclass' __init__ does, without an object.__setattr__ per field (PSP
        # admission builds one of these for each policy a pod fails)
        _set_type(self, type)
        _set_path(self, path)
        _set_value(self, value)
        _set_detail(self, detail)

    @property
    def field(self) -> str:
        """The path as upstream prints it."""
        return render(self.path)

    def __str__(self) -> str:
        text = f"{self.field}: {self.type}"
        if self.value is not None:
            text += f": {self.value}"
        if self.detail:
            text += f": {self.detail}"
        return text


_set_type, _set_path, _set_value, _set_detail = (
    FieldError.__dict__[name].__set__ for name in ("type", "path", "value", "detail")
)
if [f.name for f in fields(FieldError)] != ["type", "path", "value", "detail"]:
    raise TypeError("FieldError's fields are not the ones its __init__ sets")


def value_text(value: object) -> str:
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


def invalid(field: FieldPath | str, value: object, detail: str) -> FieldError:
    return FieldError(INVALID, _steps(field), value_text(value), detail)


def invalid_rendered(field: FieldPath | str, rendered: str, detail: str) -> FieldError:
    return FieldError(INVALID, _steps(field), rendered, detail)


def required(field: FieldPath | str, detail: str = "") -> FieldError:
    return FieldError(REQUIRED, _steps(field), None, detail)


def forbidden(field: FieldPath | str, detail: str) -> FieldError:
    return FieldError(FORBIDDEN, _steps(field), None, detail)


def unsupported(field: FieldPath | str, value: object, supported: Iterable[str]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(s) for s in supported)
    return FieldError(UNSUPPORTED, _steps(field), value_text(value), detail)


def duplicate(field: FieldPath | str, value: object) -> FieldError:
    return FieldError(DUPLICATE, _steps(field), value_text(value), "")


def too_long(field: FieldPath | str, max_length: int) -> FieldError:
    return FieldError(TOO_LONG, _steps(field), None, f"must have at most {max_length} bytes")


def error_list(errors: Iterable[FieldError]) -> str:
    """Go's `%v` of a field.ErrorList inside a message: `[e1 e2]`, `[]` when empty."""
    return "[" + " ".join(str(e) for e in errors) + "]"
