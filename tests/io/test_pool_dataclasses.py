"""What a worker of the process pool (`podgate.io.pool`) sends back of slotted dataclasses (the
results of judging are made of them): each field's value read at C speed and set again in
the parent, so the object arrives equal, frozen or not, with a field set after `__init__`
too, and objects the parent shares still its own; a class that pickles itself its own way
keeps that way."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from podgate.io import pool
from podgate.io.pool import ordered_map
from podgate.k8s.source import Source
from podgate.scan.findings import Finding
from podgate.scan.model import WorkloadResult


@dataclass(frozen=True, slots=True)
class Leaf:
    name: str
    values: tuple[int, ...]
    shared: dict[str, Any]
    cached: Any = field(default=False, init=False, compare=True)


@dataclass(slots=True)
class Node:
    leaf: Leaf
    count: int


@dataclass(frozen=True, slots=True)
class Single:
    only: str


@dataclass(frozen=True, slots=True)
class OwnState:
    """A slotted dataclass that says itself what it pickles (its state is doubled)."""

    value: int

    def __getstate__(self) -> int:
        return self.value * 2

    def __setstate__(self, state: int) -> None:
        object.__setattr__(self, "value", state)


def _made(i: int, shared: list[dict[str, Any]]) -> Node:
    leaf = Leaf(f"leaf-{i}", tuple(range(i)), shared[i])
    object.__setattr__(leaf, "cached", {"set": "after init", "i": i})
    return Node(leaf, i)


def test_a_slotted_dataclass_crosses_back_equal_with_the_parents_own_objects_in_it() -> None:
    shared = [{"obj": i} for i in range(6)]
    got = list(ordered_map(lambda i: _made(i, shared), list(range(6)), 2, shared=shared))
    assert got == [_made(i, shared) for i in range(6)]
    assert all(g.leaf.shared is s for g, s in zip(got, shared, strict=True))
    with pytest.raises(AttributeError):
        got[0].leaf.name = "changed"  # type: ignore[misc]  # still frozen


def test_a_dataclass_of_one_field_crosses_back_equal() -> None:
    got = list(ordered_map(Single, ["a", "b", "c"], 2))
    assert got == [Single("a"), Single("b"), Single("c")]


def test_a_dataclass_that_pickles_itself_its_own_way_keeps_that_way() -> None:
    assert pool._reader(OwnState) is None
    assert list(ordered_map(OwnState, [1, 2, 3], 2)) == [OwnState(2), OwnState(4), OwnState(6)]


@pytest.mark.parametrize("cls", [Finding, WorkloadResult, Source])
def test_the_results_of_judging_are_read_at_c_speed(cls: type) -> None:
    assert pool._reader(cls) is not None


def test_values_for_fewer_or_more_fields_than_the_class_has_are_refused() -> None:
    """A class changed between the worker and the parent (never within one run) is an error,
    never an object with a field left unset or a value dropped."""
    shared: dict[str, Any] = {}
    assert pool._made(Leaf, ("a", (1,), shared, False)) == Leaf("a", (1,), shared)
    for values in (("a", (1,), shared), ("a", (1,), shared, None, "more")):
        with pytest.raises(pickle.UnpicklingError, match=r"^Leaf: \d values for 4$"):
            pool._made(Leaf, values)
