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
