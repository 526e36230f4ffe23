"""Loading YAML and JSON: documents, lists, directories, line numbers, hostile input."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from podgate.errors import LoadError
from podgate.io.loader import load_documents

MULTI = """\
apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {}
---
# a comment, then an empty document
---
apiVersion: v1
kind: Pod
metadata:
  name: b
  labels: {on: yes}
spec: {}
"""


def test_multi_document_yaml_with_lines_and_yaml_1_1_booleans(tmp_path: Path) -> None:
    f = tmp_path / "pods.yaml"
    f.write_text(MULTI)
    docs = load_documents([str(f)])
    assert [(d.obj["metadata"]["name"], d.index, d.line) for d in docs] == [
        ("a", 0, 1),
        ("b", 2, 8),
    ]
    # YAML 1.1, as kubectl reads it: `on` and `yes` are booleans, and keys become JSON strings
    assert docs[1].obj["metadata"]["labels"] == {"true": True}


def test_v1_list_items_keep_their_lines(tmp_path: Path) -> None:
    f = tmp_path / "list.yaml"
    f.write_text(
        "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n  spec: {}\n"
        "- kind: Pod\n  metadata: {name: b}\n  spec: {}\n"
    )
    docs = load_documents([str(f)])
    assert [(d.item, d.line) for d in docs] == [(0, 4), (1, 7)]


def test_json_list_and_directory_recursion(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.json").write_text('{"kind": "PodList", "items": [{"spec": {}}]}')
    (tmp_path / "y.yml").write_text("kind: Pod\nspec: {}\n")
    (tmp_path / "ignored.txt").write_text("kind: Pod\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "z.yaml").write_text("kind: Pod\n")
    docs = load_documents([str(tmp_path)])
    assert sorted(Path(d.file).name for d in docs) == ["x.json", "y.yml"]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"kind: Pod\nspec: {}\n")))
    assert load_documents(["-"])[0].file == "-"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.yaml", "kind: Pod\nmetadata: [\n", "invalid YAML"),
        ("bad.json", '{"kind": "Pod",\n "x": }', "invalid JSON"),
        ("list.yaml", "- a\n- b\n", "expected a Kubernetes object"),
        (
            "bomb.yaml",
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
            "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
            "alias",
        ),
        ("cycle.yaml", "a: &a [*a]\n", "refers to itself"),
        ("deep.yaml", "a: " + "[" * 300 + "]" * 300 + "\n", "deeper than"),
        ("deep.json", "[" * 300 + "]" * 300, "deeper than"),
    ],
)
def test_bad_and_hostile_input(tmp_path: Path, name: str, content: str, message: str) -> None:
    f = tmp_path / name
    f.write_text(content)
    with pytest.raises(LoadError) as err:
        load_documents([str(f)])
    assert message in str(err.value)
    assert str(f) in str(err.value)


def test_yaml_error_names_document_and_line(tmp_path: Path) -> None:
    f = tmp_path / "two.yaml"
    f.write_text("kind: Pod\nspec: {}\n---\nkind: Pod\nmetadata: {name: [}\n")
    with pytest.raises(LoadError) as err:
        load_documents([str(f)])
    assert err.value.document == 1
    assert err.value.line == 5


def test_size_cap(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    f.write_text("kind: Pod\n" + "# padding\n" * 100)
    with pytest.raises(LoadError, match="over the limit of 100"):
        load_documents([str(f)], max_bytes=100)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        load_documents([str(tmp_path / "nope")])
