"""RFC 6902 JSON Patch applied to plain JSON values (RFC 6901 pointers), as the API server
applies a MutatingAdmissionPolicy's JSONPatch and `kubectl patch --type json` applies a patch:
every operation or none (`PatchError`), the input never changed.

Used to prove exports that patch: the MutatingAdmissionPolicy's CEL yields the operations,
this applies them, and the result is compared with PSP's mutation."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from podgate.errors import PodgateError


class PatchError(PodgateError, ValueError):
    """An operation that cannot be applied: names the operation and why."""


def parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 pointer (`~1` is `/`, `~0` is `~`)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"path {pointer!r} does not start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(token: str, size: int, *, appending: bool) -> int:
    if appending and token == "-":
        return size
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"{token!r} is not an array index")
    i = int(token)
    if i > size or (i == size and not appending):
        raise PatchError(f"index {i} is out of bounds (size {size})")
    return i


def _parent(doc: Any, tokens: list[str]) -> Any:
    node = doc
    for t in tokens:
        if isinstance(node, dict):
            if t not in node:
                raise PatchError(f"member {t!r} does not exist")
            node = node[t]
        elif isinstance(node, list):
            node = node[_index(t, len(node), appending=False)]
        else:
            raise PatchError(f"{t!r}: cannot descend into a {type(node).__name__}")
    return node


def _get(doc: Any, pointer: str) -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return doc
    return _parent(doc, tokens)


def _add(doc: Any, pointer: str, value: Any) -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return value
    parent = _parent(doc, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), appending=True), value)
    else:
        raise PatchError(f"cannot add {last!r} to a {type(parent).__name__}")
    return doc


def _remove(doc: Any, pointer: str) -> tuple[Any, Any]:
    tokens = parse_pointer(pointer)
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _parent(doc, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"member {last!r} does not exist")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(last, len(parent), appending=False))
    raise PatchError(f"cannot remove {last!r} from a {type(parent).__name__}")


def _op(doc: Any, op: Any) -> Any:
    if not isinstance(op, dict) or not isinstance(op.get("op"), str):
        raise PatchError(f"not an operation: {op!r}")
    kind, path = op["op"], op.get("path")
    if not isinstance(path, str):
        raise PatchError(f"{kind}: path is missing or not a string")
    if kind in ("add", "replace", "test") and "value" not in op:
        raise PatchError(f"{kind} {path}: value is missing")
    if kind == "add":
        return _add(doc, path, copy.deepcopy(op["value"]))
    if kind == "remove":
        return _remove(doc, path)[0]
    if kind == "replace":
        doc, _ = _remove(doc, path) if parse_pointer(path) else (doc, None)
        return _add(doc, path, copy.deepcopy(op["value"]))
    if kind in ("move", "copy"):
        source = op.get("from")
        if not isinstance(source, str):
            raise PatchError(f"{kind} {path}: from is missing or not a string")
        if kind == "move":
            if path.startswith(source + "/"):
                raise PatchError(f"move {path}: cannot move {source} into its own child")
            doc, value = _remove(doc, source)
        else:
            value = copy.deepcopy(_get(doc, source))
        return _add(doc, path, value)
    if kind == "test":
        if not _equal(_get(doc, path), op["value"]):
            raise PatchError(f"test {path}: the value differs")
        return doc
    raise PatchError(f"unknown operation {kind!r}")


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, 1 == 1.0, objects and arrays member-wise."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def rooted(doc: Any, op: dict[str, Any]) -> dict[str, Any]:
    """An `add` whose parent objects `doc` lacks (or holds as null), as one `add` of the
    nearest missing member with the rest nested in its value: `add /a/b/c 1` on `{}` becomes
    `add /a {"b": {"c": 1}}`. Other operations, and adds that apply as they are, unchanged."""
    if op.get("op") != "add":
        return op
    tokens = parse_pointer(op["path"])
    node = doc
    for depth, t in enumerate(tokens[:-1]):
        if isinstance(node, list) and t.isdigit() and int(t) < len(node):
            node = node[int(t)]
            continue
        if isinstance(node, dict) and isinstance(node.get(t), dict | list):
            node = node[t]
            continue
        if not isinstance(node, dict):
            return op  # a wrong type or index: apply_patch says so
        value = op["value"]
        for key in reversed(tokens[depth + 1 :]):
            value = {key: value}
        path = "/" + "/".join(x.replace("~", "~0").replace("/", "~1") for x in tokens[: depth + 1])
        return {"op": "add", "path": path, "value": value}
    return op


def apply_patch(doc: Any, ops: Sequence[Any]) -> Any:
    """`doc` with `ops` applied in order; raises `PatchError` (naming the operation's index)
    when one cannot be applied. `doc` is not changed."""
    out = copy.deepcopy(doc)
    for i, op in enumerate(ops):
        try:
            out = _op(out, op)
        except PatchError as e:
            raise PatchError(f"operation {i}: {e}") from None
    return out
