"""A JSON number beyond a 64-bit float's range (`1e400`, `-1e400`, an integer of 309 digits or
more) is refused as kubectl refuses it: apimachinery's decoder (sigs.k8s.io/json) parses a
number with `strconv.ParseFloat(s, 64)`, which answers such a number with a range error, and
the object fails with `json: cannot unmarshal number 1e400 into Go value of type float64`.
podgate read it as infinity. Now every command exits 2 with one line naming the file, the
document, the line and the field; the webhook answers 400 naming the field.

In YAML the same text is a string: go-yaml v2 resolves a plain scalar by `ParseFloat` too, and
on its range error keeps the scalar as the string it is (`x: 1e400` is "1e400"), which
sigs.k8s.io/yaml hands on as a JSON string; `!!float 1e400` is refused."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.errors import LoadError
from podgate.io.loader import load_documents

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_HEAD = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, '
_SPEC = '"spec": {"containers": [{"name": "c", "image": "i", "securityContext": {"runAsUser": 5}}]'


def _pod(number: str) -> str:
    return _HEAD + _SPEC + ', "x": ' + number + "}}\n"


def _refused(tmp_path: Path, name: str, text: str, *, trim: bool = False) -> LoadError:
    file = tmp_path / name
    file.write_text(text)
    with pytest.raises(LoadError) as caught:
        load_documents([str(file)], trim=trim)
    return caught.value


@pytest.mark.parametrize(
    "number",
    ["1e400", "-1e400", "1E+400", "1.8e308", "0.1e310", "1" + "0" * 309, "-" + "9" * 5000],
    ids=["1e400", "-1e400", "1E+400", "1.8e308", "0.1e310", "310-digits", "-5000-digits"],
)
def test_a_number_beyond_a_floats_range_is_refused_naming_its_field(
    tmp_path: Path, number: str
) -> None:
    error = _refused(tmp_path, "pod.json", _pod(number))
    assert (error.document, error.line) == (0, 1)
    assert error.reason.startswith(f"spec.x: number {number[:32]}")
    assert "beyond a 64-bit float's range, which kubectl refuses (json: cannot unmarshal" in (
        error.reason
    )
    assert "\n" not in str(error)


def test_the_line_is_the_fields_and_the_document_the_one_holding_it(tmp_path: Path) -> None:
    """The second value of a JSON stream, pretty-printed: document 1, the line of the field."""
    second = json.dumps(json.loads(_pod("1")), indent=2).replace('"x": 1', '"x": -1e400')
    text = _pod("1") + second + "\n"
    error = _refused(tmp_path, "pods.json", text)
    assert error.document == 1
    assert text.splitlines()[error.line - 1 if error.line else 0].strip() == '"x": -1e400'


@pytest.mark.parametrize("name", ["pod.yaml", "pod.json"])
def test_json_in_a_yaml_file_and_text_that_is_not_ascii_are_refused_alike(
    tmp_path: Path, name: str
) -> None:
    """kubectl reads text that starts with `{` as JSON whatever the file's name."""
    error = _refused(tmp_path, name, _pod("1e400").replace('"p"', '"p\u00e9"'))
    assert error.reason.startswith("spec.x: number 1e400 ")


def test_an_item_of_a_list_names_the_item(tmp_path: Path) -> None:
    item = json.loads(_pod("1"))
    item["status"] = {"phase": "X", "n": 1}
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": [json.loads(_pod("1")), item]})
    error = _refused(tmp_path, "list.json", text.replace('"n": 1', '"n": 1e999'))
    assert error.reason.startswith("items[1].status.n: number 1e999 ")


@pytest.mark.parametrize(
    "number",
    ["1e400", "-1E+400", "1.5e0400", "1" + "0" * 400 + ".0", "1" + "0" * 400 + "e-1"],
    ids=["exponent", "signed-exponent", "long-exponent", "digits-then-point", "digits-then-e"],
)
def test_a_snapshot_read_trimmed_refuses_a_number_beyond_range_in_a_skipped_field(
    tmp_path: Path, number: str
) -> None:
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": [json.loads(_pod("1"))]})
    text = text.replace('"x": 1', f'"x": {number}')
    error = _refused(tmp_path, "list.json", text, trim=True)
    assert error.reason.startswith(f"items[0].spec.x: number {number[:20]}")
    assert "beyond a 64-bit float's range" in error.reason


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1e308, "b": -1.5e-400, "c": [1e100, 2E+299]}',  # within range, or under
        '{"uid": "3e456f00-1e100-4e999", "d": "sha256:0e400"}',  # strings
        '{"n": 123456789012345678}',  # an integer of 18 digits
    ],
    ids=["in-range", "strings-like-numbers", "short-integer"],
)
def test_what_a_snapshot_holds_in_range_or_in_strings_leaves_it_read_trimmed(text: str) -> None:
    from podgate.io.snapshot import read_as_orjson

    assert read_as_orjson(text.encode(), 100)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1e400}',
        '{"a": [0, -1e400]}',
        '{"a":1' + "0" * 19 + "}",
        '{"a": 1' + "0" * 400 + ".5}",
    ],
    ids=["exponent", "in-a-list", "long-integer", "long-float"],
)
def test_a_number_beyond_range_or_64_bits_sends_a_snapshot_the_usual_way(text: str) -> None:
    from podgate.io.snapshot import read_as_orjson

    assert not read_as_orjson(text.encode(), 100)


