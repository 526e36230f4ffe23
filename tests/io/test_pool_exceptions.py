"""Exceptions raised in a `--jobs` worker arrive in the parent as themselves: podgate's own with
their text and attributes (exit 2 stays exit 2), whatever their `__init__` takes; one that
pickles but cannot be loaded again arrives as its text instead of breaking the parent."""

from __future__ import annotations

import pytest

from podgate.errors import PodgateError
from podgate.io.pool import ordered_map
from podgate.io.stream import SeparatorError
from podgate.rbac.parse import Invalid
from podgate.verify import EngineMissing


class TwoArgs(Exception):
    """Pickles as (message,) but needs two arguments to be built: loading it fails."""

    def __init__(self, what: str, where: str) -> None:
        super().__init__(f"{what} at {where}")


_RAISED: list[PodgateError] = [
    SeparatorError("--- x: 1", 4),
    Invalid("rules[0].verbs", "must be a list"),
    EngineMissing("celpy", "install podgate[verify] to verify"),
]


@pytest.mark.parametrize("error", _RAISED, ids=lambda e: type(e).__name__)
def test_a_podgate_error_raised_in_a_worker_arrives_as_itself(error: PodgateError) -> None:
    def fail(i: int) -> int:
        if i == 1:
            raise error
        return i

    with pytest.raises(type(error)) as raised:
        list(ordered_map(fail, [0, 1, 2], 2))
    assert type(raised.value) is type(error)
    assert str(raised.value) == str(error)
    assert vars(raised.value) == vars(error)


def test_an_exception_that_pickles_but_does_not_load_arrives_as_its_text() -> None:
    def fail(i: int) -> int:
        raise TwoArgs(f"item {i}", "here")

    with pytest.raises(RuntimeError, match=r"^TwoArgs: item 0 at here$"):
        list(ordered_map(fail, [0, 1], 2))
