"""deploy/ui: `podgate ui` behind an authenticating proxy passes `podgate scan --level
restricted`, listens on the pod's loopback only, reads its token from the Secret, and acts as
a read-only service account that may list every kind `podgate scan --live` lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.io.live import RESOURCES

UI = Path(__file__).resolve().parents[2] / "deploy" / "ui"


def _objects() -> list[dict[str, Any]]:
    out = []
    for path in sorted(UI.glob("*.yaml")):
        out.extend(
            d
            for d in yaml.safe_load_all(path.read_text())
            if d and d.get("kind") != "Kustomization"
        )
    return out


def _one(kind: str) -> dict[str, Any]:
    (found,) = [o for o in _objects() if o["kind"] == kind]
    return found


def test_the_ui_pod_passes_restricted() -> None:
    result = CliRunner().invoke(cli, ["scan", "--level", "restricted", str(UI), "-o", "json"])
    assert result.exit_code == 0, result.output
    (workload,) = json.loads(result.output)["workloads"]
    assert workload["pss"]["violations"] == []


def test_the_ui_listens_on_loopback_with_the_token_from_the_secret_and_only_the_proxy_is_exposed() -> (
    None
):
    pod = _one("Deployment")["spec"]["template"]["spec"]
    ui, proxy = pod["containers"]
    assert ui["args"][:2] == ["ui", "--live"]
    assert "--listen=127.0.0.1:8765" in ui["args"]
    assert "--token-file=/var/run/podgate-ui/token" in ui["args"]
    assert "--allow-changes" not in ui["args"]
    assert "ports" not in ui
    assert [p["containerPort"] for p in proxy["ports"]] == [4180]
    (secret,) = [v for v in pod["volumes"] if v["name"] == "token"]
    assert secret["secret"]["secretName"] == "podgate-ui-token"
    assert _one("Service")["spec"]["ports"][0]["targetPort"] == "http"


def test_the_ui_acts_as_a_read_only_service_account_that_may_list_what_a_scan_lists() -> None:
    role = _one("ClusterRole")
    binding = _one("ClusterRoleBinding")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "podgate-ui", "namespace": "podgate-system"}
    ]
    assert _one("Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "podgate-ui"
    granted = set()
    for rule in role["rules"]:
        assert set(rule["verbs"]) <= {"get", "list"}  # read-only
        granted |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    assert not any(r == "secrets" for _, r in granted)
    for res in RESOURCES:
        group = res.api_version.rpartition("/")[0] if "/" in res.api_version else ""
        assert (group, res.plural) in granted, res
