"""The loader's depth limit at its boundary, for the fast paths: JSON read from its brackets
(strings holding brackets, quotes and escapes must not count) and plain YAML built in one pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podgate.errors import LoadError
from podgate.io.loader import MAX_DEPTH, load_documents

TRICKY = ['[{"', "]}\\", '\\"[[', "\\\\", '""', "é[", ""]


def _nested(depth: int) -> object:
    """An object whose deepest array or object is at `depth` (the outermost at 1), with strings
    full of brackets, quotes and backslashes along the way."""
    value: object = {"leaf": TRICKY}
    for i in range(depth - 3):  # the outermost object, then the leaf object and its list
        value = [TRICKY[i % len(TRICKY)], value] if i % 2 else {TRICKY[i % len(TRICKY)]: value}
    return {"kind": "Pod", "spec": value}


@pytest.mark.parametrize("ascii_only", [True, False])
@pytest.mark.parametrize(("depth", "ok"), [(MAX_DEPTH, True), (MAX_DEPTH + 1, False)])
def test_json_depth_boundary(tmp_path: Path, depth: int, ok: bool, ascii_only: bool) -> None:
    f = tmp_path / "deep.json"
    f.write_text(json.dumps(_nested(depth), ensure_ascii=ascii_only), encoding="utf-8")
    if ok:
        assert load_documents([str(f)])[0].obj == _nested(depth)
    else:
        with pytest.raises(LoadError, match=f"deeper than {MAX_DEPTH}"):
            load_documents([str(f)])


@pytest.mark.parametrize(("depth", "ok"), [(MAX_DEPTH, True), (MAX_DEPTH + 1, False)])
def test_yaml_depth_boundary(tmp_path: Path, depth: int, ok: bool) -> None:
    f = tmp_path / "deep.yaml"
    f.write_text("kind: Pod\nspec: {}\nx: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n")
    if ok:
        assert load_documents([str(f)])[0].obj["kind"] == "Pod"
    else:
        with pytest.raises(LoadError, match=f"deeper than {MAX_DEPTH}"):
            load_documents([str(f)])


def test_yaml_aliases_and_merge_keys_take_the_checked_path(tmp_path: Path) -> None:
    f = tmp_path / "anchors.yaml"
    f.write_text("kind: Pod\nbase: &b {a: 1, on: yes}\nspec: {<<: *b, c: 0x10}\n")
    obj = load_documents([str(f)])[0].obj
    assert obj["spec"] == {"a": 1, "true": True, "c": 16}
