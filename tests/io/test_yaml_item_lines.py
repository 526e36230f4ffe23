"""The lines of a document's `items` are those of the `items` that is read: with the key written
twice, the last one (as kubectl reads it), also when it is not a list (then there are none)."""

from __future__ import annotations

import pytest

from tests.io.test_fastyaml import assert_same, slow_read

REPLACED = "items:\n- 'y'\nitems: 'y'\na: 1\n"


def test_items_replaced_by_a_later_scalar_have_no_lines() -> None:
    found = slow_read(REPLACED)
    assert found is not None
    assert found[1]["items"] == "y"
    assert found[2] == []


@pytest.mark.parametrize(
    "text",
    [
        REPLACED,
        "---\n# leading comment\nitems:\n- 'y'\n# c\nitems: 'y' # c\na: 'y' # c\n",
        "items:\n- a: 1\nitems:\n- b: 2\n- c: 3\n",
    ],
)
def test_items_written_twice_read_the_same_both_ways(text: str) -> None:
    assert_same(text)
