"""The text proofs of `io/fastyaml.py` run over a file's distinct lines
(`_distinct_text_lines`): each proof, and the quoted-value proof `_maybe_plain`, finds there
exactly what it finds in the whole text, on the corpora, on the cases the fast path cannot
prove, and on generated text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podgate.io import fastyaml
from tests.io.test_fastyaml import CANNOT_PROVE, FRAGMENTS, SCALARS, _yaml_files, yaml_file

Proof = Callable[[str], bool]

PROOFS: dict[str, Proof] = {
    **{
        f"token-start {m}": (lambda t, m=m: fastyaml._at_token_start(t, m))  # type: ignore[misc]
        for m in fastyaml._TOKEN_MARKS
    },
    "lone ]": lambda t: fastyaml._lone_closer(t, "]"),
    "lone }": lambda t: fastyaml._lone_closer(t, "}"),
    "block header |": lambda t: fastyaml._odd_block_header(t, "|"),
    "block header >": lambda t: fastyaml._odd_block_header(t, ">"),
    "multi-line quoted key": fastyaml._multi_line_quoted_key,
    "quote left then more": fastyaml._quote_left_then_more,
    "multi-line flow": fastyaml._multi_line_flow,
    "long key": fastyaml._long_key,
    "all": lambda t: fastyaml._plain_text(t, t.encode()),
}
# values go-yaml reads otherwise when plain (`_maybe_plain` is asked only of such)
VALUES = ["True", "yes", "y", "0", "00", "017", "1.5", "~", "null", "2001-12-14", ".inf", "1e3"]


def assert_alike(text: str) -> None:
    lines = fastyaml._distinct_text_lines(text)
    found = {name: proof(text) for name, proof in PROOFS.items()}
    assert {name: proof(lines) for name, proof in PROOFS.items()} == found
    plain = {v: fastyaml._maybe_plain(v, text) for v in VALUES}
    assert {v: fastyaml._maybe_plain(v, lines) for v in VALUES} == plain


@pytest.mark.parametrize("text", CANNOT_PROVE)
def test_what_cannot_be_proved_is_found_in_the_distinct_lines(text: str) -> None:
    assert_alike(text)
    assert_alike(text.rstrip("\n"))  # the text's end as a line's end


def test_the_corpora_are_proved_alike_on_their_distinct_lines() -> None:
    files = _yaml_files()
    assert len(files) > 100
    for path in files:
        assert_alike(path.read_text(encoding="utf-8", errors="replace"))


@given(st.lists(st.sampled_from(FRAGMENTS + SCALARS), min_size=1, max_size=14))
@settings(max_examples=1500, deadline=None)
def test_fragments_are_proved_alike_on_their_distinct_lines(parts: list[str]) -> None:
    assert_alike("".join(parts))


@given(yaml_file(), st.sampled_from(["", "'True'", "True", '"yes"', "x: 'y"]))
@settings(max_examples=300, deadline=None)
def test_generated_files_are_proved_alike_on_their_distinct_lines(text: str, extra: str) -> None:
    assert_alike(text + extra)


def test_a_value_with_a_line_break_is_never_proved_quoted() -> None:
    assert fastyaml._maybe_plain("a\nb", "k: 'a\nb'\n") is True


def test_the_distinct_lines_are_fewer_where_lines_repeat() -> None:
    text = "kind: Pod\nspec: {}\n---\n" * 50
    lines = fastyaml._distinct_text_lines(text)
    assert sorted(lines.split("\n")) == sorted(["", "", "", "kind: Pod", "spec: {}", "---"])
