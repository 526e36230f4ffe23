"""`export --to psa`: labels chosen from what PSP admitted, proved with the PSS engine: every
workload PSP admitted runs under the enforce label or is named in a stricter gap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.export import ExportError, Verdict, export
from podgate.export.cluster import Cluster, requester
from podgate.pss import Level, evaluate, parse_version
from tests.psp_helpers import policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = [str(ROOT / "examples" / d) for d in ("cluster", "policies", "rbac")]
LABEL = "pod-security.kubernetes.io"


def objects_of(paths: list[str]) -> list[dict[str, Any]]:
    out = []
    for p in paths:
        for f in sorted(Path(p).rglob("*.yaml")):
            out.extend(d for d in yaml.safe_load_all(f.read_text()) if d)
    return out


def split(objs: list[dict[str, Any]]) -> tuple[list[Any], list[Any], list[Any]]:
    rbac_kinds = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    psps = [policy_defaults(o) for o in objs if o["kind"] == "PodSecurityPolicy"]
    rbac = [o for o in objs if o["kind"] in rbac_kinds]
    rest = [o for o in objs if o["kind"] != "PodSecurityPolicy" and o["kind"] not in rbac_kinds]
    return psps, rbac, rest


def generated_cluster(tmp_path: Path, pods: int, seed: int) -> str:
    """A cluster snapshot written by ../shared/bench/gen_cluster.py (callers skip without it)."""
    from tests.conftest import SHARED

    out = tmp_path / "cluster.json"
    script = str(SHARED / "bench" / "gen_cluster.py")
    cmd = [sys.executable, script, "--pods", str(pods), "--seed", str(seed), "-o", str(out)]
    subprocess.run(cmd, check=True)
    return str(out)


def policy_defaults(o: dict[str, Any]) -> dict[str, Any]:
    from podgate.k8s.defaults import default_policy

    return dict(default_policy(o)[0])


def deployment(ns: str, name: str, spec: dict[str, Any], sa: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"template": {"metadata": {}, "spec": {"serviceAccountName": sa, **spec}}},
    }


def grant_all(policies: list[str]) -> list[dict[str, Any]]:
    """Every service account and controller may use the policies (one ClusterRoleBinding)."""
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "use"},
            "rules": [
                {
                    "apiGroups": ["policy"],
                    "resources": ["podsecuritypolicies"],
                    "verbs": ["use"],
                    "resourceNames": policies,
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "use"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "use",
            },
            "subjects": [
                {
                    "kind": "Group",
                    "apiGroup": "rbac.authorization.k8s.io",
                    "name": "system:serviceaccounts",
                }
            ],
        },
    ]


RESTRICTED_PSP = policy(
    "restricted",
    annotations={
        "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
        "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
    },
    allowPrivilegeEscalation=False,
    requiredDropCapabilities=["ALL"],
    volumes=["configMap", "emptyDir", "secret"],
    runAsUser={"rule": "MustRunAsNonRoot"},
)


def test_enforce_is_what_workloads_meet_as_written_and_audit_what_psp_guaranteed() -> None:
    # PSP fills in drop ALL, allowPrivilegeEscalation and runAsNonRoot: the pod as written
    # only meets baseline, as PSP admitted it restricted
    app = deployment(
        "apps",
        "web",
        {
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "i"}],
        },
    )
    result = export([RESTRICTED_PSP], grant_all(["restricted"]), [app], "psa", "1.30")
    (ns,) = result.namespaces
    labels = ns.details["labels"]
    assert labels[f"{LABEL}/enforce"] == "baseline"
    assert labels[f"{LABEL}/enforce-version"] == "v1.30"
    assert labels[f"{LABEL}/audit"] == "restricted"
    assert labels[f"{LABEL}/warn"] == "restricted"
    (mutated,) = ns.details["mutatedByPsp"]
    assert mutated["workload"] == "Deployment apps/web"
    assert {op["path"] for op in mutated["patch"]} >= {
        "/spec/containers/0/securityContext",
    }
    assert result.commands == (
        "kubectl label --dry-run=server --overwrite ns apps "
        f"{LABEL}/enforce=baseline {LABEL}/enforce-version=v1.30 {LABEL}/audit=restricted "
        f"{LABEL}/audit-version=v1.30 {LABEL}/warn=restricted {LABEL}/warn-version=v1.30",
    )


def test_workload_psp_denied_but_psa_admits_is_a_looser_gap_naming_it() -> None:
    ok = deployment("apps", "web", {"containers": [{"name": "c", "image": "i"}]})
    root = deployment(
        "apps",
        "root",
        {"containers": [{"name": "c", "image": "i", "securityContext": {"runAsUser": 0}}]},
    )
    result = export(
        [RESTRICTED_PSP], grant_all(["restricted"]), [ok, root], "psa", "1.30", boundary=False
    )
    (ns,) = result.namespaces
    assert ns.verdict is Verdict.PARTIAL
    looser = [g for g in ns.gaps if g.direction.value == "looser"]
    assert [g.workloads for g in looser] == [("Deployment apps/root",)]
    assert looser[0].field == "spec.containers[0].securityContext.runAsUser"


def test_namespace_where_psa_and_psp_agree_on_every_pod_is_proved() -> None:
    # the only workload meets restricted as written; without generated pods nothing differs
    spec = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "c",
                "image": "i",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
    }
    result = export(
        [RESTRICTED_PSP],
        grant_all(["restricted"]),
        [deployment("apps", "web", spec)],
        "psa",
        "1.30",
        boundary=False,
    )
    (ns,) = result.namespaces
    assert ns.verdict is Verdict.PROVED
    assert ns.engine.startswith("podgate PSS engine")
    assert ns.details["labels"][f"{LABEL}/enforce"] == "restricted"
    assert result.all_proved
    (obj,) = result.objects
    assert obj["metadata"]["annotations"]["podgate.io/export-verdict"] == "proved"
    assert obj["metadata"]["annotations"]["podgate.io/source-policy"] == "restricted"


def test_every_admitted_example_workload_runs_under_enforce_or_is_named_stricter() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = export(psps, rbac, rest, "psa", "1.30")
    cluster = Cluster.from_objects([*psps, *rbac, *rest])
    version = parse_version("v1.30")
    by_ns = {n.name: n for n in result.namespaces}
    checked = 0
    for w in cluster.workloads:
        decision = cluster.decide(w.as_pod(), w.ref.namespace, requester(w))
        if not decision.allowed:
            continue
        ns = by_ns[w.ref.namespace]
        level = Level(ns.details["labels"][f"{LABEL}/enforce"])
        named = any(str(w.ref) in g.workloads for g in ns.gaps if g.direction.value == "stricter")
        assert named or not evaluate(level, version, w.meta, w.spec), w.ref
        checked += 1
    assert checked >= 4
    # the namespace whose service accounts may use different policies says so
    shop = by_ns["shop"]
    assert any(g.field == "serviceAccountName" for g in shop.gaps)
    assert any(o["kind"] == "AdmissionConfiguration" for o in result.objects)


@pytest.mark.parametrize("bad", ["1.21", "2.0", "latest", "1.x"])
def test_bad_kubernetes_version_is_an_export_error(bad: str) -> None:
    with pytest.raises(ExportError, match="--kubernetes-version"):
        export([RESTRICTED_PSP], [], [], "psa", bad)


def test_cli_json_exit_codes_and_output_file(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["export", "--to", "psa", *EXAMPLE, "--kubernetes-version", "1.30", "-o", "json"]
    )
    assert result.exit_code == 1, result.output  # partial: gaps exist
    data = json.loads(result.stdout)
    assert data["target"] == "psa"
    assert {n["name"] for n in data["namespaces"]} == {"batch", "kube-system", "shop"}
    for n in data["namespaces"]:
        assert n["verdict"] in ("proved", "partial")
        for g in n["gaps"]:
            assert g["direction"] in ("looser", "stricter")
    out = tmp_path / "psa.yaml"
    result = runner.invoke(cli, ["export", "--to", "psa", *EXAMPLE, "--output-file", str(out)])
    assert result.exit_code == 1
    assert "kubectl label --dry-run=server" in result.stdout
    kinds = [d["kind"] for d in yaml.safe_load_all(out.read_text())]
    assert kinds.count("Namespace") == 3


def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "--to", "psa", *EXAMPLE, "--kubernetes-version", "x"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    empty = tmp_path / "pods.yaml"
    empty.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    result = runner.invoke(cli, ["export", "--to", "psa", str(empty)])
    assert result.exit_code == 2
    assert "no PodSecurityPolicy" in result.output
