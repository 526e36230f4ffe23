"""`podgate advise` end to end: outputs, exit codes, and its output fed to `podgate lint` and
`podgate admit` (with --rbac) for the bundled example's pods."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from podgate.advisor import unchanged
from podgate.advisor.advise import observe
from podgate.cli.main import cli
from podgate.io.kube import kubeconfig
from podgate.k8s.source import documents
from tests.advisor.test_advisor_properties import EXAMPLE, load
from tests.kube_fake import make_pki


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    """Exit code and standard output (standard error too when the command failed)."""
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def test_yaml_stream_is_valid_and_lints(tmp_path: Path) -> None:
    rc, out = run("advise", *EXAMPLE)
    assert rc == 0
    docs = list(yaml.safe_load_all(out))
    kinds = {d["kind"] for d in docs}
    assert kinds == {"PodSecurityPolicy", "ClusterRole", "RoleBinding"}
    path = tmp_path / "advised.yaml"
    path.write_text(out)
    rc, lint_out = run("lint", str(path), "-o", "json")
    assert rc == 0, lint_out
    report = json.loads(lint_out)
    assert len(report["results"]) == 5
    assert all(entry["valid"] for entry in report["results"])


def test_json_is_a_v1_list() -> None:
    rc, out = run("advise", *EXAMPLE, "-o", "json", "--group-by", "cluster")
    assert rc == 0
    data = json.loads(out)
    assert (data["apiVersion"], data["kind"]) == ("v1", "List")
    assert [i["kind"] for i in data["items"]] == [
        "PodSecurityPolicy",
        "ClusterRole",
        "ClusterRoleBinding",
    ]


def test_text_summary() -> None:
    rc, out = run("advise", *EXAMPLE, "-o", "text")
    assert rc == 0
    assert "podgate.shop.postgres" in out
    assert "caps IPC_LOCK" in out


def test_report_text_json_and_yaml() -> None:
    rc, out = run("advise", *EXAMPLE, "--report")
    assert rc == 0
    for heading in (
        "WHICH WORKLOADS NEED WHAT",
        "NARROW EXCEPTIONS",
        "POD SECURITY STANDARDS PER NAMESPACE",
        "EXISTING PODSECURITYPOLICIES",
    ):
        assert heading in out
    assert "kubectl label --overwrite ns shop" in out
    rc, out = run("advise", *EXAMPLE, "--report", "-o", "json", "--version", "v1.30")
    assert rc == 0
    data = json.loads(out)
    assert set(data) >= {"uses", "exceptions", "namespaces", "existingPolicies", "policies"}
    assert {n["version"] for n in data["namespaces"]} == {"v1.30"}
    assert data["existingPolicies"]["rbacFromInput"] is True
    rc, out = run("advise", *EXAMPLE, "--report", "-o", "yaml")
    assert rc == 0
    assert yaml.safe_load(out)["groupBy"] == "serviceaccount"


def test_stdin_and_namespace() -> None:
    text = (Path(EXAMPLE[0]) / "shop.yaml").read_text()
    rc, out = run("advise", "-", "--namespace", "shop", "-o", "json", stdin=text)
    assert rc == 0
    names = [
        i["metadata"]["name"] for i in json.loads(out)["items"] if i["kind"] == "PodSecurityPolicy"
    ]
    assert names and all(n.startswith("podgate.shop.") for n in names)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "v2.0"], "--version"),
        (["--group-by", "pod"], "Invalid value"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    rc, out = run("advise", *EXAMPLE, *args)
    assert rc == 2
    assert message in out


def test_missing_input_exit_2(tmp_path: Path) -> None:
    rc, out = run("advise", str(tmp_path / "nope.yaml"))
    assert rc == 2
    assert "podgate: error:" in out


def test_admit_accepts_every_example_pod_unchanged(tmp_path: Path) -> None:
    """The output through `podgate admit --policy ... --rbac ...`, each pod as its service
    account (no --user)."""
    rc, out = run("advise", *EXAMPLE)
    assert rc == 0
    advised = tmp_path / "advised.yaml"
    advised.write_text(out)
    checked = 0
    for o in observe(documents(load(EXAMPLE))):
        for i, pod in enumerate(o.pods):
            path = tmp_path / f"pod-{checked}-{i}.yaml"
            path.write_text(yaml.safe_dump(pod))
            rc, res = run(
                "admit", str(path), "--policy", str(advised), "--rbac", str(advised), "-o", "json"
            )
            decision: dict[str, Any] = json.loads(res)
            assert rc == 0, (o.workload.ref, decision["message"])
            assert decision["allowed"]
            assert not decision["mutated"] or unchanged(pod, decision["object"]), decision["patch"]
            checked += 1
    assert checked >= 5


@pytest.mark.e2e
def test_live_reads_the_cluster(tmp_path: Path) -> None:
    """--live through the scanner's client, against test_live's local HTTPS API server."""
    live_tests = pytest.importorskip("tests.io.test_live")
    mp = pytest.MonkeyPatch()
    try:
        mp.delenv("KUBECONFIG", raising=False)
        mp.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        mp.setenv("HOME", str(tmp_path / "home"))
        mp.setattr(kubeconfig, "SERVICE_ACCOUNT_DIR", tmp_path / "no-service-account")
        pki = make_pki(tmp_path)
        api = live_tests.cluster_api(pki)
        try:
            ca = pki.ca.read_bytes()
            kc = live_tests.write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=ca)
            rc, out = run("advise", "--live", "--kubeconfig", str(kc), "-q", "-o", "json")
            assert rc == 0, out
            items = json.loads(out)["items"]
            policies = [i["metadata"]["name"] for i in items if i["kind"] == "PodSecurityPolicy"]
            assert len(policies) == 2
            assert "podgate.team-b.default" in policies
        finally:
            api.stop()
    finally:
        mp.undo()


def test_live_options_need_live() -> None:
    rc, out = run("advise", *EXAMPLE, "--context", "x")
    assert rc == 2
    assert "need --live" in out
    rc, out = run("advise")
    assert rc == 2
    assert "--live" in out
