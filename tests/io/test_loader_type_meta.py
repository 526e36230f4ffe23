"""`kind` and `apiVersion` that are not strings: the API server (and kubectl) refuse such an
object, so podgate refuses it as bad input (exit 2, naming the file, the item and the field),
on every path a file is read by: YAML, JSON, and the trimmed decode of a snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podgate.errors import LoadError
from podgate.io.loader import load_documents
from tests.conftest import RunScan

PRIVILEGED = {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": True}}]}


def _list_with(item: dict[str, object]) -> str:
    ok = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok"}, "spec": PRIVILEGED}
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [ok, item]})


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        ("kind", ["Pod"], "a list"),
        ("kind", {"a": 1}, "an object"),
        ("kind", 5, "a number"),
        ("apiVersion", ["v1"], "a list"),
        ("apiVersion", True, "a boolean"),
    ],
)
@pytest.mark.parametrize("trim", [False, True])
def test_a_list_item_whose_kind_or_api_version_is_no_string_is_refused_naming_item_and_field(
    tmp_path: Path, field: str, value: object, what: str, trim: bool
) -> None:
    item = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"}, "spec": PRIVILEGED}
    item[field] = value
    f = tmp_path / "snap.json"
    f.write_text(_list_with(item))
    with pytest.raises(LoadError) as e:
        load_documents([str(f)], trim=trim)
    assert str(e.value) == (
        f"{f}: document 0 (line 1): items[1]: {field} is {what}, not a string "
        "(the API server rejects it)"
    )


def test_a_yaml_document_whose_kind_is_a_list_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "pod.yaml"
    f.write_text("apiVersion: v1\nkind: [Pod]\nmetadata: {name: x}\nspec: {}\n")
    with pytest.raises(LoadError, match=r"document 0 \(line 1\): kind is a list, not a string"):
        load_documents([str(f)])


def test_an_api_version_of_another_type_is_kept_on_a_file_without_kind(tmp_path: Path) -> None:
    # no Kubernetes object (a values file read beside manifests): kept and not counted
    f = tmp_path / "values.yaml"
    f.write_text("apiVersion: [1, 2]\nreplicas: 3\n")
    assert [d.obj for d in load_documents([str(f)])] == [{"apiVersion": [1, 2], "replicas": 3}]


def test_scan_of_a_snapshot_with_a_list_valued_kind_exits_2_not_3(
    tmp_path: Path, run_scan: RunScan
) -> None:
    item = {"apiVersion": "v1", "kind": ["Pod"], "metadata": {"name": "q"}, "spec": PRIVILEGED}
    f = tmp_path / "snap.json"
    f.write_text(_list_with(item))
    ran = run_scan(str(f), "-o", "json", "--quiet")
    assert ran.exit_code == 2
    assert "items[1]: kind is a list, not a string (the API server rejects it)" in ran.stderr
    assert ran.stdout == ""
