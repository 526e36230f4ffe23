"""An item of a List (`kubectl get -o json`, a PodList, a YAML `items:` list) that is refused is
named in the error: `items[N]: ` before what is wrong with it, at the line the item starts on.
The loader gives every item of a JSON list the list's own line (1), so a bad item among
thousands, unnamed or not, was only "document 0 (line 1)": its line is found again in the
file on the way to the error (`io.locate.item_line`); an item of a YAML list has its own line
already (its `-`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from podgate.cli.main import cli

_COMMANDS = [
    ("scan", "{file}"),
    ("scan", "{file}", "-o", "json"),
    ("pss", "{file}", "--level", "restricted"),
    ("admit", "{file}", "--policy", "builtin:privileged"),
    ("advise", "{file}"),
]


def _pod(name: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": "default"}
    if name is not None:
        meta["name"] = name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }


def _list(bad: Any, at: int, count: int = 4) -> dict[str, Any]:
    items: list[Any] = [_pod(f"p{i}") for i in range(count)]
    items[at] = bad
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def _write(tmp_path: Path, form: str, data: dict[str, Any]) -> Path:
    file = tmp_path / f"list.{form}"
    if form == "json":  # as kubectl writes it
        file.write_text(json.dumps(data, indent=4) + "\n")
    else:
        file.write_text(yaml.safe_dump(data, sort_keys=False))
    return file


def _item_line(file: Path, form: str, at: int) -> int:
    """The line item `at` starts on, found in the text as a reader would: its `kind` key in
    JSON (the locator's line for an object), its `-` in YAML."""
    lines = file.read_text().splitlines()
    if form == "json":
        kinds = [n for n, line in enumerate(lines, 1) if line.strip() == '"kind": "Pod",']
        return kinds[at]
    dashes = [n for n, line in enumerate(lines, 1) if line.startswith("- ")]
    return dashes[at]


def _run(command: tuple[str, ...], file: Path) -> tuple[int, str]:
    args = [part.format(file=file) for part in command]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stderr


@pytest.mark.parametrize("command", _COMMANDS, ids=lambda c: "-".join(c[:1] + c[2:3]))
@pytest.mark.parametrize("form", ["json", "yaml"])
@pytest.mark.parametrize("at", [0, 2, 3])
def test_a_pod_of_the_wrong_shape_is_named_at_its_line(
    tmp_path: Path, command: tuple[str, ...], form: str, at: int
) -> None:
    bad = _pod(f"p{at}")
    bad["metadata"]["labels"] = ["not", "a", "mapping"]
    file = _write(tmp_path, form, _list(bad, at))
    line = _item_line(file, form, at)
    assert line > 1
    assert _run(command, file) == (
        2,
        f"podgate: error: {file}: document 0 (line {line}): items[{at}]: Pod 'p{at}' is not "
        "valid: metadata.labels: expected a mapping, got a list\n",
    )


@pytest.mark.parametrize("form", ["json", "yaml"])
def test_an_unnamed_item_is_found_by_its_index_and_line(tmp_path: Path, form: str) -> None:
    bad = _pod(None)
    bad["spec"]["securityContext"] = {"runAsUser": "root"}
    file = _write(tmp_path, form, _list(bad, 2, count=3000))
    line = _item_line(file, form, 2)
    assert _run(("scan", "{file}"), file) == (
        2,
        f"podgate: error: {file}: document 0 (line {line}): items[2]: Pod is not valid: "
        "spec.securityContext.runAsUser: expected an integer, got string 'root'\n",
    )


@pytest.mark.parametrize("form", ["json", "yaml"])
@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ("a string", "items[1] is not an object"),
        (
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
             "spec": {}},
            "items[1]: Deployment 'd' has no pod spec: spec.template is missing (the API server "
            "rejects it)",
        ),
        ({"kind": 7, "metadata": {"name": "x"}}, "items[1]: kind is a number, not a string "
         "(the API server rejects it)"),
        ({"kind": "List", "items": []}, "items[1] is itself a list: podgate does not read "
         "nested lists"),
    ],
    ids=["not-an-object", "no-pod-spec", "kind-a-number", "nested-list"],
)  # fmt: skip
def test_the_loaders_own_refusals_of_an_item_are_at_its_line(
    tmp_path: Path, form: str, bad: Any, said: str
) -> None:
    file = _write(tmp_path, form, _list(bad, 1))
    text = file.read_text().splitlines()
    if form == "json":  # the line the item opens on, or its `kind` when it is an object
        kinds = [n for n, line in enumerate(text, 1) if line.strip().startswith('"kind":')]
        line = kinds[2]  # (kinds[0]: the list's own; kinds[1]: item 0's)
        if isinstance(bad, str):
            line = next(n for n, line in enumerate(text, 1) if line.strip() == '"a string",')
    else:
        line = [n for n, line in enumerate(text, 1) if line.startswith("- ")][1]
    assert line > 1
    assert _run(("scan", "{file}"), file) == (
        2,
        f"podgate: error: {file}: document 0 (line {line}): {said}\n",
    )


def test_standard_input_keeps_the_lists_line(tmp_path: Path) -> None:
    """Standard input cannot be read again: the list's line is named."""
    bad = _pod("p1")
    bad["metadata"]["labels"] = ["x"]
    text = json.dumps(_list(bad, 1), indent=4)
    result = CliRunner().invoke(cli, ["scan", "-"], input=text, catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (
        2,
        "podgate: error: -: document 0 (line 1): items[1]: Pod 'p1' is not valid: "
        "metadata.labels: expected a mapping, got a list\n",
    )
