"""Instructions per pod for a PSP review (CREATE, 5 policies), counted by callgrind.

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce \
        --callgrind-out-file=/tmp/cg.out \
        python benchmarks/cg_psp_review.py [--pods N] [--policies K] [--digest]
    # "Collected" (or callgrind_annotate's total) divided by the pods: instructions per pod

The pods and policies are bench_psp_admit.py's (gen_cluster.py, seed 1). Every pod is reviewed
once to warm up, then once more inside functools.reduce, the only call callgrind collects (so
loading, compiling and the warm-up are not counted). Instruction counts are repeatable under any
load, unlike wall time on a shared machine. Compile the sources first (python -m compileall -q
src). --digest prints a hash of every decision (policy, patch, object, message ...), to check
that a change leaves them as they were."""

from __future__ import annotations

import argparse
import functools
import hashlib
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

from bench_psp_admit import load, variants  # noqa: E402

from podgate.psp import PolicySet, Request, review  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policies", type=int, default=5)
    ap.add_argument("--digest", action="store_true", help="print a digest of the decisions")
    args = ap.parse_args()
    pods, policies, source = load(args.pods, args.seed)
    n = args.policies
    ps = PolicySet.compile(variants(policies, n) if n > len(policies) else policies[:n])

    def one(count: int, p: dict[str, Any]) -> int:
        d = review(ps, Request("CREATE", p, p["metadata"].get("namespace", "default")))
        return count + d.allowed

    warm = sum(one(0, p) for p in pods)
    allowed = functools.reduce(one, pods, 0)  # the only call collected
    assert allowed == warm
    if args.digest:  # what the reviews decided, to compare two trees by
        h = hashlib.sha256()
        for p in pods:
            d = review(ps, Request("CREATE", p, p["metadata"].get("namespace", "default")))
            parts = (
                d.allowed,
                d.policy,
                d.mutated,
                d.patch,
                d.message,
                d.violations,
                d.audit_annotations,
                d.prepared,
                d.invalid,
                d.object,
            )
            h.update(repr(parts).encode())
        print(f"digest: {h.hexdigest()}")
    print(f"command: python {' '.join(sys.argv)}")
    print(f"input: {source}: {len(pods)} pods, {n} policies; {allowed} allowed")
    print("instructions per pod: callgrind's total Ir (callgrind_annotate) divided by the pods")


if __name__ == "__main__":
    main()
