"""A multi-line single-quoted list item followed, on its last line, by `  k: v`: libyaml (and
go-yaml, its port: kubectl refuses the file) stops at "did not find expected key"; the fast
path read the whole document as `{"k": "v"}`, the list and its item gone. Found by
tests/io/test_fastyaml.py::test_fragments_of_yaml_syntax_read_the_same_both_ways (a
hypothesis example; present at 7fe6d07 already)."""

from __future__ import annotations

import pytest

from tests.io.test_fastyaml import outcome


@pytest.mark.xfail(
    strict=True,
    reason="fastyaml reads a file libyaml and go-yaml refuse, as {'k': 'v'}: a document "
    "kubectl refuses is judged, its list lost (owner: yaml)",
)
def test_a_quoted_item_followed_by_a_pair_on_its_line_is_refused_both_ways() -> None:
    text = "k:\n- 'a\n\n b'  k: v\n"
    assert outcome(text, fast=False)[0] == "error"
    assert outcome(text, fast=True) == outcome(text, fast=False)
