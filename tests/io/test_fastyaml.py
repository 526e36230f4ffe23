"""The rapidyaml fast path (`io/fastyaml.py`) gives exactly what the libyaml path gives: the same
objects (types and key order included), the same lines, the same errors, on every YAML document
of the test corpora and on generated YAML; and it hands back what it cannot prove identical."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
import ryml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.errors import LoadError
from podgate.io import fastyaml, yamldoc
from podgate.io.stream import Piece, SeparatorError, decode, json_start, pieces

ROOT = Path(__file__).resolve().parents[2]
CORPORA = [
    ROOT / "tests" / "corpus",
    ROOT / "tests" / "pss_fixtures",
    ROOT / "examples",
    ROOT / "tests" / "psp_conformance",
    ROOT.parent / "shared" / "conformance",
]


def outcome(text: str, fast: bool) -> Any:
    """Everything `yaml_documents` says about a text, in a form that tells 1 from 1.0 from
    True and keeps key order; or the error, with its file, document and line."""
    try:
        docs = list(yamldoc.yaml_documents(text, "f.yaml", fast=fast))
    except LoadError as e:
        return ("error", str(e), e.file, e.document, e.line)
    return [(i, line, orjson.dumps(value), items) for i, line, value, items in docs]


def assert_same(text: str) -> None:
    assert outcome(text, fast=True) == outcome(text, fast=False)


def fast_read(text: str) -> tuple[int, Any, list[int]] | None:
    reader = fastyaml.Reader()
    try:
        return reader.read(Piece(text, 1))
    finally:
        reader.close()


def slow_read(text: str) -> tuple[int, Any, list[int]] | None:
    found = yamldoc._read_piece(Piece(text, 1), "f.yaml", 0, yamldoc.Values())
    return None if found is None else found[1:]


# ---- the corpora ----


def _yaml_files() -> list[Path]:
    out: list[Path] = []
    for root in CORPORA:
        for dirpath, _, names in os.walk(root):
            out.extend(
                Path(dirpath, n) for n in sorted(names) if n.endswith((".yaml", ".yml", ".json"))
            )
    return sorted(out)


def test_every_corpus_document_reads_the_same_both_ways_and_most_go_fast() -> None:
    files = _yaml_files()
    assert len(files) > 2000  # the corpora are there (the PSS fixtures alone hold 2,048)
    fast = slow = 0
    for path in files:
        text = decode(path.read_bytes())
        if json_start(text) is not None:
            continue
        assert outcome(text, fast=True) == outcome(text, fast=False), path
        reader = fastyaml.Reader()
        try:
            for piece in pieces(text):
                if reader.read(piece) is None:
                    slow += 1
                else:
                    fast += 1
        except LoadError:
            pass
        finally:
            reader.close()
    assert fast > 6000
    assert slow < fast // 50


# ---- what goes fast and what goes slow ----

DEPLOYMENT = """\
# a comment first
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    tier: "front"
  annotations:
    a: "true"
    b: '8080'
    c: '{"a": ["b"], "c":
      ["d"]}'
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: c
        image: nginx:1.25
        args:
        - "-c"
        - 'x'
        - plain
        env: []
        ports:
        - containerPort: 8080
        securityContext:
          privileged: false
          runAsUser: 1.0e3
      managedFields:
        f:spec: {}
    status:
      conditions:
      - type: Ready
        status: 'True'
