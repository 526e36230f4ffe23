"""`podgate scan --jobs`: one process against N, back to back (issue 12, point 5).

    python benchmarks/bench_jobs.py [--jobs N] [--rounds R] [--force] INPUT...

For each INPUT (a yaml-dir, a JSON snapshot; ../shared/bench/gen_cluster.py writes both):
(a) each part on its own, in this process, alternating --jobs 1 and --jobs N in every round:
    parsing the files (`load_documents`) and judging the workloads (`scan`), wall time and CPU
    time (this process, and the workers it waited for);
    and the wall time it would take on free cores (this process computes items too, beside N - 1
    workers: the larger of its CPU time and the workers' divided by N - 1; on a shared machine a
    second core is only as free as the others leave it);
(b) `podgate scan INPUT -o json --output-file /dev/null --quiet --max-bytes SIZE --jobs J` end to
    end, J = 1 and N alternating: wall time, CPU time and peak RSS (of the largest process).
`--force` sets PODGATE_POOL_MIN=0, so the pool is used whatever the input's size (to find the
size where it pays); without it each part uses the pool only above its threshold (see
src/podgate/io/parallel.py). The machine's load average is printed before and after: on a shared
machine a second core is only as free as the others leave it. Prints figures; never fails on them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from podgate.io import parallel
from podgate.io.catalog import load_catalog
from podgate.io.loader import load_documents
from podgate.io.pool import POOL_MIN_ENV, cores
from podgate.io.prepare import prepare
from podgate.scan import ScanOptions, scan

MAX_BYTES = 1 << 34


def cpu() -> tuple[float, float]:
    """CPU seconds of this process, and of the children it waited for (the workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def timed(work: Callable[[], Any]) -> tuple[float, tuple[float, float], Any]:
    wall, (me, kids) = time.perf_counter(), cpu()
    value = work()
    me_after, kids_after = cpu()
    return time.perf_counter() - wall, (me_after - me, kids_after - kids), value


def parts(path: str, jobs: int, rounds: int) -> None:
    figures: dict[tuple[str, int], list[tuple[float, tuple[float, float]]]] = {}
    options = ScanOptions(today=dt.date(2026, 1, 1))
    catalog = load_catalog()
    for _ in range(rounds):
        for j in (1, jobs):
            read = partial(load_documents, [path], max_bytes=MAX_BYTES)
            wall, used, docs = timed(partial(read, parse_each=parallel.parsing(j)))
            figures.setdefault(("parse files", j), []).append((wall, used))
            judge = partial(scan, prepare(docs), catalog, options)
            wall, used, _ = timed(partial(judge, judge_each=parallel.judging(j)))
            figures.setdefault(("scan (judging)", j), []).append((wall, used))
    for (part, j), runs in figures.items():
        walls = [w for w, _ in runs]
        me = statistics.median(m for _, (m, _) in runs)
        kids = statistics.median(k for _, (_, k) in runs)
        # what the wall time would be with a free core per process: this process works too,
        # beside j - 1 workers (evenly loaded), and waits for the slowest
        idle = me if j == 1 else max(me, kids / (j - 1))
        print(
            f"  {part:15} --jobs {j}: wall median {statistics.median(walls):6.2f} s "
            f"(min {min(walls):.2f}); CPU median: this process {me:.2f} s, workers {kids:.2f} s; "
            f"on free cores ~{idle:.2f} s"
        )


def end_to_end(path: str, jobs: int, rounds: int) -> None:
    figures: dict[int, list[tuple[float, float, int]]] = {}
    for _ in range(rounds):
        for j in (1, jobs):
            cmd = [
                str(Path(sys.executable).with_name("podgate")),
                *("scan", path, "-o", "json", "--output-file", "/dev/null", "--quiet"),
                *("--max-bytes", str(MAX_BYTES), "--jobs", str(j)),
            ]
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            assert proc.stderr is not None
            err = proc.stderr.read()
            _, status, usage = os.wait4(proc.pid, 0)  # the workers' usage is in the child's
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode not in (0, 1):
                raise SystemExit(f"{shlex.join(cmd)}: exit {proc.returncode}\n{err.decode()}")
            used = usage.ru_utime + usage.ru_stime
            figures.setdefault(j, []).append((wall, used, usage.ru_maxrss * 1024))
    for j, runs in figures.items():
        walls = [w for w, _, _ in runs]
        print(
            f"  end to end      --jobs {j}: wall median {statistics.median(walls):6.2f} s "
            f"(min {min(walls):.2f}), CPU median {statistics.median(c for _, c, _ in runs):6.2f}"
            f" s, peak RSS {max(r for _, _, r in runs) / 2**20:.0f} MiB"
        )
    print(
        f"  (podgate scan {shlex.quote(path)} -o json --output-file /dev/null --quiet "
        f"--max-bytes {MAX_BYTES} --jobs 1|{jobs})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--jobs", type=int, default=cores())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--force", action="store_true", help=f"{POOL_MIN_ENV}=0")
    args = parser.parse_args()
    if args.force:
        os.environ[POOL_MIN_ENV] = "0"
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"cores: {cores()}, load average before: {os.getloadavg()}")
    for path in args.inputs:
        print(f"{path}:")
        parts(path, args.jobs, args.rounds)
        end_to_end(path, args.jobs, args.rounds)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
