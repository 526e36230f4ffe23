"""End-to-end speed and memory of `podgate scan` (issue 4, "Speed").

    python benchmarks/bench_scan.py [--pods N] [--yaml-pods M] [--seed S] [--workdir DIR]
                                    [--no-checkov] [--checkov PATH] [--skip-json] [--skip-yaml]
                                    [--baseline PODGATE]

(a) A cluster snapshot of N pods (default 100,000) as one JSON `v1 List`, written by
    ../shared/bench/gen_cluster.py. Timed, each in its own child process (wall time, CPU time
    and peak RSS from that child's rusage): merely parsing it with orjson, and `podgate scan
    FILE -o json --output-file /dev/null --quiet --level restricted` end to end, with scan's
    default --max-bytes (1 GiB: it admits a 100,000-pod snapshot, about 760 MB). With
    --baseline, the same scan by another podgate executable (e.g. an older checkout's), run
    right after, for figures measured back to back.
    Targets: the scan within 2x the orjson time, peak memory within 2x the file's size.
(b) A yaml-dir of M pods (default 1,000): `podgate scan DIR --level restricted -o json` end to
    end, and Checkov's Kubernetes scan of the same directory (installed in its own venv, never a
    dependency: `python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install
    checkov`), from one run each. Target: podgate at least 100x faster.

Generated inputs are kept in --workdir and reused. A benchmark prints figures; it never fails
on them.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT.parent / "shared" / "bench" / "gen_cluster.py"
CHECKOV = Path("/tmp/checkov-venv/bin/checkov")
CHECKOV_MEASURED_S = 89.0  # issue 4: Checkov on the 1,000-pod yaml-dir, measured there
ORJSON_PARSE = "import orjson, sys; orjson.loads(open(sys.argv[1], 'rb').read())"
ORJSON_PARSE_NO_GC = "import gc; gc.disable(); " + ORJSON_PARSE


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    max_rss: int  # bytes
    code: int
    cpu: float = 0.0  # user + system seconds


def run(cmd: list[str]) -> Run:
    """Run cmd with its output discarded; its wall time and its own peak RSS (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: findings at or above --fail-on
        tail = err.decode(errors="replace")[-2000:]
        raise SystemExit(f"{shlex.join(cmd)}: exit code {proc.returncode}\n{tail}")
    return Run(seconds, usage.ru_maxrss * 1024, proc.returncode, usage.ru_utime + usage.ru_stime)


def generate(pods: int, seed: int, fmt: str, out: Path) -> list[str]:
    cmd = [
        sys.executable,
        str(GEN),
        "--pods",
        str(pods),
        "--seed",
        str(seed),
        "--format",
        fmt,
        "-o",
        str(out),
    ]
    if not out.exists():
        print(f"generating: {shlex.join(cmd)}", flush=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return cmd


def podgate() -> list[str]:
    script = Path(sys.executable).with_name("podgate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "podgate.cli.main"]


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def _scan_cmd(exe: list[str], snapshot: Path) -> list[str]:
    options = ["-o", "json", "--output-file", "/dev/null", "--quiet", "--level", "restricted"]
    return [*exe, "scan", str(snapshot), *options]


def _scan_line(name: str, r: Run, size: int) -> str:
    return (
        f"    {name:21s} {r.seconds:8.2f} s   CPU {r.cpu:6.2f} s   peak RSS {mib(r.max_rss)}"
        f" ({r.max_rss / size:.2f}x the file)   (exit {r.code})"
    )


def bench_json(pods: int, seed: int, workdir: Path, baseline: Path | None) -> None:
    snapshot = workdir / f"cluster-{pods}-{seed}.json"
    gen = generate(pods, seed, "json", snapshot)
    size = snapshot.stat().st_size
    parse_cmd = [sys.executable, "-c", ORJSON_PARSE, str(snapshot)]
    parse_no_gc_cmd = [sys.executable, "-c", ORJSON_PARSE_NO_GC, str(snapshot)]
    scan_cmd = _scan_cmd(podgate(), snapshot)
    parse = run(parse_cmd)
    parse_no_gc = run(parse_no_gc_cmd)
    scan = run(scan_cmd)
    print(f"\n(a) {pods:,}-pod JSON snapshot, {mib(size)} ({size:,} bytes)")
    print(f"    input:      {shlex.join(gen)}")
    print(f"    orjson:     {shlex.join(parse_cmd)}")
    print(f"    orjson, GC off: {shlex.join(parse_no_gc_cmd)}")
    print(f"    scan:       {shlex.join(scan_cmd)}")
    print(f"    orjson parse          {parse.seconds:8.2f} s   peak RSS {mib(parse.max_rss)}")
    print(
        f"    orjson parse, GC off  {parse_no_gc.seconds:8.2f} s   "
        f"peak RSS {mib(parse_no_gc.max_rss)}"
    )
    print(_scan_line("podgate scan", scan, size))
    if baseline is not None:
        # the older scan needs --max-bytes for a snapshot over its 64 MiB default
        base_cmd = [*_scan_cmd([str(baseline)], snapshot), "--max-bytes", str(size)]
        base = run(base_cmd)
        print(f"    baseline:   {shlex.join(base_cmd)}")
        print(_scan_line("baseline scan", base, size))
    print(
        f"    time:   scan / orjson = {scan.seconds / parse.seconds:.2f}x "
        f"(GC off: {scan.seconds / parse_no_gc.seconds:.2f}x); target <= 2x"
    )
    print(
        f"    memory: scan peak / file = {scan.max_rss / size:.2f}x "
        f"(orjson alone {parse.max_rss / size:.2f}x); target <= 2x"
    )


def bench_yaml(pods: int, seed: int, workdir: Path, checkov: Path | None) -> None:
    directory = workdir / f"yaml-{pods}-{seed}"
    gen = generate(pods, seed, "yaml-dir", directory)
    size = sum(f.stat().st_size for f in directory.iterdir())
    scan_cmd = [*podgate(), "scan", str(directory), "--level", "restricted", "-o", "json"]
    scan = run(scan_cmd)
    print(f"\n(b) {pods:,}-pod yaml-dir, {mib(size)} in {len(list(directory.iterdir()))} files")
    print(f"    input:   {shlex.join(gen)}")
    print(f"    podgate: {shlex.join(scan_cmd)}")
    print(f"    podgate scan   {scan.seconds:8.2f} s   peak RSS {mib(scan.max_rss)}")
    if checkov is None:
        if (pods, seed) != (1_000, 1):
            print("    checkov: skipped (the issue's figure is for --yaml-pods 1000 --seed 1)")
            return
        print(f"    checkov: skipped; the issue measured {CHECKOV_MEASURED_S:.0f} s there")
        theirs, where = CHECKOV_MEASURED_S, "issue's figure"
    else:
        ck_cmd = [str(checkov), "-d", str(directory), "--framework", "kubernetes"]
        ck_cmd += ["--quiet", "--compact", "-o", "json"]
        ck = run(ck_cmd)
        print(f"    checkov: {shlex.join(ck_cmd)}")
        print(f"    checkov scan   {ck.seconds:8.2f} s   peak RSS {mib(ck.max_rss)}")
        theirs, where = ck.seconds, "measured here, one run"
    print(f"    ratio: checkov / podgate = {theirs / scan.seconds:.0f}x ({where}); target >= 100x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=100_000, help="pods in the JSON snapshot")
    ap.add_argument("--yaml-pods", type=int, default=1_000, help="pods in the yaml-dir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/podgate-bench"))
    ap.add_argument("--checkov", type=Path, default=CHECKOV, help="the checkov executable")
    ap.add_argument("--no-checkov", action="store_true", help="skip Checkov")
    ap.add_argument("--skip-json", action="store_true")
    ap.add_argument("--skip-yaml", action="store_true")
    ap.add_argument(
        "--baseline", type=Path, help="another podgate executable to run the JSON scan with"
    )
    args = ap.parse_args()
    if not GEN.is_file():
        print(f"needs {GEN} (../shared); not found")
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    print(f"python:  {sys.version.split()[0]}, {os.cpu_count()} CPUs; wall times, one run each")
    if not args.skip_json:
        bench_json(args.pods, args.seed, args.workdir, args.baseline)
    if not args.skip_yaml:
        checkov: Path | None = None
        if not args.no_checkov:
            found = args.checkov if args.checkov.exists() else shutil.which("checkov")
            if found is None:
                print(f"\ncheckov not found at {args.checkov}: falling back to the issue's figure")
            else:
                checkov = Path(found)
        bench_yaml(args.yaml_pods, args.seed, args.workdir, checkov)
    return 0


if __name__ == "__main__":
    sys.exit(main())