"""


def test_a_typical_manifest_goes_fast_and_reads_as_the_libyaml_path_reads_it() -> None:
    found = fast_read(DEPLOYMENT)
    assert found is not None
    assert orjson.dumps(found[1]) == orjson.dumps(slow_read(DEPLOYMENT)[1])  # type: ignore[index]
    assert found[0] == 2
    container = found[1]["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"] == {"privileged": False, "runAsUser": 1000}
    assert type(container["securityContext"]["runAsUser"]) is int


CANNOT_PROVE = [
    pytest.param("a: yes\n", id="plain-yes-is-written-as-a-string-by-ryml"),
    pytest.param("a: 'yes'\nb: yes\n", id="quoted-and-plain-yes"),
    pytest.param("a: True\n", id="plain-True"),
    pytest.param("a: 'True'\nb: x True\n", id="quoted-True-beside-True-unquoted"),
    pytest.param("a: ~\n", id="tilde"),
    pytest.param("a: 0x1F\n", id="hex"),
    pytest.param("a: 017\n", id="leading-zero-octal"),
    pytest.param("a: 0e0\n", id="zero-exponent-ryml-quotes"),
    pytest.param("a: inf\n", id="inf-ryml-writes-dot-inf"),
    pytest.param("a: nan\n", id="nan-ryml-writes-dot-nan"),
    pytest.param("a: '.inf'\n", id="quoted-dot-inf"),
    pytest.param("a: 1e999\n", id="out-of-range-float"),
    pytest.param("a: +1\n", id="plus-sign-int"),
    pytest.param("80: x\n", id="int-key"),
    pytest.param("yes: x\n", id="bool-key"),
    pytest.param("a: &x 1\nb: *x\n", id="alias"),
    pytest.param("k: | #c-\n  a\n", id="block-header-comment-ending-in-chomping"),
    pytest.param("k: > #c+\n  a\n\n", id="block-header-comment-ending-in-keep"),
    pytest.param("a: !!str 1\n", id="tag"),
    pytest.param("a: {b: 1}\n<<: {c: 2}\n", id="merge-key"),
    pytest.param("? a\n: 1\n", id="explicit-key"),
    pytest.param("%YAML 1.1\n---\na: 1\n", id="directive"),
    pytest.param("a: 1\n...\n", id="document-end"),
    pytest.param("a:\tb\n", id="tab"),
    pytest.param("a: b\r\n", id="cr"),
    pytest.param("a: b\x85c\n", id="nel"),
    pytest.param("a: b\u2028c\n", id="line-separator"),
    pytest.param("a: - b\n", id="ryml-parse-error"),
    pytest.param("- a\n", id="sequence-root"),
    pytest.param("# nothing\n", id="no-content"),
    pytest.param("a: [1, 2\n", id="unclosed-flow"),
    # what ryml reads and libyaml refuses (found by the fragment test below)
    pytest.param("a: @x\n", id="reserved-at"),
    pytest.param("a: `x\n", id="reserved-backquote"),
    pytest.param("a: [%x]\n", id="percent-in-flow"),
    pytest.param("a: [:x]\n", id="colon-in-flow"),
    pytest.param("a: ]\n", id="lone-bracket"),
    pytest.param("a: }\n", id="lone-brace"),
    pytest.param("a: |1.5\n", id="block-header-garbage"),
    pytest.param("a: |2\n   x\n", id="block-indentation-indicator"),
    pytest.param("a: [x, y]\n", id="flow-content"),
    # a flow collection over several lines: ryml writes it as it writes a block one
    pytest.param("a: [x,\n  :y]\n", id="multi-line-flow-libyaml-refuses"),
    pytest.param("a: {b: 1,\n  c: d}\n", id="multi-line-flow-map"),
    pytest.param('a: ["x]",\n  y]\n', id="multi-line-flow-closer-in-quotes"),
    pytest.param("a: [x, # ]\n  y]\n", id="multi-line-flow-closer-in-comment"),
    pytest.param("a: [x'y, 'z]'\n  , :w]\n", id="multi-line-flow-apostrophe-in-plain"),
    pytest.param("k: 'a\n\n b': x\n", id="multi-line-single-quoted-key"),
    pytest.param('k:\n  "a\n  b": x\n', id="multi-line-double-quoted-key"),
    # items whose lines the scan cannot place
    pytest.param("kind: L\nitems: [{a: 1}]\n", id="flow-items"),
    pytest.param("kind: L\nitems:\n- 1\n", id="scalar-item"),
    pytest.param('kind: L\nitems:\n- "a": 1\n', id="quoted-first-key"),
    pytest.param("kind: L\nitems:\n- a: 1\nitems:\n- c: 1\n", id="items-key-twice"),
    pytest.param("  kind: L\n  items:\n  - a: 1\n", id="indented-root"),
]


@pytest.mark.parametrize("text", CANNOT_PROVE)
def test_what_the_fast_path_cannot_prove_goes_the_libyaml_way(text: str) -> None:
    assert fast_read(text) is None
    assert_same(text)


@pytest.mark.parametrize(
    ("value", "text", "plain"),
    [
        ("True", "a: 'True'\nb: \"True\"\nc: [ 'True' ]\n", False),
        ("True", "a: 'True'\nb: True\n", True),
        ("True", "a: 'True\"\n", True),
        ("True", "a: 'True'True'\n", False),  # two between like quotes, one shared
        ("True", "True: 'True'\n", True),
        ("00", "a: '000'\n", True),  # occurrences that overlap: each looked at
        ("00", "a: '00'\nb: \"00\"\n", False),
    ],
)
def test_a_value_is_proved_quoted_only_where_every_occurrence_is(
    value: str, text: str, plain: bool
) -> None:
    assert fastyaml._maybe_plain(value, text) is plain


def read_each_and_all(text: str) -> tuple[list[Any], list[Any]]:
    """What `read_all` makes of the pieces of a file, and what `read` makes of each alone (the
    values as JSON, to tell 1 from 1.0 from True)."""

    def shown(found: fastyaml.Read | None) -> Any:
        return None if found is None else (found[0], orjson.dumps(found[1]), found[2])

    cut: list[Piece] = []
    with contextlib.suppress(SeparatorError):  # the pieces before it are read
        cut.extend(pieces(text))
    reader = fastyaml.Reader()
    try:
        together = [shown(found) for found in reader.read_all(cut, text)]
        alone = [shown(reader.read(piece)) for piece in cut]
    finally:
        reader.close()
    return together, alone


PLAIN_PIECE = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {}\nspec: {}\n"


@pytest.mark.parametrize("text", CANNOT_PROVE)
def test_a_piece_that_cannot_be_proved_goes_the_libyaml_way_among_pieces_that_can(
    text: str,
) -> None:
    """The proofs run over a whole file first; a piece that fails alone fails there too, and
    only that piece goes the libyaml way."""
    whole = PLAIN_PIECE + "---\n" + text + "---\n" + PLAIN_PIECE.replace("a\n", "b\n")
    together, alone = read_each_and_all(whole)
    assert together == alone
    assert together[0] is not None
    assert together[-1] is not None
    assert None in together[1:-1]
    assert_same(whole)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: 'yes'\n---\nb: yes\n", id="word-quoted-then-plain"),
        pytest.param("a: '017'\n---\nb: 017\n", id="octal-quoted-then-plain"),
        pytest.param("a: b\n---\n80: x\n", id="int-key-in-one-piece"),
        pytest.param("a: '1.5'\n---\nb: 1.0e3\n", id="float-to-settle-in-one-piece"),
        pytest.param("a: 1\n---\nb:\n- 1.0\n", id="float-item-in-one-piece"),
        pytest.param("a: 1\n---\nb: 1e999\n", id="float-orjson-refuses-in-one-piece"),
        pytest.param("a: 1\n---\nb: 99999999999999999999\n", id="int-past-int64"),
        pytest.param("a: x\n---\n- a\n", id="sequence-root-beside-a-map"),
        pytest.param("a: x\n--- # c\n# only a comment\n---\nb: y\n", id="empty-piece"),
    ],
)
def test_pieces_read_together_read_as_each_alone(text: str) -> None:
    together, alone = read_each_and_all(text)
    assert together == alone
    assert together[0] is not None
    assert_same(text)


def test_ryml_errors_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(LoadError, match="invalid YAML"):
        list(yamldoc.yaml_documents("a: - b\n", "f.yaml"))
    deep = "".join(" " * i + "a:\n" for i in range(70)) + " " * 70 + "b: 1\n"  # emitter's limit
    assert len(list(yamldoc.yaml_documents(deep, "f.yaml"))) == 1
    assert capfd.readouterr().err == ""


def test_nesting_past_ryml_emit_depth_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    # 70 nested lists: valid YAML kubectl reads, well under the 200-level limit
    text = "kind: Pod\nspec: {}\nx:\n- " + "- " * 70 + "a\n"
    assert list(yamldoc.yaml_documents(text, "f.yaml"))
    assert capfd.readouterr().err == ""


def test_what_others_write_on_stderr_meanwhile_is_passed_on(
    capfd: pytest.CaptureFixture[str],
) -> None:
    reader = fastyaml.Reader()
    try:
        assert reader.read(Piece("a: 1\n", 1)) is not None
        stderr = reader.stderr
        assert stderr is not None
        with stderr.quiet():
            os.write(2, b"someone else\n")
    finally:
        reader.close()
    assert capfd.readouterr().err == "someone else\n"


ITEMS = """\
apiVersion: v1
kind: PodList
items:
- metadata:
    name: a
  spec: {}
