"""End-to-end speed of `podgate advise` against `podgate scan` on the same snapshot (issue 5,
"Speed": a 100,000-pod snapshot advised in under 2x the scan's time).

    python benchmarks/bench_advise.py [--pods N] [--seed S] [--workdir DIR] [--repeat R]
                                      [--report]

A snapshot of N pods (default 100,000) as one JSON `v1 List`, written by
../shared/bench/gen_cluster.py (`--pods N --seed S --format json`) and kept in --workdir. Each
command runs in its own child process, its output discarded; the wall time is the best of
--repeat runs (default 1), with the child's peak RSS:

  podgate scan FILE -o json --output-file /dev/null --quiet --max-bytes SIZE
  podgate advise FILE -o yaml --max-bytes SIZE            (with --report: --report -o json)

The advise run includes its self-check: every observed pod through the admission engine with
the generated policies and RBAC. A benchmark prints figures; it never fails on them.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT.parent / "shared" / "bench" / "gen_cluster.py"
PODGATE = [sys.executable, "-c", "from podgate.cli.main import main; main()"]


def timed(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes) of one run of cmd, output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # scan: 1 means findings at or above --fail-on
        tail = err.decode(errors="replace")[-2000:]
        raise SystemExit(f"{shlex.join(cmd)}: exit code {code}\n{tail}")
    return seconds, usage.ru_maxrss * 1024


def best(cmd: list[str], repeat: int) -> tuple[float, int]:
    runs = [timed(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/podgate-bench"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="time `advise --report` too")
    args = parser.parse_args()
    if not GEN.is_file():
        raise SystemExit(f"needs {GEN} (../shared beside the project)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    snapshot = args.workdir / f"cluster-{args.pods}-seed{args.seed}.json"
    if not snapshot.is_file():
        gen = [sys.executable, str(GEN), "--pods", str(args.pods), "--seed", str(args.seed)]
        gen += ["--format", "json", "-o", str(snapshot)]
        print(f"generating: {shlex.join(gen)}", flush=True)
        subprocess.run(gen, check=True, stdout=subprocess.DEVNULL)
    size = snapshot.stat().st_size
    cap = ["--max-bytes", str(max(size, 1))]
    scan = [*PODGATE, "scan", str(snapshot), "-o", "json", "--output-file", "/dev/null"]
    scan += ["--quiet", *cap]
    advise = [*PODGATE, "advise", str(snapshot), "-o", "yaml", *cap]
    commands = [("scan", scan), ("advise", advise)]
    if args.report:
        report = [*PODGATE, "advise", str(snapshot), "--report", "-o", "json", *cap]
        commands.append(("advise --report", report))
    print(f"snapshot: {snapshot} ({size / 1e6:.1f} MB, {args.pods} pods, seed {args.seed})")
    results: dict[str, tuple[float, int]] = {}
    for label, cmd in commands:
        results[label] = best(cmd, args.repeat)
        seconds, rss = results[label]
        print(f"{label:16} {seconds:8.2f} s  peak RSS {rss / 1e6:8.0f} MB  $ {shlex.join(cmd)}")
    scan_s = results["scan"][0]
    for label in results:
        if label != "scan":
            ratio = results[label][0] / scan_s
            verdict = "meets" if ratio < 2 else "misses"
            print(f"{label} / scan = {ratio:.2f} ({verdict} the target < 2)")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")


if __name__ == "__main__":
    main()
