"""podgate against Checkov 3.3.30 on one 1,000-pod yaml-dir, side by side in one run (issue 12).

    python benchmarks/bench_checkov.py [--pods N] [--seed S] [--dir DIR] [--rounds R]
                                       [--checkov PATH] [--workdir DIR]

Both scan the same plain directory end to end, each in its own child process (wall time, and
peak RSS from that child's rusage), their reports written to a file as a user would have them:

    podgate scan DIR --level restricted -o json
    checkov -d DIR --framework kubernetes -o json --compact --quiet --skip-download

The directory is `../shared/bench/gen_cluster.py --pods N --seed S --format yaml-dir` (default
1,000 pods, seed 1) written under --workdir, or --dir. Checkov skips every path with a hidden
component (`.cache`, `.git` ...), so a --dir with one is copied to a plain directory first, and
Checkov's `resource_count` is printed beside the number of objects in the directory: a Checkov
that read nothing would be fast for nothing. `--compact --quiet` (no code blocks, failed checks
only, as benchmarks/bench_scan.py ran it for the issue's figure): without them Checkov writes
over 2 GB of JSON for this directory. `--skip-download` keeps it from waiting on the network for
its guideline mappings (it reaches for them on every run); its checks are the same.

Checkov is never a podgate dependency: install it in its own venv,

    python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov==3.3.30

Without it the podgate figures are still printed, with a message saying how to install it.
Both run from bytecode, as installed packages do (pip compiles Checkov's at install): podgate's
modules are compiled first (`python -m compileall`, into `__pycache__` beside them), so that an
editable install under PYTHONDONTWRITEBYTECODE does not compile its source on every run.

podgate runs R times (default 5: before, between and after Checkov's run), Checkov once; the
ratio is Checkov's time over podgate's median. Target: at least 100x. A benchmark prints
figures; it never fails on them. The machine should be quiet: on a loaded one both times
stretch, by different factors.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT.parent / "shared" / "bench" / "gen_cluster.py"
CHECKOV = Path("/tmp/checkov-venv/bin/checkov")
CHECKOV_VERSION = "3.3.30"
INSTALL = (
    "python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install "
    f"checkov=={CHECKOV_VERSION}"
)


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    max_rss: int  # bytes
    code: int
    cpu: float  # seconds of CPU time (user and system), with the workers it waited for


def run(cmd: list[str], out: Path) -> Run:
    """Run `cmd` with its standard output in `out`: wall time and its own peak RSS (wait4)."""
    with open(out, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: findings (both tools)
        tail = err.decode(errors="replace")[-2000:]
        raise SystemExit(f"{shlex.join(cmd)}: exit code {proc.returncode}\n{tail}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss * 1024, proc.returncode, cpu)


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def podgate() -> list[str]:
    script = Path(sys.executable).with_name("podgate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "podgate.cli.main"]


def compile_podgate() -> str:
    """Compile podgate's modules to bytecode beside their sources (`__pycache__`, where Python
    itself keeps it), as installing a package does; returns the command."""
    import podgate

    package = str(Path(podgate.__file__).parent)
    cmd = [sys.executable, "-m", "compileall", "-q", package]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return shlex.join(["python", *cmd[1:]])


def hidden(path: Path) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in path.parts)


def input_directory(args: argparse.Namespace, scratch: Path) -> tuple[Path, str]:
    """The plain directory both tools scan, and how it was made."""
    if args.dir is not None:
        given = args.dir.resolve()
        if not hidden(given):
            return given, f"given: {given}"
        plain = scratch / "input"
        shutil.copytree(given, plain)
        return plain, f"copied from {given} (a hidden path component, which Checkov skips)"
    directory = args.workdir.resolve() / f"yaml-{args.pods}-{args.seed}"
    if hidden(directory):
        raise SystemExit(f"--workdir {args.workdir}: Checkov skips hidden paths; pick another")
    cmd = [sys.executable, str(GEN), "--pods", str(args.pods), "--seed", str(args.seed)]
    cmd += ["--format", "yaml-dir", "-o", str(directory)]
    if not directory.exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return directory, shlex.join(["python", *cmd[1:]])


def count_objects(directory: Path) -> tuple[int, int, int]:
    """(files, bytes, objects with a kind) in the directory, as podgate's loader reads them."""
    from podgate.io.loader import load_documents

    files = [f for f in directory.rglob("*") if f.suffix in (".yaml", ".yml", ".json")]
    size = sum(f.stat().st_size for f in files)
    docs = load_documents([str(directory)])
    return len(files), size, sum(1 for d in docs if d.obj.get("kind"))


