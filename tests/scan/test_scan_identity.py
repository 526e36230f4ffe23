"""Issue 9, point 1: every object is judged where it was read. Objects that share an identity
(kind, namespace, name) are all reported, with their files, in every output; owned objects are
folded into their controller only when that hides nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from podgate.advisor.advise import observe
from podgate.cli.main import cli
from podgate.k8s.source import Document, Source, documents
from podgate.scan.inventory import find_workloads
from tests.conftest import RunScan

PRIVILEGED = {"name": "web", "image": "nginx", "securityContext": {"privileged": True}}
HARDENED = {
    "name": "web",
    "image": "nginx",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


def deployment(container: dict[str, Any], name: str = "web", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, **meta},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


def owned_pod(
    container: dict[str, Any], owner: tuple[str, str], name: str = "web-1", uid: str = ""
) -> dict[str, Any]:
    ref: dict[str, Any] = {"kind": owner[0], "name": owner[1], "controller": True}
    if uid:
        ref["uid"] = uid
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "ownerReferences": [ref]},
        "spec": {"containers": [container]},
    }


def replicaset(container: dict[str, Any], name: str = "web-rs", uid: str = "") -> dict[str, Any]:
    rs = deployment(container, name, **({"uid": uid} if uid else {}))
    rs["kind"] = "ReplicaSet"
    return rs


def write(path: Path, *objs: dict[str, Any]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(objs))
    return str(path)


@pytest.fixture
def overlays(tmp_path: Path) -> tuple[str, str]:
    """The issue's kustomize tree: a privileged dev overlay beside a hardened prod one."""
    dev = write(tmp_path / "overlays" / "dev" / "web.yaml", deployment(PRIVILEGED))
    prod = write(tmp_path / "overlays" / "prod" / "web.yaml", deployment(HARDENED))
    return dev, prod


def test_a_privileged_overlay_beside_a_hardened_one_of_the_same_name_fails_the_scan(
    tmp_path: Path, overlays: tuple[str, str], run_scan: RunScan
) -> None:
    dev, prod = overlays
    rc, out, _ = run_scan(str(tmp_path), "--level", "restricted", "-o", "json")
    assert rc == 1
    data = json.loads(out)
    by_file = {w["source"]["file"]: w for w in data["workloads"]}
    assert set(by_file) == {dev, prod}
    assert by_file[dev]["pss"]["allowed"] is False
    assert by_file[prod]["pss"]["allowed"] is True
    assert [d["file"] for d in by_file[dev]["duplicates"]] == [prod]
    assert [d["file"] for d in by_file[prod]["duplicates"]] == [dev]
    [note] = [n for n in data["notes"] if "defined 2 times" in n]
    assert note.startswith("Deployment default/web is defined 2 times")
    assert f"{dev}:1" in note and f"{prod}:1" in note and "they differ" in note


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "policyreport", "html"])
def test_every_output_says_an_identity_was_read_twice_and_names_both_files(
    tmp_path: Path, overlays: tuple[str, str], fmt: str, run_scan: RunScan
) -> None:
    dev, prod = overlays
    rc, out, _ = run_scan(str(tmp_path), "--level", "restricted", "-o", fmt)
    assert rc == 1
    assert "is defined 2 times" in out
    assert dev in out and prod in out


