"""YAML read exactly as kubectl reads it (go-yaml v2 into interface{}, sigs.k8s.io/yaml's JSON
conversion, apimachinery's document splitter and numbers, cli-runtime's BOM override): every
implicit tag where PyYAML resolves differently, keys, merges, tags, separators, encodings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from podgate.errors import LoadError
from podgate.io import fastyaml
from podgate.io.loader import load_documents, load_text


@pytest.fixture(autouse=True, params=["fast", "libyaml"])
def yaml_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every case here runs through both YAML paths: rapidyaml's (which hands to libyaml what
    it cannot prove identical) and libyaml's alone."""
    if request.param == "libyaml":
        monkeypatch.setattr(fastyaml, "_RYML", None)
    return str(request.param)


def value_of(scalar: str) -> Any:
    """What kubectl makes of `x: SCALAR` in a Pod."""
    docs = list(load_text(f"kind: Pod\nspec: {{}}\nx: {scalar}\n", "f.yaml"))
    return docs[0].obj["x"]


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        pytest.param("=", "=", id="equals-sign-is-a-string-not-pyyaml-value-tag"),
        pytest.param("2001-12-14", "2001-12-14", id="date-stays-its-text"),
        pytest.param("2001-12-14T21:59:43.10Z", "2001-12-14T21:59:43.10Z", id="timestamp-text"),
        pytest.param("1:30", "1:30", id="base-60-is-a-string-not-90"),
        pytest.param("0o17", 15, id="0o-octal-is-an-int"),
        pytest.param("017", 15, id="leading-zero-octal"),
        pytest.param("0x1F", 31, id="hex"),
        pytest.param("0b101", 5, id="binary-int"),
        pytest.param("-0b11", -3, id="negative-binary-int"),
        pytest.param("1_000", 1000, id="underscored-int"),
        pytest.param("+12", 12, id="plus-sign-int"),
        pytest.param("08", 8, id="08-is-a-number-via-float"),
        pytest.param("1e3", 1000, id="exponent-without-dot-is-a-number"),
        pytest.param("1.0", 1, id="whole-float-becomes-an-int-through-json"),
        pytest.param("1.5", 1.5, id="float"),
        pytest.param(".5", 0.5, id="leading-dot-float"),
        pytest.param("1e999", "1e999", id="float-out-of-range-is-a-string"),
        pytest.param("9223372036854775808", 9.223372036854776e18, id="uint64-becomes-float"),
        pytest.param("99999999999999999999999", 1e23, id="past-uint64-is-a-float"),
        pytest.param("y", True, id="y-is-true"),
        pytest.param("N", False, id="N-is-false"),
        pytest.param("yes", True, id="yes"),
        pytest.param("on", True, id="on"),
        pytest.param("off", False, id="off"),
        pytest.param("~", None, id="tilde-is-null"),
        pytest.param("", None, id="empty-is-null"),
        pytest.param("<<", "<<", id="merge-sign-as-a-value-is-a-string"),
        pytest.param("'yes'", "yes", id="quoted-stays-a-string"),
        pytest.param("! yes", "yes", id="non-specific-tag-is-a-string"),
        pytest.param("!!str 12", "12", id="explicit-str"),
        pytest.param("!!int '12'", 12, id="explicit-int-on-quoted"),
        pytest.param("!!float 1", 1, id="explicit-float-on-int-is-whole"),
        pytest.param("!!bool yes", True, id="explicit-bool"),
        pytest.param("!!timestamp 2001-01-01", "2001-01-01", id="explicit-timestamp-text"),
        pytest.param("!!binary aGVsbG8=", "hello", id="binary-is-decoded"),
        pytest.param("!!binary /w==", "\ufffd", id="binary-invalid-utf8-replaced"),
        pytest.param("!custom text", "text", id="unknown-tag-ignored"),
    ],
)
def test_scalar_reads_as_kubectl_reads_it(scalar: str, expected: Any) -> None:
    got = value_of(scalar)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize(
    ("scalar", "message"),
    [
        pytest.param(".inf", "+Inf is not a JSON number", id="inf"),
        pytest.param("-.Inf", "-Inf is not a JSON number", id="negative-inf"),
        pytest.param(".nan", "NaN is not a JSON number", id="nan"),
        pytest.param("!!int foo", "cannot decode !!str `foo` as a !!int", id="bad-explicit-int"),
        pytest.param("!!int 1.5", "cannot decode !!float `1.5` as a !!int", id="float-as-int"),
        pytest.param("!!null x", "cannot decode !!str `x` as a !!null", id="bad-explicit-null"),
        pytest.param("!!timestamp x", "as a !!timestamp", id="bad-explicit-timestamp"),
        pytest.param("!!binary a", "invalid base64", id="bad-base64"),
        pytest.param("{~: a}", "null map key", id="null-key"),
        pytest.param("{? [a]: b}", "invalid map key: a list", id="list-key"),
        pytest.param("{9223372036854775808: a}", "uint64", id="uint64-key"),
        pytest.param("{1: a, '1': b}", "both become '1'", id="int-and-string-keys-collide"),
        pytest.param("{true: a, 'true': b}", "both become 'true'", id="bool-and-string-collide"),
    ],
)
def test_value_kubectl_refuses_is_refused_with_its_line(scalar: str, message: str) -> None:
    with pytest.raises(LoadError, match="kubectl refuses") as err:
        value_of(scalar)
    assert message in str(err.value)
    assert err.value.line == 3


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        pytest.param("{80: http}", {"80": "http"}, id="int-key"),
        pytest.param("{0x10: a}", {"16": "a"}, id="hex-key-in-decimal"),
        pytest.param("{yes: a, n: b}", {"true": "a", "false": "b"}, id="bool-keys"),
        pytest.param("{1.5: a, 0.1: b}", {"1.5": "a", "0.1": "b"}, id="float-keys"),
        pytest.param("{1e6: a, 1.1e-5: b}", {"1e+06": "a", "1.1e-05": "b"}, id="float32-g-format"),
        pytest.param("{3.14159265358979: a}", {"3.1415927": "a"}, id="float-key-at-32-bits"),
        pytest.param("{.inf: a, .nan: b}", {".inf": "a", ".nan": "b"}, id="inf-nan-keys"),
        pytest.param("{2001-01-01: a}", {"2001-01-01": "a"}, id="timestamp-key"),
        pytest.param("{a: 1, a: 2}", {"a": 2}, id="duplicate-key-last-wins"),
    ],
)
def test_map_keys_become_json_strings(mapping: str, expected: dict[str, Any]) -> None:
    assert value_of(mapping) == expected


