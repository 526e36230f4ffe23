"""Pods per second and µs per pod of `podgate.pss.evaluate`, restricted and baseline at latest.

    python benchmarks/bench_pss.py [--pods N] [--seed S] [--repeat R] [--builtin]

Pods come from ../shared/bench/gen_cluster.py (a realistic cluster snapshot: every Pod and every
workload's pod template) when ../shared is present, else from a built-in realistic set. Only
`evaluate` is timed (no parsing; the violations it returns include their detail texts), on one
core; the best of R runs is reported. Three figures per level:

* warm: each pod is decoded from JSON just before it is evaluated, as in the CLI (load, then
  evaluate) and the webhook (decode the AdmissionReview, then evaluate), so its objects are in
  the CPU caches. This is the figure the budget applies to.
* cold: all pods are decoded first and then evaluated in one sweep, so every pod's objects come
  from main memory (a large snapshot held in memory); memory-bound, shown for comparison.
* fresh: as cold, by a registry that remembers no pod shape (`Registry(remember=False)`): every
  pod is judged as one of a shape never seen, the engine's own cost. Warm and cold are mostly
  answers remembered per pod shape (`pss/reads.py`), since the replicas of a template repeat.

Budget: 10 µs per pod, warm (issue 3).

`PODGATE_SRC=<dir>` measures the podgate found there (an older worktree's `src`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("PODGATE_SRC") or str(ROOT / "src"))

from podgate.k8s import pod_sources  # noqa: E402
from podgate.pss import LATEST, Level, evaluate  # noqa: E402
from podgate.pss.registry import Registry, discover  # noqa: E402

GEN = ROOT.parent / "shared" / "bench" / "gen_cluster.py"
BUDGET_US = 10.0


def _container(name: str, i: int, *, hardened: bool, ports: bool = True) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": name,
        "image": f"registry.example.com/team/{name}:1.{i}.0",
        "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "REGION", "value": "eu-west-1"}],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
    }
    if ports:
        c["ports"] = [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]
    if hardened:
        c["securityContext"] = {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        }
    return c


Pod = tuple[Mapping[str, Any], Mapping[str, Any]]


def builtin_pods(n: int) -> list[Pod]:
    """A realistic mix: ~40% restricted, ~35% baseline only, ~25% violating baseline."""
    pods: list[Pod] = []
    for i in range(n):
        kind = i % 20
        meta = {"name": f"app-{i}", "namespace": "apps", "labels": {"app": f"app-{i % 37}"}}
        if kind < 8:  # restricted
            spec: dict[str, Any] = {
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [_container("app", i, hardened=True)],
                "volumes": [{"name": "config", "configMap": {"name": "app-config"}}],
            }
            if kind % 2:
                spec["initContainers"] = [_container("init", i, hardened=True, ports=False)]
        elif kind < 15:  # baseline only
            spec = {
                "containers": [
                    _container("app", i, hardened=False),
                    _container("sidecar", i, hardened=False),
                ],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": f"data-{i}"}}],
            }
        else:  # violates baseline
            c = _container("agent", i, hardened=False)
            c["securityContext"] = {
                "privileged": True,
                "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]},
            }
            c["ports"] = [{"containerPort": 9100, "hostPort": 9100}]
            spec = {
                "hostNetwork": True,
                "hostPID": kind % 2 == 0,
                "containers": [c],
                "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
            }
        pods.append((meta, spec))
    return pods


def cluster_pods(
    count: int, seed: int
) -> tuple[list[tuple[Mapping[str, Any], Mapping[str, Any]]], str]:
    """Every pod spec (Pods and workload templates) of a generated cluster, and the command."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cluster.json"
        cmd = [
            sys.executable,
            str(GEN),
            "--pods",
            str(count),
            "--seed",
            str(seed),
            "--format",
            "json",
            "-o",
            str(out),
        ]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        items = json.loads(out.read_text())["items"]
    pods = []
    for item in items:
        src = pod_sources(item)
        if src is not None:
            pods.append((src.meta, src.spec))
    shown = " ".join(
        ["python3", str(GEN.relative_to(ROOT.parent)), *cmd[2:-2], "-o", "cluster.json"]
    )
    return pods, shown


def bench_cold(level: Level, pods: list[Pod], repeat: int, judge: Any = evaluate) -> float:
    """Best seconds per pod for one sweep over the already decoded `pods`."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for meta, spec in pods:
            judge(level, LATEST, meta, spec)
        best = min(best, time.perf_counter() - start)
    return best / len(pods)


def bench_warm(level: Level, encoded: list[bytes], repeat: int) -> float:
    """Best seconds per pod, timing only `evaluate` right after each pod is decoded."""
    clock = time.perf_counter
    best = float("inf")
    for _ in range(repeat):
        total = overhead = 0.0
        for raw in encoded:
            meta, spec = json.loads(raw)
            start = clock()
            evaluate(level, LATEST, meta, spec)
            middle = clock()
            end = clock()
            total += middle - start
            overhead += end - middle
        best = min(best, (total - overhead) / len(encoded))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--builtin", action="store_true", help="use the built-in pod set even if ../shared exists"
    )
    args = parser.parse_args()

    if GEN.is_file() and not args.builtin:
        pods, source = cluster_pods(args.pods, args.seed)
    else:
        pods, source = builtin_pods(args.pods), f"built-in realistic pod set, {args.pods} pods"

    encoded = [json.dumps([meta, spec]).encode() for meta, spec in pods]
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"pods:    {len(pods)} pod specs from: {source}")
    print(f"python:  {sys.version.split()[0]}, one core, best of {args.repeat}")
    over = False
    checks = discover()
    fresh_judge = Registry(checks, builtin=checks, remember=False).evaluate
    for level in (Level.RESTRICTED, Level.BASELINE):
        failing = sum(1 for meta, spec in pods if evaluate(level, LATEST, meta, spec))
        warm = bench_warm(level, encoded, args.repeat) * 1e6
        cold = bench_cold(level, pods, args.repeat) * 1e6
        fresh = bench_cold(level, pods, args.repeat, fresh_judge) * 1e6
        over |= warm > BUDGET_US
        verdict = "OK" if warm <= BUDGET_US else "OVER"
        print(
            f"{level.value + ':latest':<18} warm {warm:6.2f} µs/pod {1e6 / warm:>9,.0f} pods/s"
            f" | cold {cold:6.2f} µs/pod {1e6 / cold:>9,.0f} pods/s"
            f" | fresh {fresh:6.2f} µs/pod"
            f" | {failing} of {len(pods)} fail | budget {BUDGET_US:.0f} µs warm: {verdict}"
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
