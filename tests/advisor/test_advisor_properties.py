"""The advisor's two properties, on the bundled example and on generated snapshots of several
seeds: (1) its output, fed back through the admission engine with its RBAC, admits every
observed pod, as its service account, unchanged; (2) least privilege: taking away any privilege
a generated policy grants makes some observed workload of its group fail."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from podgate.advisor import Advice, AdviseOptions, GroupBy, advise
from podgate.advisor.advise import observe
from podgate.io.loader import load_documents
from podgate.k8s import Obj
from podgate.k8s.defaults import default_object, default_policy
from podgate.k8s.source import documents
from tests.advisor.test_advisor_helpers import fails, round_trip, tightenings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = [str(ROOT / "examples" / d) for d in ("cluster", "policies", "rbac", "pods")]
SEEDS = (1, 2, 3, 4)
PODS = 300


def load(paths: list[str]) -> list[Obj]:
    out: list[Obj] = []
    for d in load_documents(paths):
        obj: Obj = d.obj
        if obj.get("kind") == "PodSecurityPolicy":
            obj = default_policy(obj)[0]
        else:
            obj = default_object(obj)[0]
        out.append(obj)
    return out


@cache
def _snapshot(shared: Path, seed: int, tmp: Path) -> tuple[Obj, ...]:
    out = tmp / f"seed{seed}.json"
    subprocess.run(
        [
            sys.executable,
            str(shared / "bench" / "gen_cluster.py"),
            "--pods",
            str(PODS),
            "--seed",
            str(seed),
            "--format",
            "json",
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return tuple(load([str(out)]))


@pytest.fixture(scope="module")
def snapshots(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[Obj]]:
    tmp = tmp_path_factory.mktemp("snapshots")
    return {s: list(_snapshot(shared_dir, s, tmp)) for s in SEEDS}


def _check(objs: list[Obj], group_by: GroupBy) -> Advice:
    advice = advise(documents(objs), AdviseOptions(group_by=group_by))
    # the output as a user gets it: a YAML stream, read back
    manifests = list(yaml.safe_load_all(yaml.safe_dump_all(advice.manifests)))
    assert round_trip(manifests, advice, objs) == []
    every = {o.workload.ref: o.pods for o in observe(documents(objs), distinct=False)}
    for p in advice.policies:
        pods = [pod for g in p.groups for o in g.observed for pod in every[o.workload.ref]]
        kept = [what for what, tighter in tightenings(p.policy, pods) if not fails(tighter, pods)]
        assert kept == [], f"{p.name}: not needed by any workload: {kept}"
    return advice


@pytest.mark.parametrize("group_by", list(GroupBy))
def test_bundled_example(group_by: GroupBy) -> None:
    advice = _check(load(EXAMPLE), group_by)
    assert advice.checked >= len(advice.observed) > 0


@pytest.mark.shared
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("group_by", list(GroupBy))
def test_generated_snapshots(snapshots: dict[int, list[Obj]], seed: int, group_by: GroupBy) -> None:
    advice = _check(snapshots[seed], group_by)
    assert advice.observed_pods > PODS