@pytest.mark.parametrize(
    ("number", "value"),
    [
        ("1.7976931348623157e308", 1.7976931348623157e308),  # the largest float64
        ("-1e308", -1e308),
        ("1e-400", 0.0),  # below the smallest: ParseFloat gives 0 without an error
        ("1" + "0" * 308, 1e308),  # past uint64: a float, as orjson and Go read it
        ("-9223372036854775809", -9.223372036854776e18),
        ("18446744073709551615", 2**64 - 1),
    ],
    ids=["max", "min", "under", "long", "past-int64", "uint64"],
)
def test_numbers_within_range_are_read(tmp_path: Path, number: str, value: Any) -> None:
    """Read as before, by the fast decoder and by the stream's (a second value after it)."""
    for text in (_pod(number), _pod("1") + _pod(number)):
        file = tmp_path / "pods.json"
        file.write_text(text)
        got = load_documents([str(file)])[-1].obj["spec"]["x"]
        assert got == value and not (isinstance(got, float) and math.isinf(got))


@pytest.mark.parametrize(
    "value",
    ["1e400", "-1e400", "1E+400", ".5e400", "1_0e400", "1" + "0" * 400],
    ids=["1e400", "-1e400", "1E+400", ".5e400", "1_0e400", "401-digits"],
)
def test_in_yaml_a_plain_number_beyond_range_is_the_string_go_yaml_keeps(
    tmp_path: Path, yaml_path: str, value: str
) -> None:
    text = (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  x: {value}\n  z: [{value}]\n"
    )
    file = tmp_path / "pod.yaml"
    file.write_text(text)
    (doc,) = load_documents([str(file)])
    assert doc.obj["spec"] == {"x": value, "z": [value]}


def test_in_yaml_a_float_tag_on_a_number_beyond_range_is_refused(
    tmp_path: Path, yaml_path: str
) -> None:
    error = _refused(tmp_path, "pod.yaml", "kind: Pod\nspec:\n  x: !!float 1e400\n")
    assert (error.document, error.line) == (0, 3)
    assert "cannot decode !!str `1e400` as a !!float" in error.reason


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("scan", "{file}"),
        ("scan", "{file}", "-o", "sarif"),
        ("pss", "{file}", "--level", "restricted"),
        ("admit", "{file}", "--policy", "builtin:restricted"),
        ("lint", "{file}"),
    ],
    ids=lambda c: "-".join(c[:1] + c[2:3]),
)
def test_every_command_exits_2_with_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    file = tmp_path / "pod.json"
    text = json.dumps(json.loads(_pod("1")), indent=1).replace(
        '"runAsUser": 5', '"runAsUser": 1e400'
    )
    file.write_text(text)
    code, out, err = _run(*(part.format(file=file) for part in command))
    assert (code, out) == (2, "")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "1e400" in t)
    assert err == (
        f"podgate: error: {file}: document 0 (line {line}): spec.containers[0].securityContext"
        ".runAsUser: number 1e400 is beyond a 64-bit float's range, which kubectl refuses "
        "(json: cannot unmarshal number 1e400 into Go value of type float64)\n"
    )


def test_a_policy_given_to_admit_is_refused_alike(tmp_path: Path) -> None:
    policy = tmp_path / "psp.json"
    spec = '{"privileged": false, "seLinux": {"rule": "RunAsAny"}, "x": 1e400}'
    policy.write_text(
        '{"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", '
        f'"metadata": {{"name": "a"}}, "spec": {spec}}}'
    )
    code, _, err = _run("admit", str(EXAMPLES / "pods" / "debug.yaml"), "--policy", str(policy))
    assert code == 2 and err.count("\n") == 1
    assert f"{policy}: document 0 (line 1): spec.x: number 1e400 is beyond" in err
