"""What the PSS shape memo costs or saves at a chosen hit rate: µs per pod of `Registry.evaluate`
with the memo (`Registry()`) and without it (`Registry(remember=False)`), restricted and baseline.

    python benchmarks/bench_pss_memo.py [--hits 0.1,0.3,0.5,0.7,0.9] [--pods N] [--seed S]
        [--repeat R] [--level restricted|baseline] [--memo on|off] [--sweeps K]

The pods are every pod spec (Pods and workload templates) of a cluster from
../shared/bench/gen_cluster.py. The stream has the hit rate asked: each pod is, with that
probability, one already seen (a replica: the memo finds it), else the next pod of the cluster
with its containers renamed to names never used (a shape never seen, evaluated at the cluster's
own cost). The stream is fixed by the seed.

For instruction counts (independent of the machine's load), run one level, one memo setting and
one hit rate under callgrind with `--sweeps 1` and again with `--sweeps 0`; the difference of
the two "refs" lines divided by the stream's length is the cost per pod:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python benchmarks/bench_pss_memo.py --hits 0.7 --level baseline --memo on --sweeps 1

`PODGATE_SRC=<dir>` measures the podgate found there (an older worktree's `src`).
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # bench_pss puts PODGATE_SRC or ./src first

from bench_pss import GEN, cluster_pods  # noqa: E402

from podgate.pss import LATEST, Level  # noqa: E402
from podgate.pss.registry import Registry, discover  # noqa: E402

Pod = tuple[Any, Any]


def stream(pods: list[Pod], hits: float, length: int, seed: int) -> list[Pod]:
    """`length` pods: with probability `hits` one already in the stream, else the next of `pods`
    with its containers renamed to names used nowhere else."""
    rng = random.Random(seed)
    out: list[Pod] = []
    fresh = 0
    for _ in range(length):
        if out and rng.random() < hits:
            out.append(out[rng.randrange(len(out))])
            continue
        meta, spec = pods[fresh % len(pods)]
        spec = copy.deepcopy(spec)
        for list_name in ("initContainers", "containers", "ephemeralContainers"):
            for c in spec.get(list_name) or ():
                c["name"] = f"{c.get('name')}-u{fresh}"
        fresh += 1
        out.append((meta, spec))
    return out


def sweep(registry: Registry, level: Level, pods: list[Pod]) -> float:
    evaluate = registry.evaluate
    start = time.perf_counter()
    for meta, spec in pods:
        evaluate(level, LATEST, meta, spec)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", default="0.1,0.3,0.5,0.6,0.7,0.8,0.9")
    parser.add_argument("--pods", type=int, default=2000, help="pods of the generated cluster")
    parser.add_argument("--length", type=int, default=20000, help="pods in the stream")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--level", choices=["restricted", "baseline", "both"], default="both")
    parser.add_argument("--memo", choices=["on", "off", "both"], default="both")
    parser.add_argument("--sweeps", type=int, help="sweeps of one stream, nothing printed")
    args = parser.parse_args()
    if not GEN.is_file():
        print(f"needs {GEN}", file=sys.stderr)
        return 2
    pods, source = cluster_pods(args.pods, args.seed)
    levels = [Level(args.level)] if args.level != "both" else [Level.RESTRICTED, Level.BASELINE]
    memos = [args.memo == "on"] if args.memo != "both" else [True, False]
    rates = [float(h) for h in args.hits.split(",")]
    checks = discover()
    if args.sweeps is not None:  # one level, one setting, one rate: for callgrind
        pods_in = stream(pods, rates[0], args.length, args.seed)
        registry = Registry(checks, builtin=checks, remember=memos[0])
        for _ in range(args.sweeps):
            sweep(registry, levels[0], pods_in)
        return 0
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"pods:    {len(pods)} pod specs from: {source}; streams of {args.length}")
    print(f"python:  {sys.version.split()[0]}, one core, best of {args.repeat}, µs per pod")
    for level in levels:
        for hits in rates:
            pods_in = stream(pods, hits, args.length, args.seed)
            row = []
            for memo in memos:
                best = float("inf")
                for _ in range(args.repeat):
                    registry = Registry(checks, builtin=checks, remember=memo)
                    best = min(best, sweep(registry, level, pods_in))
                row.append(f"memo {'on ' if memo else 'off'} {best / len(pods_in) * 1e6:6.2f}")
            print(f"{level.value:<10} hits {hits:4.2f}  " + "  ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
