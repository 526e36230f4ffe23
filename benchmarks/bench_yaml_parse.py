"""YAML parse time: the rapidyaml fast path against the libyaml path alone (issue 12, point 3).

    python benchmarks/bench_yaml_parse.py [--dir DIR] [--rounds N]

Reads every .yaml file of DIR (default: the generator's 1,000-pod yaml-dir, seed 1, written to a
temporary directory: `gen_cluster.py --pods 1000 --seed 1 --format yaml-dir`) into memory, then
times `yaml_documents` over all of them with `fast=False` (PyYAML's libyaml loader valued by
`goyaml`, today's path) and `fast=True` (rapidyaml, handing back what it cannot prove identical),
alternating, N rounds each with the cyclic GC off as the loader runs; prints the best and median
of each, their ratio, how many pieces went each way, and checks both gave identical documents.
Figures only; it never fails on them.
"""

from __future__ import annotations

import argparse
import gc
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from podgate.io import fastyaml
from podgate.io.stream import pieces
from podgate.io.yamldoc import yaml_documents

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT.parent / "shared" / "bench" / "gen_cluster.py"


def _generate(out: Path) -> None:
    cmd = [sys.executable, str(GEN), "--pods", "1000", "--seed", "1", "--format", "yaml-dir"]
    subprocess.run([*cmd, "-o", str(out)], check=True, capture_output=True)


def _read_all(texts: list[tuple[str, str]], fast: bool) -> tuple[float, list[Any]]:
    gc.disable()
    try:
        start = time.perf_counter()
        docs = [doc for name, text in texts for doc in yaml_documents(text, name, fast=fast)]
        return time.perf_counter() - start, docs
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("$ python benchmarks/bench_yaml_parse.py " + shlex.join(sys.argv[1:]))
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir
        if directory is None:
            directory = Path(tmp) / "yaml-1000-1"
            _generate(directory)
        files = sorted(directory.rglob("*.yaml"))
        texts = [(str(f), f.read_bytes().decode()) for f in files]
    size = sum(len(t.encode()) for _, t in texts)
    print(f"input: {len(files)} files, {size / 1e6:.1f} MB, from {directory}")
    if not fastyaml.available():
        print("rapidyaml is not installed: nothing to compare")
        return
    times: dict[bool, list[float]] = {False: [], True: []}
    results: dict[bool, list[Any]] = {}
    for _ in range(args.rounds):
        for fast in (False, True):
            seconds, docs = _read_all(texts, fast)
            times[fast].append(seconds)
            results[fast] = docs
            del docs
    same = [(i, line, orjson.dumps(v), items) for i, line, v, items in results[False]] == [
        (i, line, orjson.dumps(v), items) for i, line, v, items in results[True]
    ]
    reader = fastyaml.Reader()
    went_fast = went_slow = 0
    for _, text in texts:
        for piece in pieces(text):
            if reader.read(piece) is None:
                went_slow += 1
            else:
                went_fast += 1
    reader.close()
    print(f"documents: {len(results[True])}; pieces fast {went_fast}, libyaml {went_slow}")
    for fast, label in ((False, "libyaml path (before)"), (True, "rapidyaml fast path")):
        best, median = min(times[fast]), statistics.median(times[fast])
        print(f"{label:24} best {best:.3f} s  median {median:.3f} s  ({args.rounds} rounds)")
    ratio = min(times[False]) / min(times[True])
    print(f"speed-up (best/best): {ratio:.2f}x; identical documents: {same}")


if __name__ == "__main__":
    main()
