"""What the Pod Security Standards engine keeps after evaluating a pod is bounded whatever the
pods: a webhook's requester chooses them, and every CREATE is evaluated, denied or not. A
result names every container at fault, so remembering the results of pods with thousands of
containers kept megabytes per pod (about 4.5 MiB for 2,000 privileged containers with
62-character names): a few hundred such requests would fill the webhook's memory."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from podgate.pss import Level, evaluate, parse_version

LATEST = parse_version("latest")


def _pod(n: int, containers: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A pod whose every container fails several restricted checks, its names its own."""
    bad = {"privileged": True, "runAsUser": 0, "allowPrivilegeEscalation": True}
    spec = {
        "containers": [
            {"name": f"p{n:04d}-{i:05d}-" + "x" * 50, "securityContext": dict(bad)}
            for i in range(containers)
        ]
    }
    return {"name": f"pod-{n}"}, spec


def _retained_after(first: int, count: int) -> int:
    """Bytes still allocated after evaluating pods `first` .. `first + count - 1`."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(first, first + count):
        meta, spec = _pod(n, 400)
        assert evaluate(Level.RESTRICTED, LATEST, meta, spec)
        del meta, spec
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before


def test_pods_of_many_containers_leave_no_memory_behind_per_pod() -> None:
    tracemalloc.start()
    try:
        _retained_after(0, 2)  # whatever is set up once
        grown = _retained_after(2, 30)
    finally:
        tracemalloc.stop()
    # 30 such pods kept about 20 MiB before; what is remembered of small results stays
    assert grown < 2 << 20, f"{grown / 2**20:.1f} MiB kept after 30 pods"
