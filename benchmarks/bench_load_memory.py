"""Peak memory of reading input, by the input's shape (issue 9, point 11).

    python benchmarks/bench_load_memory.py [--mib N] [--workdir DIR]

Writes files of about N MiB (default 4) of different shapes: empty documents (`---` lines),
null documents (`~`), tiny objects, and the generator's realistic 1,000-pod yaml-dir; then, for
each, `load_documents([FILE])` in a fresh child process, printing the input's size, the child's
peak RSS over its RSS after imports (from rusage), and their ratio. Figures only; it never fails
on them.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT.parent / "shared" / "bench" / "gen_cluster.py"
CHILD = """
import gc, json, resource, sys, time
from podgate.io.loader import load_documents
gc.collect()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
docs = load_documents([sys.argv[1]], max_bytes=1 << 30)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"docs": len(docs), "grew": (after - before) * 1024, "seconds": seconds}))
"""

SHAPES = {
    "empty documents (---)": "---\n",
    "null documents (~)": "~\n---\n",
    "tiny objects": "kind: Pod\nspec: {}\n---\n",
}


def measure(path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mib", type=float, default=4.0)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/podgate-bench-memory"))
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    size = int(args.mib * 1024 * 1024)
    files: list[tuple[str, Path]] = []
    for name, unit in SHAPES.items():
        path = args.workdir / (name.split()[0] + ".yaml")
        if not path.exists():
            path.write_text(unit * (size // len(unit)))
        files.append((name, path))
    if GEN.exists():
        realistic = args.workdir / "realistic"
        if not realistic.exists():
            cmd = [sys.executable, str(GEN), "--pods", "1000", "--seed", "1", "--format"]
            cmd += ["yaml-dir"]
            cmd += ["-o", str(realistic)]
            print(f"generating: {shlex.join(cmd)}")
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        files.append(("realistic yaml-dir (gen_cluster.py)", realistic))
    print(f"command per file: {sys.executable} -c <load_documents([FILE])>  (peak RSS growth)")
    for name, path in files:
        got = measure(path)
        parts = list(path.iterdir()) if path.is_dir() else [path]
        mib_in = sum(f.stat().st_size for f in parts) / 2**20
        grew = got["grew"] / 2**20
        print(
            f"  {name:40s} {mib_in:6.1f} MiB in, {int(got['docs']):8d} objects, "
            f"peak RSS +{grew:7.1f} MiB ({grew / mib_in:5.1f}x the input), {got['seconds']:.1f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