def test_merge_key_after_explicit_key_overrides_it_as_go_yaml_does() -> None:
    # PyYAML keeps the explicit `privileged: false`; kubectl applies a privileged pod
    text = (
        "kind: Pod\nbase: &b {privileged: true}\n"
        "spec:\n  securityContext:\n    privileged: false\n    <<: *b\n"
    )
    obj = next(load_text(text, "f.yaml")).obj
    assert obj["spec"]["securityContext"] == {"privileged": True}


def test_merge_key_before_explicit_key_is_overridden_by_it() -> None:
    text = "kind: Pod\nbase: &b {privileged: true}\nspec:\n  <<: *b\n  privileged: false\n"
    assert next(load_text(text, "f.yaml")).obj["spec"] == {"privileged": False}


def test_merge_of_a_sequence_lets_earlier_maps_win() -> None:
    assert value_of("{<<: [{a: 1}, {a: 2, b: 2}]}") == {"a": 1, "b": 2}


def test_merge_of_a_scalar_is_refused() -> None:
    with pytest.raises(LoadError, match="map merge requires map"):
        value_of("{<<: 1}")


def test_quoted_merge_sign_is_an_ordinary_key() -> None:
    assert value_of("{'<<': {a: 1}}") == {"<<": {"a": 1}}


def test_alias_values_are_copies_and_keep_go_semantics() -> None:
    assert value_of("[&a y, *a]") == [True, True]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        pytest.param(
            "kind: Pod\nspec: {}\n--- !!map\nkind: Pod\n",
            "invalid Yaml document separator: !!map",
            3,
            id="tag-after-separator",
        ),
        pytest.param(
            "kind: Pod\nspec: {}\n---foo\n", "invalid Yaml document separator: foo", 3, id="glued"
        ),
        pytest.param(
            "kind: Pod\nspec: {}\n...\nkind: Pod\nspec: {}\n",
            "kubectl reads only the first",
            1,
            id="second-document-after-document-end-marker",
        ),
    ],
)
def test_document_splitting_kubectl_refuses(text: str, message: str, line: int) -> None:
    with pytest.raises(LoadError) as err:
        list(load_text(text, "f.yaml"))
    assert message in str(err.value)
    assert err.value.line == line


