"""Reading fields of decoded RBAC objects strictly: a wrong type is an error with its field path.

`Invalid` carries the path within the object; `podgate.rbac.objects` adds which object it is and
raises it as a `PolicyError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podgate.errors import PolicyError
from podgate.k8s.gotext import go_quote


class Invalid(PolicyError):
    """A malformed field: `path` within the object and what is wrong with it."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(message, field=path)


def shown(value: Any) -> str:
    """A value for a message: strings quoted as Go does, containers by their JSON type."""
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def string(value: Any, at: str, *, required: bool = False) -> str:
    """A string field; absent (None) reads as "" unless `required`."""
    if value is None:
        if required:
            raise Invalid(at, "required")
        return ""
    if not isinstance(value, str):
        raise Invalid(at, f"must be a string, got {shown(value)}")
    if required and not value:
        raise Invalid(at, "must not be empty")
    return value


def string_list(value: Any, at: str) -> tuple[str, ...]:
    """A list of strings; absent (None) reads as empty."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Invalid(at, f"must be a list of strings, got {shown(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise Invalid(f"{at}[{i}]", f"must be a string, got {shown(item)}")
    return tuple(value)


def obj(value: Any, at: str, *, required: bool = False) -> Mapping[str, Any]:
    """An object field; absent (None) reads as empty unless `required`."""
    if value is None:
        if required:
            raise Invalid(at, "required")
        return {}
    if not isinstance(value, Mapping):
        raise Invalid(at, f"must be an object, got {shown(value)}")
    return value


def labels(value: Any, at: str) -> dict[str, str]:
    """metadata.labels: a map of strings to strings."""
    raw = obj(value, at)
    out: dict[str, str] = {}
    for key, val in raw.items():
        if not isinstance(key, str):
            raise Invalid(at, f"keys must be strings, got {shown(key)}")
        out[key] = string(val, f"{at}[{key}]")
    return out
