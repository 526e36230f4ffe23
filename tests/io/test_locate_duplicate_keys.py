"""A key written twice in a JSON object: every decoder podgate reads with (orjson, msgspec,
Python's json) keeps the last value, as Go's encoding/json does for kubectl, so the locator
points at the last one too: a report's line is where the value that was judged is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podgate.io.loader import load_documents
from podgate.io.locate import Locator
from tests.conftest import RunScan

_POD = (
    ' {{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "{name}"}},\n'
    '  "spec": {{"containers": [{{"name": "c", "image": "i",'
    ' "securityContext": {{"privileged": {privileged}}}}}]}}}}\n'
)
LIST_WRITTEN_TWICE = (
    '{"kind": "List", "apiVersion": "v1", "items": [\n'
    + _POD.format(name="old", privileged="false")
    + '],\n"items": [\n'
    + _POD.format(name="new", privileged="true")
    + "]}\n"
)
PRIVILEGED = ("spec", "containers", 0, "securityContext", "privileged")


@pytest.mark.workdir({"list.json": LIST_WRITTEN_TWICE})
def test_a_finding_in_a_list_whose_items_are_written_twice_points_into_the_list_judged(
    workdir: Path, run_scan: RunScan
) -> None:
    ran = run_scan("list.json", "-o", "sarif", "--level", "baseline")
    assert ran.exit_code == 1, ran.stderr
    (result,) = json.loads(ran.stdout)["runs"][0]["results"]
    assert "Pod default/new" in result["message"]["text"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 7  # the second list's pod; the first list's is on line 3


@pytest.mark.parametrize(
    "text",
    [
        # a field written twice, the value read last
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},\n'
        ' "spec": {"containers": [{"name": "c", "securityContext": {"privileged": false}}]},\n'
        ' "spec": {"containers": [{"name": "c", "securityContext": {"privileged": true}}]}}\n',
        # the same within one object, and the key written with an escape the second time
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},\n'
        ' "spec": {"containers": [{"name": "c", "securityContext": {"privileged": false,\n'
        ' "privil\\u0065ged": true}}]}}\n',
        # `items` written twice identically: the lines of the second list
        '{"kind": "List", "apiVersion": "v1", "items": [\n'
        + _POD.format(name="p", privileged="true")
        + '],\n"items": [\n'
        + _POD.format(name="p", privileged="true")
        + "]}\n",
    ],
)
def test_the_line_located_holds_the_value_the_loader_read(tmp_path: Path, text: str) -> None:
    file = tmp_path / "f.json"
    file.write_text(text)
    (doc,) = load_documents([str(file)])
    assert doc.obj["spec"]["containers"][0]["securityContext"]["privileged"] is True
    line, column = Locator()(doc.source, PRIVILEGED) or (0, 0)
    assert text.splitlines()[line - 1][column - 1 :].split(",")[0].endswith(": true}}]}}")
    assert line == text.count("\n") - (0 if "List" not in text else 1)


def test_each_item_of_a_list_with_keys_after_its_items_is_located_in_place(
    tmp_path: Path,
) -> None:
    """Not ASCII, so navigated as text: learning whether `items` comes again means reading
    past the list (element by element, never decoded whole), and each item is still found."""
    pods = [json.loads(_POD.format(name=f"p\u00e9{i}", privileged="true")) for i in range(50)]
    doc = {"apiVersion": "v1", "items": pods, "kind": "List", "metadata": {}}
    text = json.dumps(doc, indent=1, ensure_ascii=False)
    file = tmp_path / "f.json"
    file.write_text(text)
    docs = load_documents([str(file)])
    locate = Locator()
    lines = text.splitlines()
    found = [locate(d.source, PRIVILEGED) for d in docs]
    assert len(set(found)) == 50
    for line, column in (f for f in found if f is not None):
        assert lines[line - 1][column - 1 :] == '"privileged": true'