# between
-
  metadata:
    name: b
  spec:
    containers: []
- # a comment after the dash
  metadata:
    name: c
  spec: {}
metadata: {}
"""


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("kind: Pod\nspec: {}\n" + "k" * 1025 + ": v\n", id="plain-key"),
        pytest.param("kind: Pod\nspec: {}\n'" + "k" * 1023 + "': v\n", id="quoted-key"),
        pytest.param("kind: Pod\nspec: {}\n" + "k" * 1000 + " " * 30 + ": v\n", id="spaces"),
        pytest.param("kind: Pod\nspec: {}\n'a: " + "k" * 1023 + "': v\n", id="colon-in-key"),
        pytest.param("kind: Pod\nspec: {}\n- - " + "k" * 1025 + ": v\n", id="in-a-list"),
    ],
)
def test_a_key_past_libyamls_simple_key_length_is_refused_both_ways(text: str) -> None:
    assert outcome(text, fast=False)[0] == "error"  # go-yaml: "could not find expected ':'"
    assert fast_read(text) is None
    assert_same(text)


@pytest.mark.parametrize(
    ("text", "fast"),
    [
        ("a: " + "x" * 3000 + "\nb: 1\n", True),
        ("a:\n  b: '" + "x y" * 700 + "'\n" + "c: " + "1," * 900 + "\n", True),
        ("a: |\n  " + "z" * 5000 + "\n", False),  # a long line without `: `: may be a key
    ],
)
def test_long_values_go_fast(text: str, fast: bool) -> None:
    assert (fast_read(text) is not None) is fast
    assert_same(text)


def test_item_lines_are_the_lines_the_libyaml_path_gives() -> None:
    found = fast_read(ITEMS)
    assert found is not None
    assert found[2] == [4, 9, 14]
    assert found[2] == slow_read(ITEMS)[2]  # type: ignore[index]


def test_a_flow_collection_closed_on_its_line_in_a_quoted_string_goes_fast() -> None:
    text = 'a: \'{"b": ["c"], "d":\n  ["e"]}\'\nf: "[1, 2]"\n'
    assert fast_read(text) is not None
    assert_same(text)


ESCAPES = [
    *(chr(c) for c in range(0x20, 0x7F)),
    *["é", "\u00a0", "日", "🙂", "x4", "x4g", "u004", "U0000004", "U00110000", "U0010FFFF"],
    *["uFFFE", "u0000", "x85", "u2028", "uFEFF", "x20\\x20", "\n  "],
]


@pytest.mark.parametrize("quote", ['"', "'", ""])
def test_every_escape_reads_the_same_both_ways(quote: str) -> None:
    """ryml decodes the escapes of double-quoted scalars as libyaml does, or refuses them
    (then the libyaml path gives its error), or writes a control character orjson refuses; in
    plain and single-quoted scalars a backslash is itself (`NT AUTHORITY\\SYSTEM`)."""
    for escape in ESCAPES:
        assert_same(f"a: {quote}x\\{escape}y{quote}\n")
        assert_same(f"k:\n  - {quote}a\n    \\{escape}b{quote}\n")
    assert fast_read("runAsUserName: NT AUTHORITY\\SYSTEM\n") is not None


@pytest.mark.parametrize(
    ("text", "fast"),
    [
        ("schedule: '*/15 * * * *'\n", True),
        ('a: "&x !y %z @w"  # c\n', True),
        ("k:\n- '*x'\n- b\n", True),
        ("a: &x 1\nb: *x\n", False),
        ("a: it's *x\n", False),
        ("a: 'x' *y\n", False),
        ("a: '*x'#c\n", False),
        ("'x *y': 1\n", False),
    ],
)
def test_marks_inside_a_quoted_value_on_its_line_go_fast(text: str, fast: bool) -> None:
    assert (fast_read(text) is not None) is fast
    assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        "a:\n- 1.5\n- 2\n",
        "a:\n-   1.0\n",
        "a:\n-\n  1e3\n",
        "a:\n- # c\n  -2.50\n",
        "a:\n- - 18446744073709551615\n",
        "a:\n  b:\n  - x\n  - 9223372036854775808\n",
    ],
)
def test_numbers_in_lists_are_valued_as_the_libyaml_path_values_them(text: str) -> None:
    assert fast_read(text) is not None
    assert_same(text)


def test_block_nesting_past_rymls_emitter_limit_goes_the_libyaml_way() -> None:
    """ryml's JSON emitter stops at 64 levels; deeper block nesting is read (up to 200) or
    refused (past it) by the libyaml path."""
    for depth in (70, 150, 250):
        text = "".join(" " * i + "a:\n" for i in range(depth)) + " " * depth + "b: 1\n"
        assert fast_read(text) is None
        assert_same(text)
    assert outcome(text, fast=True)[0] == "error"


def test_nesting_near_the_limit_goes_the_libyaml_way_and_is_refused_there() -> None:
    text = "a: " + "[" * 250 + "]" * 250 + "\n"
    assert fast_read(text) is None
    assert_same(text)
    assert outcome(text, fast=True)[0] == "error"


# ---- ryml keeps to what the fast path relies on ----


@given(st.from_regex(fastyaml._RYML_BARE, fullmatch=True) | st.sampled_from(["true", "false"]))
@settings(max_examples=300, deadline=None)
def test_ryml_writes_these_plain_scalars_bare(text: str) -> None:
    """So a JSON string of one of these forms was quoted in the YAML."""
    out = json.loads(ryml.emit_json(ryml.parse_in_arena(f"k: {text}\n".encode())))
    assert not isinstance(out["k"], str)


# ---- generated YAML ----


def words(text: str) -> list[str]:
    return text.split()


SCALARS = [
    # booleans, nulls, merge, the go-yaml table
    *words("y Y n N yes Yes YES no No on On ON off Off OFF true True TRUE false False FALSE"),
    *words("~ null Null NULL << ="),
    # integers in every base and form
    *words("0 -0 +0 7 -7 +12 017 0o17 0O17 0x1F 0X1f 0b101 -0b11 1_000 0_7 08 09"),
    *words("9223372036854775807 9223372036854775808 -9223372036854775808 -9223372036854775809"),
    *words("18446744073709551615 18446744073709551616 99999999999999999999999"),
    # floats
    *words("1.5 -1.5 .5 -.5 +.5 1. 1.0 -0.0 1e3 1E3 1e+3 1e-3 1.e3 .1e3 0e0 0.e0 1e999 1e-400"),
    *words(".inf -.inf +.inf .Inf .INF .nan .NaN .NAN inf -inf infinity nan NaN 1_0.5"),
    # timestamps and look-alikes
    "2001-12-14",
    "2001-12-14T21:59:43.10Z",
    "2001-12-14 21:59:43.10",
    "2001-12-14t21:59:43.10-05:00",
    "2001-13-14",
    "1:30",
    "190:20:30",
    # strings
    *words("a x web nginx:1.25 policy/v1beta1 run-as-non-root RuntimeDefault é ü 日本 🙂 -- ?x"),
    "NT AUTHORITY\\SYSTEM",
    "*/15 * * * *",
    "a #b",
    "a: b",
    "it's",
    'say "hi"',
    "",
    " lead",
    "trail ",
    "two\nlines",
    "tab\there",
    "x\\ny",
]
# what manifests mostly hold (so that most generated pieces go the fast way)
COMMON = [
    *words("web nginx:1.25 RuntimeDefault Always TCP 0 1 3 8080 65534 1.5 true false null"),
    *words("'8080' 'True' \"true\" '1.5' '' 2026-11-01T08:00:00Z x.y/z"),
    "a b c",
    "multi\nline\ntext\n",
]
KEYS = [
    *words("a b name image ports items kind spec metadata f:spec . x.y/z app.kubernetes.io/name"),
    *words("80 yes on ~ true 1.5 0x10 << = '' é"),
]


def _plain_ok(text: str) -> bool:
    return bool(text) and "\n" not in text and text == text.strip()


@st.composite
def scalar(draw: st.DrawFn, flow: bool = False) -> str:
    text = draw(
        st.sampled_from(SCALARS)
        | st.text(st.sampled_from("aZ09 .:-_#'\"\\é"), max_size=8)
        | st.sampled_from(COMMON)
        | st.sampled_from(COMMON)
        | st.sampled_from(COMMON)
        | st.sampled_from(COMMON)
    )
    styles = ["single", "double"]
    if _plain_ok(text):
        styles += ["plain"] * 4
    if not flow and "\n" in text:
        styles += ["literal", "folded"]
    style = draw(st.sampled_from(styles))
    if style == "plain":
        return text
    if style == "single":
        return "'" + text.replace("'", "''").replace("\n", "\n\n") + "'"
    if style == "double":
        return json.dumps(text, ensure_ascii=draw(st.booleans()))
    chomp = draw(st.sampled_from(["", "-", "+"]))
    indicator = "|" if style == "literal" else ">"
    return indicator + chomp + "\n" + "".join(f"@@{line}\n" for line in text.split("\n"))


@st.composite
def flow_value(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["scalar", "scalar", "map", "list"] if depth < 3 else ["scalar"]))
    if kind == "scalar":
        return draw(scalar(flow=True))
    n = draw(st.integers(0, 3))
    if kind == "list":
        return "[" + ", ".join(draw(flow_value(depth + 1)) for _ in range(n)) + "]"
    pairs = [f"{draw(st.sampled_from(KEYS))}: {draw(flow_value(depth + 1))}" for _ in range(n)]
    return "{" + ", ".join(pairs) + "}"


@st.composite
def block(draw: st.DrawFn, indent: int, depth: int = 0) -> list[str]:
    """Lines of a block mapping at `indent`, its values of every kind."""
    lines: list[str] = []
    pad = " " * indent
    used: set[str] = set()
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(KEYS) | st.sampled_from(KEYS[:13]))
        if key in used and draw(st.booleans()):
            continue
        used.add(key)
        if draw(st.integers(0, 9)) == 0:
            lines.append(pad + "# " + draw(st.sampled_from(["c", "x: 1", "- a"])))
        kind = draw(st.sampled_from(["scalar"] * 3 + ["flow", "map", "list", "empty"]))
        if kind == "map" and depth < 4:
            lines.append(f"{pad}{key}:")
            lines.extend(draw(block(indent + draw(st.sampled_from([1, 2, 4])), depth + 1)))
        elif kind == "list" and depth < 4:
            lines.append(f"{pad}{key}:")
            seq_pad = pad + " " * draw(st.sampled_from([0, 2]))
            for _ in range(draw(st.integers(1, 3))):
                if draw(st.booleans()):
                    inner = draw(block(len(seq_pad) + 2, depth + 1))
                    lines.append(seq_pad + "- " + inner[0][len(seq_pad) + 2 :])
                    lines.extend(inner[1:])
                else:
                    lines.extend(_value_lines(f"{seq_pad}-", draw(scalar()), len(seq_pad) + 2))
        elif kind == "flow":
            lines.append(f"{pad}{key}: {draw(flow_value())}")
        elif kind == "empty":
            lines.append(f"{pad}{key}:" + draw(st.sampled_from(["", " ", " # c"])))
        else:
            comment = " # c" if draw(st.integers(0, 5)) == 0 else ""
            lines.extend(_value_lines(f"{pad}{key}:", draw(scalar()) + comment, indent + 2))
    return lines


def _value_lines(head: str, value: str, indent: int) -> list[str]:
    first, *rest = value.split("\n")
    pad = " " * indent
    return [f"{head} {first}".rstrip(" ") if first else head] + [
        (pad + line.replace("@@", "")) if line.startswith("@@") else line for line in rest
    ]


@st.composite
def yaml_file(draw: st.DrawFn) -> str:
    docs = []
    for _ in range(draw(st.integers(1, 3))):
        lines = draw(block(0))
        if draw(st.integers(0, 3)) == 0:  # a List with items the line scan must place
            lines = ["kind: PodList", "items:"]
            for _ in range(draw(st.integers(1, 3))):
                inner = draw(block(2, 1))
                lines.append("- " + inner[0][2:])
                lines.extend(inner[1:])
        if draw(st.integers(0, 4)) == 0:
            lines.insert(0, "# leading comment")
        docs.append("\n".join(lines) + "\n")
    sep = draw(st.sampled_from(["---\n", "--- # doc\n", "---\n\n"]))
    text = sep.join(docs)
    if draw(st.integers(0, 5)) == 0:
        text = "---\n" + text
    return text


@given(yaml_file())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_yaml_reads_the_same_both_ways(text: str) -> None:
    assert_same(text)


@given(yaml_file(), st.sampled_from(["crlf", "bom", "utf16", "tab", "cr"]))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_yaml_in_odd_encodings_and_spacing_reads_the_same_both_ways(
    text: str, odd: str
) -> None:
    if odd == "crlf":
        raw = text.replace("\n", "\r\n").encode()
    elif odd == "bom":
        raw = b"\xef\xbb\xbf" + text.encode()
    elif odd == "utf16":
        raw = b"\xff\xfe" + text.encode("utf-16-le")
    elif odd == "tab":
        raw = text.replace(": ", ":\t", 1).replace("  ", "\t", 1).encode()
    else:
        raw = text.replace("\n", "\r", 1).encode()
    assert_same(decode(raw))


@given(st.lists(st.sampled_from(SCALARS), min_size=1, max_size=6), st.booleans())
@settings(max_examples=300, deadline=None)
def test_every_resolver_class_reads_the_same_plain_and_quoted(
    values: list[str], quote: bool
) -> None:
    lines = []
    for i, value in enumerate(values):
        shown = json.dumps(value) if quote or not _plain_ok(value) else value
        lines.append(f"k{i}: {shown}")
        lines.append(f"l{i}: [{shown}]")
    assert_same("\n".join(lines) + "\n")


FRAGMENTS = [
    *["\n- ", "\n  - ", "|\n  x\n", ">-\n  x\n   y\n", '"a\nb"', "'a\n\n b'", "\n    "],
    *["k:\n  - a\n  - b\n", "\n\n", "a", "b", "x y", "1", "1.5", "-", "- ", ": ", ":", "#"],
    *[" #c", "'", '"', "\\", "\n", "\n  ", "\n ", "  ", "|", "|-", ">", "[]", "{}", "[", "]"],
    *["{", "}", ",", "?", "%", "@", "`", "!", "&a", "*a", "---", "...", "~", "true", "True", "yes"],
    *["0x1", "é", "\u00a0", "=", "<<", " ", ". ", "k: v\n", "- k: v\n", "  k: v\n"],
]


@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12), st.booleans())
@settings(max_examples=1000, deadline=None)
def test_fragments_of_yaml_syntax_read_the_same_both_ways(parts: list[str], keyed: bool) -> None:
    """Mostly invalid or odd text: what ryml reads that libyaml refuses must not go fast."""
    text = ("k: " if keyed else "") + "".join(parts)
    assert_same(text if text.endswith("\n") else text + "\n")


@given(
    st.lists(
        yaml_file() | st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join), max_size=4
    )
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_files_read_together_piece_by_piece_as_each_piece_alone(parts: list[str]) -> None:
    """`read_all` proves a file's pieces together where it can: never does a piece go fast
    there that would not alone, nor read otherwise."""
    text = "---\n".join(p if p.endswith("\n") or not p else p + "\n" for p in parts)
    together, alone = read_each_and_all(text)
    assert together == alone
