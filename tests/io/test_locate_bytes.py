"""The JSON locator keeps an ASCII list (a snapshot) as bytes (io/locate.py `_JsonItems`), never
as a str beside them, and finds every field where the text's locator (`_JsonText`) finds it:
same line and column for every item and every step, present or missing, however the list is
laid out; a list it cannot prove it reads alike (`items` written twice, a list that is no JSON)
is navigated as text."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from podgate.io.locate import Locator, _item_spans, _JsonItems, _JsonText
from podgate.k8s.field import FieldPath
from podgate.k8s.source import Source


def _pod(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"p{i}", "annotations": {"a.b/c": "x", "k": str(i)}},
        "spec": {
            "containers": [
                {"name": "a", "securityContext": {"privileged": i % 2 == 0}},
                {"name": "b", "ports": [{"containerPort": 80}, {"hostPort": i}]},
            ],
            "volumes": [{"name": "v", "hostPath": {"path": "/"}}],
        },
    }


PATHS: list[FieldPath] = [
    (),
    ("metadata",),
    ("metadata", "annotations", "a.b/c"),
    ("metadata", "annotations", "missing"),
    ("spec", "containers", 0, "securityContext", "privileged"),
    ("spec", "containers", 1, "ports", 1, "hostPort"),
    ("spec", "containers", 1, "ports", 5, "hostPort"),
    ("spec", "containers", 7),
    ("spec", "volumes", 0, "hostPath", "path"),
    ("spec", "containers", "a"),  # a name where a list is: stops at the list
    ("kind", "x"),
]


def _answers(text: str, items: int) -> list[tuple[int, int] | None]:
    whole = _JsonText(text)
    return [whole.locate(i, p) for i in range(items + 1) for p in PATHS]


def _located(data: bytes, items: int) -> list[tuple[int, int] | None]:
    spans = _item_spans(data)
    assert spans is not None
    found = _JsonItems(data, spans)
    return [found.locate(i, p) for i in range(items + 1) for p in PATHS]


@pytest.mark.parametrize("indent", [None, 1, 4])
@pytest.mark.parametrize("before", [0, 3, 70_000])
def test_every_field_of_every_item_is_where_the_text_locator_finds_it(
    indent: int | None, before: int
) -> None:
    """Pretty-printed or on one line, with keys before `items` longer than the first piece
    read (70,000 characters: the piece grows)."""
    pods = [_pod(i) for i in range(30)]
    doc: dict[str, Any] = {"apiVersion": "v1"}
    if before:
        doc["metadata"] = {"x": "y" * before, "n": 12345}
    doc.update({"items": pods, "kind": "List"})
    text = json.dumps(doc, indent=indent)
    assert _located(text.encode(), len(pods)) == _answers(text, len(pods))


def test_odd_whitespace_and_an_empty_list_are_read_alike() -> None:
    rnd = random.Random(5)
    for _ in range(20):
        pods = [_pod(i) for i in range(rnd.randrange(0, 4))]
        items = json.dumps(pods, indent=rnd.choice([None, 2]))
        items = items.replace(", ", rnd.choice([" ,\n\t", ",", ",\r\n "]))
        text = "\n " + '{"apiVersion": "v1" ,"items" :' + " \n" + items + '\n, "kind": "List"}\n'
        assert _located(text.encode(), len(pods)) == _answers(text, len(pods))


@pytest.mark.parametrize(
    "text",
    [
        # `items` written twice: msgspec, like the loader, reads the last
        '{"items": [{"kind": "Pod", "a": 1}], "items": [{"kind": "Pod", "b": 2}]}',
        '{"items": [{"kind": "Pod"}], "items": [{"kind": "Pod"}, {"kind": "Pod"}]}',
        '{"items": [{"kind": "Pod"}, {"kind": "Pod"}], "items": [{"kind": "Pod"}]}',
        '{"items": [{"kind": "Pod"}], "kind": "List", "items": [{"kind": "Pod"}]}',
        '{"items": [{"kind": "Pod"}], "items": null}',
        '{"items": [{"kind": "Pod"}], "kind": }',
        '{"items": [1, 2]} {"items": [3]}',  # two values: no list msgspec reads
        '{"items": {"a": 1}}',
        '{"kind": "List"}',
        "items: [1]",
    ],
)
def test_a_list_not_proved_to_read_alike_is_located_as_text(tmp_path: Path, text: str) -> None:
    assert _item_spans(text.encode()) is None
    if not text.startswith("{"):
        return  # YAML: the YAML locator's
    file = tmp_path / "s.json"
    file.write_text(text)
    locate = Locator()
    for item in (0, 1, 2):
        for path in (("a",), ("b",), ()):
            expected = _JsonText(text).locate(item, path)
            assert locate(Source(str(file), 0, 1, item), path) == expected


def test_items_written_twice_alike_are_located_in_the_last_as_text(tmp_path: Path) -> None:
    """The same bytes twice: the loader reads the last list (every decoder keeps the last
    key), so each element is found there, as text (the bytes' spans would point into the
    first)."""
    items = '[{"kind": "Pod", "a": 1},\n {"kind": "Pod", "a": 2}]'
    text = '{"items": ' + items + ',\n"items": ' + items + "}"
    file = tmp_path / "s.json"
    file.write_text(text)
    assert _item_spans(text.encode()) is None
    locate = Locator()
    got = [locate(Source(str(file), 0, 1, i), ("a",)) for i in (0, 1)]
    assert got == [(3, 27), (4, 18)] == [_JsonText(text).locate(i, ("a",)) for i in (0, 1)]


def test_a_snapshot_file_is_kept_as_bytes_and_located_as_text_would(tmp_path: Path) -> None:
    pods = [_pod(i) for i in range(40)]
    text = json.dumps({"apiVersion": "v1", "items": pods, "kind": "List"}, indent=2)
    file = tmp_path / "s.json"
    file.write_text(text)
    locate = Locator()
    got = [locate(Source(str(file), 0, 1, i), p) for i in range(41) for p in PATHS]
    assert isinstance(locate._json[str(file)], _JsonItems)
    assert got == _answers(text, len(pods))


def test_a_list_that_is_not_ascii_is_located_as_text(tmp_path: Path) -> None:
    pods = [_pod(i) for i in range(3)]
    pods[1]["metadata"]["annotations"]["a.b/c"] = "é✓"
    text = json.dumps({"apiVersion": "v1", "items": pods, "kind": "List"}, ensure_ascii=False)
    file = tmp_path / "s.json"
    file.write_text(text, encoding="utf-8")
    locate = Locator()
    got = [locate(Source(str(file), 0, 1, i), p) for i in range(4) for p in PATHS]
    assert isinstance(locate._json[str(file)], _JsonText)
    assert got == _answers(text, len(pods))
