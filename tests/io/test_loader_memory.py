"""Memory bounded by the input (issue 9 point 11): reading makes no reference cycles, so the
garbage collector's freeze after loading keeps no garbage alive. Measured in a fresh child
process each (peak RSS from rusage; the bound is generous: a memory bound, not a timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CHILD = """
import gc, json, resource, sys
from podgate.io.loader import load_documents
gc.collect()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
docs = load_documents([sys.argv[1]])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
gc.unfreeze()
print(json.dumps({"docs": len(docs), "grew_kib": after - before, "garbage": gc.collect()}))
"""


def _load_in_child(path: Path) -> dict[str, int]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,  # a bound against a hang, not a timing
    )
    result: dict[str, int] = json.loads(proc.stdout)
    return result


@pytest.mark.parametrize(
    ("unit", "count", "objects", "growth_mib"),
    [
        # 60,000 documents in 360 KB: the old loader kept ~1.8 KB of cyclic garbage per
        # document (about 110 MB here), frozen for the life of the process
        pytest.param("~\n---\n", 60_000, 0, 40, id="null-documents"),
        pytest.param("kind: Pod\nspec: {a: 1, b: [x, y]}\n---\n", 20_000, 20_000, 80, id="pods"),
    ],
)
def test_many_documents_leave_no_garbage_and_memory_stays_near_the_input(
    tmp_path: Path, unit: str, count: int, objects: int, growth_mib: int
) -> None:
    f = tmp_path / "docs.yaml"
    f.write_text(unit * count)
    got = _load_in_child(f)
    assert got["docs"] == objects
    assert got["garbage"] < 1_000
    assert got["grew_kib"] < growth_mib * 1024