# go-yaml v2 (scannerc.go, yaml_parser_scan_flow_scalar) reads `\'` in double quotes as a
# quote and refuses `\/`; libyaml does the opposite (io/quoted.py)
@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        pytest.param(r'"it\'s"', "it's", id="quote-escape"),
        pytest.param(r'"\'a\' and \'b\'"', "'a' and 'b'", id="several-in-one-string"),
        pytest.param(r'"a\\\'b"', "a\\'b", id="escaped-backslash-then-quote-escape"),
        pytest.param(r'"a\\/b"', "a\\/b", id="escaped-backslash-then-slash"),
        pytest.param(r'"a\x27b"', "a'b", id="hex-quote-as-written"),
        pytest.param(r"'C:\'", "C:\\", id="single-quoted-backslash-ends-it"),
        pytest.param(r"'a\/b'", "a\\/b", id="slash-in-single-quotes-is-text"),
        pytest.param(r"a\/b\'c", "a\\/b\\'c", id="plain-scalar-is-text"),
        pytest.param("|\n  a\\/b\\'c", "a\\/b\\'c\n", id="block-scalar-is-text"),
        pytest.param(r'"x" # a\/b \'c', "x", id="in-a-comment"),
        pytest.param("\"one \\'\n  two \\'\"", "one ' two '", id="spanning-lines"),
        pytest.param(r'{"k\'": "v\'"}', {"k'": "v'"}, id="in-a-key-and-a-flow-map"),
        pytest.param(r'["a\'", b, "c\'"]', ["a'", "b", "c'"], id="in-a-flow-list"),
    ],
)
def test_double_quoted_escapes_read_as_go_yaml_reads_them(scalar: str, expected: Any) -> None:
    assert value_of(scalar) == expected


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param('kind: Pod\nspec: {}\nx: "a\\/b"\n', 3, id="slash-escape"),
        pytest.param('kind: Pod\nspec: {}\nx: "a\\\'b \\/"\n', 3, id="after-a-quote-escape"),
        pytest.param('kind: Pod\nspec: {}\nx: "a\n\n  b\\/"\n', 5, id="on-a-later-line"),
        pytest.param('kind: Pod\nspec: {}\n"k\\/": v\n', 3, id="in-a-key"),
        pytest.param('kind: Pod\nspec: {}\nx: "a\\qb"\n', 3, id="unknown-to-both"),
        pytest.param('kind: Pod\nspec: {}\nx: "\\\'"\ny: "\\q"\n', 4, id="unknown-after-quote"),
    ],
)
def test_an_escape_go_yaml_does_not_know_is_refused_at_its_line(text: str, line: int) -> None:
    with pytest.raises(LoadError, match="found unknown escape character") as err:
        list(load_text(text, "f.yaml"))
    assert err.value.line == line


def test_quote_escapes_in_many_strings_are_read_up_to_a_bound() -> None:
    from podgate.io.quoted import MAX_QUOTE_REWRITES

    def pod(strings: int) -> str:
        env = "".join(f'- "v{i}\\\'"\n' for i in range(strings))
        return f"kind: Pod\nspec: {{}}\nx:\n{env}"

    (doc,) = load_text(pod(MAX_QUOTE_REWRITES), "f.yaml")
    assert doc.obj["x"][-1] == f"v{MAX_QUOTE_REWRITES - 1}'"
    with pytest.raises(LoadError, match="double-quoted strings hold the escape") as err:
        list(load_text(pod(MAX_QUOTE_REWRITES + 1), "f.yaml"))
    assert err.value.line == 1


def test_a_pod_whose_strings_use_quote_escapes_is_judged_and_located(tmp_path: Path) -> None:
    from podgate.io.locate import Locator
    from podgate.k8s.source import Source

    f = tmp_path / "pod.yaml"
    f.write_text(
        'kind: Pod\nmetadata: {name: "it\\\'s", labels: {"a\\\'": "b\\\'"}}\n'
        'spec: {containers: [{name: "c\\\'", securityContext: {privileged: true}}]}\n'
    )
    (doc,) = load_documents([str(f)])
    assert doc.obj["metadata"] == {"name": "it's", "labels": {"a'": "b'"}}
    source = Source(doc.file, doc.index, doc.line, None)
    # columns as written (each `\'` two characters), though libyaml read `\x27` there
    assert Locator()(source, ("metadata", "labels")) == (2, 27)
    assert Locator()(source, ("spec", "containers", 0, "securityContext")) == (3, 35)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("|", "ALL\n", id="literal-clip"),
        pytest.param(">", "ALL\n", id="folded-clip"),
        pytest.param("|+", "ALL\n", id="literal-keep"),
        pytest.param("|-", "ALL", id="literal-strip"),
    ],
)
def test_block_scalar_on_a_last_line_without_line_break_ends_as_kubectl_ends_it(
    header: str, expected: str
) -> None:
    # kubectl's LineReader ends every line it hands on with "\n", the last one too, so
    # `drop: [ALL]` written this way drops "ALL\n", which PSS restricted refuses
    text = f"kind: Pod\nspec: {{}}\ndrop:\n- {header}\n  ALL"
    assert next(load_text(text, "f.yaml")).obj["drop"] == [expected]


