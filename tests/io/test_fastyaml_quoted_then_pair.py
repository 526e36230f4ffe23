"""A multi-line single-quoted list item followed, on its last line, by `  k: v`: libyaml (and
go-yaml, its port: kubectl refuses the file) stops at "did not find expected key"; the fast
path read the whole document as `{"k": "v"}`, the list and its item gone. Found by
tests/io/test_fastyaml.py::test_fragments_of_yaml_syntax_read_the_same_both_ways (a
hypothesis example; present at 7fe6d07 already). Such a line now goes the libyaml way:
fastyaml._quote_left_then_more."""

from __future__ import annotations

import pytest

from podgate.io import fastyaml
from tests.io.test_fastyaml import outcome


def test_a_quoted_item_followed_by_a_pair_on_its_line_is_refused_both_ways() -> None:
    text = "k:\n- 'a\n\n b'  k: v\n"
    assert outcome(text, fast=False)[0] == "error"
    assert outcome(text, fast=True) == outcome(text, fast=False)


@pytest.mark.parametrize(
    "text",
    [
        "k:\n- 'a\n\n'  k: v\n",
        "k:\n- 'a\n  '  k: v\n",
        "k:\n- 'a\n b '  k: v\n",
        "k:\n- 'a\n b:'  k: v\n",
        "k:\n- 'a\n b ' - x\n",
        "k:\n- 'a\n  ' - x\n",
        'k:\n- "a\n b"  k: v\n',
    ],
)
def test_the_end_of_a_quoted_scalar_spanning_lines_followed_by_more_reads_alike(text: str) -> None:
    assert outcome(text, fast=True) == outcome(text, fast=False)


def test_a_quoted_scalar_opening_a_value_that_spans_lines_still_goes_fast() -> None:
    assert not fastyaml._quote_left_then_more('c: \'{"a": ["b"], "c":\n  ["d"]}\'\n')
