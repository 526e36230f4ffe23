"""What the PSS shape memo costs or saves at a chosen hit rate: µs per pod of `Registry.evaluate`
with the memo (`Registry()`) and without it (`Registry(remember=False)`), restricted and baseline.

    python benchmarks/bench_pss_memo.py [--hits 0.1,0.3,0.5,0.7,0.9] [--pods N] [--seed S]
        [--repeat R] [--level restricted|baseline] [--memo on|off] [--sweeps K] [--no-pause]

The pods are every pod spec (Pods and workload templates) of a cluster from
../shared/bench/gen_cluster.py. The stream has the hit rate asked: each pod is, with that
probability, one already seen (a replica: the memo finds it), else the next pod of the cluster
with its containers renamed to names never used (a shape never seen, evaluated at the cluster's
own cost). The stream is fixed by the seed. `--no-pause` keys every pod (no plan pauses below
its break-even): what the memo costs or saves at each hit rate, to measure the break-even.

Instruction counts (independent of the machine's load): run it under callgrind, dumping its
counters at each `os.getpid()` (called around each sweep), with `--callgrind DIR`; it then reads
the dumps back and prints instructions per pod instead of µs (one sweep per figure):

    valgrind --tool=callgrind --dump-before=os_getpid --dump-instr=no \\
        --callgrind-out-file=DIR/cg.out python benchmarks/bench_pss_memo.py --callgrind DIR

`PODGATE_SRC=<dir>` measures the podgate found there (an older worktree's `src`).
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # bench_pss puts PODGATE_SRC or ./src first

from bench_pss import GEN, cluster_pods  # noqa: E402

from podgate.pss import LATEST, Check, Level  # noqa: E402
from podgate.pss.registry import Registry, discover  # noqa: E402

Pod = tuple[Any, Any]


def stream(pods: list[Pod], hits: float, length: int, seed: int, salt: int) -> list[Pod]:
    """`length` pods: with probability `hits` one already in the stream, else the next of `pods`
    with its containers renamed to names used nowhere else (`salt` tells streams apart, so that
    no sweep finds messages another one left in the checks' caches)."""
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
                c["name"] = f"{c.get('name')}-u{fresh}-{salt}"
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
    parser.add_argument("--callgrind", metavar="DIR", help="run under callgrind (see above)")
    parser.add_argument("--no-pause", action="store_true", help="key every pod (never pause)")
    args = parser.parse_args()
    if not GEN.is_file():
        print(f"needs {GEN}", file=sys.stderr)
        return 2
    pods, source = cluster_pods(args.pods, args.seed)
    levels = [Level(args.level)] if args.level != "both" else [Level.RESTRICTED, Level.BASELINE]
    memos = [args.memo == "on"] if args.memo != "both" else [True, False]
    rates = [float(h) for h in args.hits.split(",")]
    checks = discover()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"pods:    {len(pods)} pod specs from: {source}; streams of {args.length}")
    unit = "instructions per pod" if args.callgrind else f"best of {args.repeat}, µs per pod"
    pause = "never pausing" if args.no_pause else "pausing below break-even"
    print(f"python:  {sys.version.split()[0]}, one core, {unit}, memo {pause}")
    salt = 0
    for level in levels:
        for hits in rates:
            row = []
            for memo in memos:
                if args.callgrind:
                    salt += 1
                    pods_in = stream(pods, hits, args.length, args.seed, salt)
                    os.getpid()  # callgrind dumps what came before
                    sweep(_registry(checks, memo, args.no_pause), level, pods_in)
                    os.getpid()
                    got = _dumped(Path(args.callgrind)) / len(pods_in)
                    row.append(f"memo {'on ' if memo else 'off'} {got / 1000:6.1f}k")
                    continue
                best = float("inf")
                for _ in range(args.repeat):
                    salt += 1
                    pods_in = stream(pods, hits, args.length, args.seed, salt)
                    registry = _registry(checks, memo, args.no_pause)
                    best = min(best, sweep(registry, level, pods_in) / len(pods_in))
                row.append(f"memo {'on ' if memo else 'off'} {best * 1e6:6.2f}")
            print(f"{level.value:<10} hits {hits:4.2f}  " + "  ".join(row), flush=True)
    return 0


def _registry(checks: tuple[Check, ...], memo: bool, no_pause: bool) -> Registry:
    """A registry of the built-in checks, remembering shapes or not; with `no_pause`, its plans
    never pause (each needs no hit in a trial)."""
    registry = Registry(checks, builtin=checks, remember=memo)
    if no_pause:
        for plans in registry._compiled.values():
            for compiled in plans:
                compiled.min_hits = 0
    return registry


def _dumped(folder: Path) -> int:
    """The instructions callgrind counted between the last two `os.getpid()` calls: the totals
    line of its newest dump in `folder`."""
    newest = max(folder.glob("cg.out.*"), key=lambda p: int(p.suffix[1:]))
    for line in newest.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"{newest}: no totals line")


if __name__ == "__main__":
    sys.exit(main())