def test_separator_with_a_comment_splits_and_pieces_are_counted_as_kubectl_cuts_them() -> None:
    text = "# header\n--- # first\nkind: Pod\nspec: {}\n---\n---\nkind: Pod\nspec: {}\n"
    docs = list(load_text(text, "f.yaml"))
    assert [(d.index, d.line) for d in docs] == [(1, 3), (2, 7)]


def _pod_yaml() -> str:
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: café\nspec:\n  hostPID: true\n"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_as_powershell_writes_it_is_read_whole(tmp_path: Path, codec: str) -> None:
    # kubectl's FileVisitor decodes a UTF-16 BOM before splitting: every document is read
    text = _pod_yaml() + "---\r\n" + _pod_yaml().replace("café", "second")
    bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
    f = tmp_path / "pods.yaml"
    f.write_bytes(bom + text.encode(codec))
    docs = load_documents([str(f)])
    assert [(d.obj["metadata"]["name"], d.line) for d in docs] == [("café", 1), ("second", 8)]


def test_utf8_bom_is_dropped_for_yaml_and_json(tmp_path: Path) -> None:
    y = tmp_path / "a.yaml"
    y.write_bytes(b"\xef\xbb\xbfkind: Pod\nspec: {}\n")
    j = tmp_path / "b.json"
    j.write_bytes(b'\xef\xbb\xbf{"kind": "Pod", "spec": {"x": 1.0}}')
    docs = load_documents([str(y), str(j)])
    assert [d.obj["kind"] for d in docs] == ["Pod", "Pod"]
    assert docs[1].obj["spec"]["x"] == 1.0  # read as JSON (orjson), as kubectl does


def test_invalid_utf8_is_replaced_as_kubectl_replaces_it(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes("kind: Pod\nspec: {}\nmetadata: {name: caf\xe9}\n".encode("latin-1"))
    assert load_documents([str(f)])[0].obj["metadata"]["name"] == "caf\ufffd"


def test_json_stream_of_objects_is_read_one_after_another() -> None:
    text = '{"kind": "Pod", "spec": {}}\n{"kind": "Pod", "spec": {}, "x": 2}\n'
    docs = list(load_text(text, "f.json"))
    assert [(d.index, d.line, d.obj.get("x")) for d in docs] == [(0, 1, None), (1, 2, 2)]


def test_json_object_then_yaml_is_read_as_kubectl_switches_to_yaml() -> None:
    text = '{"kind": "Pod", "spec": {}}\n---\nkind: Pod\nspec: {}\nx: y\n'
    docs = list(load_text(text, "f.yaml"))
    assert [(d.line, d.obj.get("x")) for d in docs] == [(1, None), (3, True)]


def test_yaml_in_a_json_named_file_is_read_as_yaml(tmp_path: Path) -> None:
    f = tmp_path / "pod.json"
    f.write_text("kind: Pod\nspec: {}\n")
    assert load_documents([str(f)])[0].obj == {"kind": "Pod", "spec": {}}


def test_brace_text_that_is_neither_json_nor_yaml_reports_the_json_error() -> None:
    with pytest.raises(LoadError, match="invalid JSON"):
        list(load_text('{"kind": "Pod",\n "x": }', "f.yaml"))


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        pytest.param("{! yes: a}", {"yes": "a"}, id="non-specific-tag-on-a-key"),
        pytest.param("&x ! 12", "12", id="anchor-then-non-specific-tag"),
        pytest.param('! "12"', "12", id="non-specific-tag-on-a-quoted-scalar"),
        pytest.param("! .inf", ".inf", id="non-specific-tag-keeps-inf-a-string"),
    ],
)
def test_non_specific_tag_reads_a_string_as_go_yaml_does(scalar: str, expected: Any) -> None:
    assert value_of(scalar) == expected


def test_locator_finds_fields_in_pieces_as_the_loader_numbers_them(tmp_path: Path) -> None:
    from podgate.io.locate import Locator
    from podgate.k8s.source import Source

    f = tmp_path / "pods.yaml"
    f.write_text("# header\n---\nkind: Pod\nspec: {}\n---\nkind: Pod\nspec:\n  hostPID: true\n")
    docs = load_documents([str(f)])
    second = docs[1]
    source = Source(second.file, second.index, second.line, second.item)
    assert Locator()(source, ("spec", "hostPID")) == (8, 3)


def test_locator_reads_utf16_files(tmp_path: Path) -> None:
    from podgate.io.locate import Locator
    from podgate.k8s.source import Source

    f = tmp_path / "pod.yaml"
    f.write_bytes(b"\xff\xfe" + "kind: Pod\nspec:\n  hostPID: true\n".encode("utf-16-le"))
    (doc,) = load_documents([str(f)])
    assert Locator()(Source(doc.file, doc.index, doc.line, None), ("spec", "hostPID")) == (3, 3)