def checkov_summary(report: Path) -> dict[str, Any]:
    """Checkov's JSON summary (one report, or the first of several: one per framework)."""
    data = orjson.loads(report.read_bytes())
    if isinstance(data, list):
        data = data[0] if data else {}
    summary: dict[str, Any] = data.get("summary", {}) if isinstance(data, dict) else {}
    return summary


def find_checkov(path: Path) -> Path | None:
    if path.exists():
        return path
    found = shutil.which("checkov")
    return Path(found) if found is not None else None


def checkov_version(checkov: Path) -> str:
    done = subprocess.run([str(checkov), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=None, help="scan this directory instead")
    ap.add_argument("--rounds", type=int, default=5, help="podgate runs (Checkov runs once)")
    ap.add_argument("--checkov", type=Path, default=CHECKOV, help="the checkov executable")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/podgate-bench"))
    ap.add_argument("--jobs", default=None, help="podgate's --jobs (default: podgate's own, auto)")
    args = ap.parse_args()
    if args.dir is None and not GEN.is_file():
        print(f"needs {GEN} (../shared) or --dir; not found")
        return 0
    print(f"command: {shlex.join(['python', 'benchmarks/bench_checkov.py', *sys.argv[1:]])}")
    print(
        f"python:  {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-checkov-") as tmp:
        scratch = Path(tmp)
        directory, origin = input_directory(args, scratch)
        files, size, objects = count_objects(directory)
        print(f"input:   {directory} ({origin})")
        print(f"         {files} files, {size / 1e6:.1f} MB, {objects:,} objects with a kind")
        ours = [*podgate(), "scan", str(directory), "--level", "restricted", "-o", "json"]
        if args.jobs is not None:
            ours += ["--jobs", args.jobs]
        print(f"podgate: {shlex.join(ours)} > report.json")
        checkov = find_checkov(args.checkov)
        theirs: list[str] | None = None
        if checkov is None:
            print(f"checkov: not found at {args.checkov} nor on PATH. Install it in its own venv")
            print(f"         (never a podgate dependency): {INSTALL}")
        else:
            version = checkov_version(checkov)
            theirs = [str(checkov), "-d", str(directory), "--framework", "kubernetes"]
            theirs += ["-o", "json", "--compact", "--quiet", "--skip-download"]
            print(f"checkov: {shlex.join(theirs)} > report.json   (version {version})")
            if version != CHECKOV_VERSION:
                print(f"         note: the issue's figures are for Checkov {CHECKOV_VERSION}")
        print(f"         (bytecode first: {compile_podgate()})")
        times: list[Run] = []
        theirs_run: Run | None = None
        for i in range(args.rounds):
            times.append(run(ours, scratch / "podgate.json"))
            if theirs is not None and theirs_run is None and i >= (args.rounds - 1) // 2:
                theirs_run = run(theirs, scratch / "checkov.json")
        report = orjson.loads((scratch / "podgate.json").read_bytes())
        judged = report["summary"]["workloads"]
        seconds = [r.seconds for r in times]
        median = statistics.median(seconds)
        print()
        print(
            f"podgate  median {median:7.3f} s  best {min(seconds):.3f} s  "
            f"({len(times)} runs: {', '.join(f'{s:.3f}' for s in seconds)})  "
            f"peak RSS {mib(max(r.max_rss for r in times))}  workloads judged {judged}"
        )
        print(
            f"         CPU median {statistics.median(r.cpu for r in times):.3f} s (with its "
            f"workers: --jobs {args.jobs or 'auto'}, {os.cpu_count()} CPUs), "
            f"load after {os.getloadavg()[0]:.1f}"
        )
        if theirs_run is None:
            print("checkov  not run (see above); no ratio")
            return 0
        summary = checkov_summary(scratch / "checkov.json")
        count = summary.get("resource_count")
        print(
            f"checkov  {theirs_run.seconds:14.3f} s  (1 run)  peak RSS {mib(theirs_run.max_rss)}  "
            f"resource_count {count}  passed {summary.get('passed')}  "
            f"failed {summary.get('failed')}  parsing_errors {summary.get('parsing_errors')}"
        )
        if not isinstance(count, int) or count < objects:
            print(f"         WARNING: Checkov counted {count} resources for {objects:,} objects")
        ratio = theirs_run.seconds / median
        print(
            f"ratio    checkov / podgate = {ratio:.1f}x (median), "
            f"{theirs_run.seconds / min(seconds):.1f}x (best); target >= 100x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
