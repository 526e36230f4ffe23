"""RFC 6902 JSON Patch between an input object and its admitted form.

The admitted pod shares every unchanged dict and list with the input (copy-on-write), so the
diff only descends where identities differ."""

from __future__ import annotations

from typing import Any


def pointer_token(key: str | int) -> str:
    """RFC 6901 escaping: `~` as `~0`, `/` as `~1`."""
    text = str(key)
    if "~" in text or "/" in text:
        return text.replace("~", "~0").replace("/", "~1")
    return text


def json_patch(before: Any, after: Any, at: str = "") -> list[dict[str, Any]]:
    """The operations that turn `before` into `after` (`at`: the JSON pointer of both, when
    they are parts of larger documents that differ nowhere else)."""
    ops: list[dict[str, Any]] = []
    _diff(before, after, at, ops)
    return ops


def _diff(a: Any, b: Any, path: str, ops: list[dict[str, Any]]) -> None:
    if a is b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a:
            if key not in b:
                ops.append({"op": "remove", "path": f"{path}/{pointer_token(key)}"})
        for key, value in b.items():
            if key not in a:
                ops.append({"op": "add", "path": f"{path}/{pointer_token(key)}", "value": value})
            elif a[key] is not value:  # shared with the input (copy-on-write): unchanged
                _diff(a[key], value, f"{path}/{pointer_token(key)}", ops)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x is not y:
                _diff(x, y, f"{path}/{i}", ops)
        return
    if a == b and type(a) is type(b):
        return
    ops.append({"op": "replace", "path": path, "value": b})
