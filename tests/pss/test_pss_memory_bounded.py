"""What the Pod Security Standards engine keeps after evaluating a pod is bounded whatever the
pods: a webhook's requester chooses them, and every CREATE is evaluated, denied or not. A
result names every container at fault, so remembering the results of pods with thousands of
containers kept megabytes per pod (about 4.5 MiB for 2,000 privileged containers with
62-character names): a few hundred such requests would fill the webhook's memory."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from podgate.pss import Level, evaluate, parse_version
from podgate.pss import registry as registry_module
from podgate.pss.registry import Registry, discover

LATEST = parse_version("latest")
Context = Callable[[int, int], dict[str, Any]]  # the securityContext of container i of pod n


def _privileged(n: int, i: int) -> dict[str, Any]:
    return {"privileged": True, "runAsUser": 0, "allowPrivilegeEscalation": True}


def _adding(n: int, i: int) -> dict[str, Any]:
    return {"capabilities": {"add": ["NET_ADMIN", f"CAP_{n}_{i}_" + "Y" * 40]}}


def _pod(n: int, containers: int, context: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    """A pod whose every container fails restricted checks, its names its own."""
    spec = {
        "containers": [
            {"name": f"p{n:04d}-{i:05d}-" + "x" * 50, "securityContext": context(n, i)}
            for i in range(containers)
        ]
    }
    return {"name": f"pod-{n}"}, spec


def _retained_after(first: int, count: int, context: Context) -> int:
    """Bytes still allocated after evaluating pods `first` .. `first + count - 1`."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(first, first + count):
        meta, spec = _pod(n, 400, context)
        assert evaluate(Level.RESTRICTED, LATEST, meta, spec)
        del meta, spec
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before


@pytest.mark.parametrize("context", [_privileged, _adding], ids=["privileged", "adding"])
def test_pods_of_many_containers_leave_no_memory_behind_per_pod(context: Context) -> None:
    tracemalloc.start()
    try:
        _retained_after(0, 2, context)  # whatever is set up once
        grown = _retained_after(2, 30, context)
    finally:
        tracemalloc.stop()
    # 30 privileged ones kept about 24 MiB before; what is remembered of small results stays
    assert grown < 2 << 20, f"{grown / 2**20:.1f} MiB kept after 30 pods"


# The shape memo (`registry._Memory`) remembers the violations of each pod shape it keys. Its
# bound used to count the keys' bytes alone, per plan; but a violation names each container at
# fault, once in its detail and once in its fault, for each failing check, so a pod with a key
# of a few KiB could leave tens of KiB behind (and each level and version has a plan of its own).

FAILING: dict[str, Any] = {
    "privileged": True,
    "runAsUser": 0,
    "procMount": "Unmasked",
    "allowPrivilegeEscalation": True,
    "capabilities": {"add": ["SYS_ADMIN"]},
    "seccompProfile": {"type": "Unconfined"},
}


def _shape(n: int, containers: int, name: str = "c") -> tuple[dict[str, Any], dict[str, Any]]:
    """A pod of a shape of its own whose containers fail seven restricted checks each."""
    spec = {
        "containers": [
            {"name": f"{name}{n}-{i}-" + "n" * 60, "securityContext": dict(FAILING)}
            for i in range(containers)
        ]
    }
    return {}, spec


VERSIONS = [parse_version(f"v1.{minor}") for minor in range(30, 38)]  # a plan each


def test_the_shapes_remembered_hold_no_more_than_the_memo_bound_whatever_their_violations() -> None:
    registry = Registry(discover(), builtin=discover())
    bound = registry_module._SHAPE_BYTES
    tracemalloc.start()
    try:
        for n in range(2):  # whatever is set up once
            registry.evaluate(Level.RESTRICTED, VERSIONS[n], *_shape(n, 12))
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for n in range(2, 402):
            meta, spec = _shape(n, 12)
            version = VERSIONS[n % len(VERSIONS)]
            found = registry.evaluate(Level.RESTRICTED, version, meta, spec)
            assert len(found) == 7
            assert registry.evaluate(Level.RESTRICTED, version, meta, spec) is found  # kept
            del meta, spec, found
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # these 400 shapes kept about 12 MiB before (their keys take 0.63 MiB)
    assert grown < bound + (1 << 20), f"{grown / 2**20:.1f} MiB kept by 400 shapes"


@pytest.mark.parametrize(
    ("containers", "name"),
    [(1, "c"), (12, "c"), (1, "\U0001f600"), (0, "c")],
    ids=["one", "twelve", "astral-names", "none"],
)
def test_the_bytes_counted_for_the_shapes_are_at_least_what_forgetting_them_frees(
    containers: int, name: str
) -> None:
    registry = Registry(discover(), builtin=discover())
    memory = registry._memory
    tracemalloc.start()  # it sees what is freed of what was allocated since
    try:
        for n in range(64):
            meta, spec = _shape(n, containers, name)
            spec["hostNetwork"] = n % 4 == 0
            spec["securityContext"] = {"runAsGroup": n}  # a shape of its own, with no container
            registry.evaluate(Level.RESTRICTED, VERSIONS[n % 2], meta, spec)
            registry.evaluate(Level.BASELINE, VERSIONS[n % 2], meta, spec)
        assert sum(map(len, memory.tables)) == 4 * 32  # every shape remembered
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        counted = memory.used
        for table in memory.tables:
            table.clear()
        gc.collect()
        freed = before - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 0 < freed <= counted, f"{freed} bytes freed, {counted} counted"


def test_a_shape_holding_more_than_a_sixty_fourth_of_the_bound_is_not_remembered() -> None:
    registry = Registry(discover(), builtin=discover())
    small, large = _shape(0, 12), _shape(1, 40)  # 34 KiB and 108 KiB counted
    for meta, spec in (small, large):
        first = registry.evaluate(Level.RESTRICTED, LATEST, meta, spec)
        again = registry.evaluate(Level.RESTRICTED, LATEST, meta, spec)
        assert again == first
        assert (again is first) is (spec is small[1])
    assert 0 < registry._memory.used <= registry_module._SHAPE_BYTES >> 6
