"""A JSON snapshot's objects never all exist at once (issue 12 point 4: peak memory within 2x
the file). Its Pods and workloads are packed as each is read and unpacked one root at a time
when judged (k8s/packed.py), so reading, preparing and scanning a snapshot whose objects
weigh many times its bytes allocates, at its peak, a fraction of what its objects weigh.
Measured with tracemalloc (allocations, not time)."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from pathlib import Path
from typing import Any

import orjson

from podgate.io.catalog import load_catalog
from podgate.io.loader import load_documents
from podgate.io.prepare import prepare
from podgate.k8s.packed import PackedDocument
from podgate.pss import Level
from podgate.scan import ScanOptions, scan

PODS = 40
LABELS = 1500  # small in JSON, about ten times that as Python objects


def _pod(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"p{i}",
            "namespace": "ns",
            "labels": {f"l{j}": f"v{i}-{j}" for j in range(LABELS)},
        },
        "spec": {"containers": [{"name": "c", "securityContext": {"privileged": i % 2 == 0}}]},
    }


def _peak(run: Any) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_snapshot_is_read_and_scanned_without_its_objects_all_existing_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": list(map(_pod, range(PODS)))})
    )
    raw = path.read_bytes()
    objects = _peak(lambda: orjson.loads(raw))  # every object at once
    assert objects > 8 * len(raw)

    def read_and_scan() -> None:
        docs = prepare(load_documents([str(path)], trim=True, defaults=True, max_bytes=1 << 30))
        assert all(isinstance(d, PackedDocument) for d in docs)
        options = ScanOptions(level=Level.BASELINE, today=dt.date(2026, 1, 1))
        result = scan(docs, load_catalog(), options)
        assert sum(bool(r.violations) for r in result.workloads) == PODS // 2

    peak = _peak(read_and_scan)
    # the file's bytes, each item's packed bytes, and one pod's objects at a time
    assert peak < objects / 3, (peak, objects, len(raw))
