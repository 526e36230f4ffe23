"""kubectl's YAMLReader trims what follows `---` with Go's strings.TrimSpace (unicode.IsSpace):
NBSP, NEL and the Unicode spaces are spaces, the C0 separators \\x1c-\\x1f are not (Python's
str.strip takes them too). kubectl 1.32 refuses `---\\x1c` as "invalid Yaml document
separator" and reads `---\\u00a0` as a separator."""

from __future__ import annotations

import pytest

from podgate.errors import LoadError
from podgate.io.loader import load_text
from podgate.io.stream import json_start

A = "kind: Pod\nmetadata:\n  name: a\nspec: {}\n"
B = "kind: Pod\nmetadata:\n  name: b\nspec:\n  hostPID: true\n"


@pytest.mark.parametrize("char", ["\x1c", "\x1d", "\x1e", "\x1f"], ids=lambda c: f"{ord(c):#x}")
def test_a_separator_followed_by_a_c0_separator_is_refused_as_kubectl_refuses_it(
    char: str,
) -> None:
    with pytest.raises(LoadError, match="invalid Yaml document separator") as err:
        list(load_text(A + "---" + char + "\n" + B, "f.yaml"))
    assert err.value.line == 5


@pytest.mark.parametrize(
    "char", ["\t", "\x85", "\xa0", "\u2003", "\u2028", "\u3000"], ids=lambda c: f"{ord(c):#x}"
)
def test_a_separator_followed_by_go_spaces_cuts_the_file(char: str) -> None:
    docs = list(load_text(A + "---" + char + "\n" + B, "f.yaml"))
    assert [d.obj["metadata"]["name"] for d in docs] == ["a", "b"]


def test_a_c0_separator_before_a_brace_is_no_space_for_the_json_guess() -> None:
    assert json_start("\x1c{}") is None
    assert json_start("\xa0 \n{}") == 3