def test_sarif_results_of_a_duplicated_workload_name_the_other_definitions(
    tmp_path: Path, overlays: tuple[str, str], run_scan: RunScan
) -> None:
    _, prod = overlays
    _, out, _ = run_scan(str(tmp_path), "--level", "restricted", "-o", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert results
    assert all(r["properties"]["duplicates"] == [f"{prod}:1"] for r in results)


def test_the_same_object_read_twice_is_judged_twice_and_said_to_be_identical(
    tmp_path: Path,
    run_scan: RunScan,
) -> None:
    a = write(tmp_path / "a.yaml", deployment(PRIVILEGED))
    b = write(tmp_path / "b.yaml", deployment(PRIVILEGED))
    rc, out, _ = run_scan(a, b, "-o", "json", "--level", "baseline")
    data = json.loads(out)
    assert rc == 1 and len(data["workloads"]) == 2
    assert any("defined 2 times" in n and "identical" in n for n in data["notes"])


def test_a_workload_read_once_has_no_duplicates_and_no_note(
    tmp_path: Path, run_scan: RunScan
) -> None:
    rc, out, _ = run_scan(write(tmp_path / "a.yaml", deployment(HARDENED)), "-o", "json")
    data = json.loads(out)
    assert rc == 0
    assert data["workloads"][0]["duplicates"] == []
    assert not any("defined" in n for n in data["notes"])


def test_a_pod_whose_owner_is_defined_twice_is_folded_into_neither(
    tmp_path: Path, run_scan: RunScan
) -> None:
    f = write(
        tmp_path / "a.yaml",
        replicaset(HARDENED),
        replicaset(PRIVILEGED),
        owned_pod(HARDENED, ("ReplicaSet", "web-rs")),
    )
    data = json.loads(run_scan(f, "-o", "json", "--level", "restricted")[1])
    pods = [w for w in data["workloads"] if w["kind"] == "Pod"]
    assert len(pods) == 1
    assert "defined 2 times in the input" in pods[0]["reportedApart"]
    assert all(w["pods"] == [] for w in data["workloads"])


def test_the_owner_uid_picks_the_controller_when_two_share_a_name() -> None:
    objs = [
        replicaset(PRIVILEGED, uid="u-1"),
        replicaset(HARDENED, uid="u-2"),
        owned_pod(HARDENED, ("ReplicaSet", "web-rs"), uid="u-2"),
    ]
    found = find_workloads(Document(o, Source("f", i, 1)) for i, o in enumerate(objs))
    assert [(w.source.document if w.source else None, w.pods) for w in found] == [
        (0, ()),
        (1, ("web-1",)),
    ]


def test_a_pod_that_differs_from_its_controllers_template_is_reported_on_its_own(
    tmp_path: Path,
    run_scan: RunScan,
) -> None:
    f = write(
        tmp_path / "a.yaml",
        replicaset(HARDENED),
        owned_pod(PRIVILEGED, ("ReplicaSet", "web-rs")),
    )
    rc, out, _ = run_scan(f, "-o", "json", "--level", "restricted")
    data = json.loads(out)
    assert rc == 1
    rs, pod = data["workloads"]
    assert (rs["kind"], rs["pss"]["allowed"], rs["pods"]) == ("ReplicaSet", True, [])
    assert (pod["kind"], pod["pss"]["allowed"]) == ("Pod", False)
    assert pod["owner"] == {"kind": "ReplicaSet", "namespace": "default", "name": "web-rs"}
    assert "differs from the template of ReplicaSet default/web-rs" in pod["reportedApart"]
    assert any(
        "1 object(s) owned by a controller are judged on their own" in n for n in data["notes"]
    )


def test_a_pod_judged_as_its_controllers_template_stays_folded(
    tmp_path: Path, run_scan: RunScan
) -> None:
    f = write(
        tmp_path / "a.yaml",
        replicaset(HARDENED),
        owned_pod(HARDENED, ("ReplicaSet", "web-rs")),
    )
    data = json.loads(run_scan(f, "-o", "json", "--level", "restricted")[1])
    [rs] = data["workloads"]
    assert rs["pods"] == ["web-1"]


def test_an_old_replicaset_with_another_template_is_not_hidden_in_its_deployment(
    tmp_path: Path,
    run_scan: RunScan,
) -> None:
    rs = replicaset(PRIVILEGED)
    rs["metadata"]["ownerReferences"] = [{"kind": "Deployment", "name": "web", "controller": True}]
    f = write(tmp_path / "a.yaml", deployment(HARDENED), rs)
    rc, out, _ = run_scan(f, "-o", "json", "--level", "restricted")
    assert rc == 1
    kinds = [(w["kind"], w["pss"]["allowed"]) for w in json.loads(out)["workloads"]]
    assert kinds == [("Deployment", True), ("ReplicaSet", False)]


def test_objects_that_own_each_other_are_both_judged() -> None:
    a, b = replicaset(HARDENED, "a"), replicaset(PRIVILEGED, "b")
    a["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "b", "controller": True}]
    b["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "a", "controller": True}]
    found = find_workloads(documents([a, b]))
    assert [w.ref.name for w in found] == ["a", "b"]
    assert all("cycle" in w.apart for w in found)


def test_advise_observes_every_definition_of_a_workload_read_twice() -> None:
    observed = observe(documents([deployment(PRIVILEGED), deployment(HARDENED)]))
    privileged = [
        o.pods[0]["spec"]["containers"][0]["securityContext"].get("privileged") for o in observed
    ]
    assert privileged == [True, None]


def test_advise_observes_two_owned_pods_of_the_same_name() -> None:
    rs = replicaset(HARDENED)
    pods = [
        owned_pod(PRIVILEGED, ("ReplicaSet", "web-rs")),
        owned_pod(HARDENED, ("ReplicaSet", "web-rs")),
    ]
    [o] = observe(documents([rs, *pods]))
    assert o.count == 3
    privileged = [p["spec"]["containers"][0]["securityContext"].get("privileged") for p in o.pods]
    assert privileged == [None, True]  # the privileged pod was replaced by the second before


def test_a_hostnetwork_template_is_reviewed_as_the_defaulted_pod_its_controller_creates(
    tmp_path: Path,
    run_scan: RunScan,
) -> None:
    """The API server sets hostPort = containerPort on a hostNetwork pod before PSP admission;
    a policy that allows the host network but no host port denies the pods the DaemonSet
    creates, so the DaemonSet is not admitted."""
    host_net = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodSecurityPolicy",
        "metadata": {"name": "net"},
        "spec": {
            "hostNetwork": True,
            "runAsUser": {"rule": "RunAsAny"},
            "seLinux": {"rule": "RunAsAny"},
            "supplementalGroups": {"rule": "RunAsAny"},
            "fsGroup": {"rule": "RunAsAny"},
        },
    }
    ds = deployment({"name": "agent", "image": "a", "ports": [{"containerPort": 9100}]}, "agent")
    ds["kind"] = "DaemonSet"
    ds["spec"]["template"]["spec"]["hostNetwork"] = True
    f = write(tmp_path / "a.yaml", host_net, ds)
    rc, out, _ = run_scan(f, "-o", "json", "--level", "privileged")
    [w] = json.loads(out)["workloads"]
    assert w["psp"]["allowed"] is False
    assert "spec.containers[0].hostPort: Invalid value: 9100" in w["psp"]["message"]
    assert rc == 1
    rc, out, _ = run_scan(f, "-o", "json", "--level", "privileged", "--no-defaults")
    assert json.loads(out)["workloads"][0]["psp"]["allowed"] is True


def test_advise_says_which_workloads_it_read_twice_with_their_files(
    tmp_path: Path, overlays: tuple[str, str]
) -> None:
    dev, prod = overlays
    result = CliRunner().invoke(cli, ["advise", str(tmp_path)])
    assert result.exit_code == 0
    assert "podgate: note: Deployment default/web is defined 2 times" in result.stderr
    assert f"{dev}:1" in result.stderr and f"{prod}:1" in result.stderr
    # both definitions are observed: the advised policy allows what the dev overlay needs
    assert "privileged: true" in result.stdout
    report = CliRunner().invoke(cli, ["advise", str(tmp_path), "--report", "-o", "json"])
    assert any("is defined 2 times" in n for n in json.loads(report.stdout)["notes"])


def test_advise_report_reads_existing_policies_and_rbac_as_the_scan_does(tmp_path: Path) -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",  # no namespace: kubectl applies it to "default", as the scan reads it
        "metadata": {"name": "r"},
        "rules": [
            {"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use"]}
        ],
    }
    istio = {
        "apiVersion": "policy/v1",
        "kind": "PodSecurityPolicy",
        "metadata": {"name": "istio"},
        "spec": {"privileged": True},
    }
    f = write(tmp_path / "a.yaml", role, istio, deployment(HARDENED))
    result = CliRunner().invoke(cli, ["advise", f, "--report", "-o", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["existingPolicies"]["policies"] == []
    assert any("apiVersion policy/v1 is not a policy" in n for n in data["notes"])
