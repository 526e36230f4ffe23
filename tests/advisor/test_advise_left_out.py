"""`advise` on what no PodSecurityPolicy can admit, and on RBAC as `scan` reads it: an `image:`
volume (a source PSP does not know) or a pod the API server refuses as invalid is left out of
the advice with a note instead of aborting with "advisor bug"; `advise --report` takes a Role
without a namespace as `scan` does (in "default")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from podgate.cli.main import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path: Path, name: str, *objs: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objs)}))
    return str(path)


def bare_pod(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec},
    }


IMAGE_VOLUME = bare_pod(
    "iv",
    volumes=[
        {"name": "data", "image": {"reference": "quay.io/x/y:1", "pullPolicy": "IfNotPresent"}}
    ],
)


def test_a_pod_with_an_image_volume_is_left_out_with_a_note_not_an_advisor_bug(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "pods.json", IMAGE_VOLUME, bare_pod("plain"))
    result = CliRunner().invoke(cli, ["advise", path, "-o", "json"])
    assert result.exit_code == 0, result.output
    assert "advisor bug" not in result.output
    assert (
        "podgate: warning: Pod default/iv: volume 'data' uses the image source, which "
        "PodSecurityPolicy does not know"
    ) in result.stderr
    manifests = json.loads(result.stdout)
    text = json.dumps(manifests)
    assert "PodSecurityPolicy" in text  # the other pod still gets its policy


def test_the_report_lists_the_left_out_workload_in_its_notes(tmp_path: Path) -> None:
    path = write(tmp_path, "pods.json", IMAGE_VOLUME)
    result = CliRunner().invoke(cli, ["advise", path, "--report", "-o", "json"])
    assert result.exit_code == 0, result.output
    notes = json.loads(result.stdout)["notes"]
    assert any(n.startswith("Pod default/iv: volume 'data' uses the image source") for n in notes)


def test_a_pod_invalid_as_written_is_left_out_with_the_api_servers_error(tmp_path: Path) -> None:
    invalid = bare_pod("bad")
    invalid["spec"]["containers"][0]["securityContext"] = {
        "privileged": True,
        "allowPrivilegeEscalation": False,
    }
    result = CliRunner().invoke(cli, ["advise", write(tmp_path, "p.json", invalid)])
    assert result.exit_code == 0, result.output
    assert "the API server refuses its pods as invalid" in result.stderr
    assert "cannot set `allowPrivilegeEscalation` to false and `privileged` to true" in (
        result.stderr
    )


def test_a_pod_with_an_empty_proc_mount_is_left_out_not_an_advisor_bug(tmp_path: Path) -> None:
    odd = bare_pod("pm")
    odd["spec"]["containers"][0]["securityContext"] = {"procMount": ""}
    result = CliRunner().invoke(cli, ["advise", write(tmp_path, "p.json", odd, bare_pod("plain"))])
    assert result.exit_code == 0, result.output
    assert "advisor bug" not in result.output
    assert (
        "the API server refuses its pods as invalid whatever the policy (spec.containers[0]."
        'securityContext.procMount: Unsupported value: "": supported values: "Default", '
        '"Unmasked"), so it is left out of the advice'
    ) in result.output


def test_advise_report_reads_a_role_without_a_namespace_as_scan_does(tmp_path: Path) -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    inputs = [str(EXAMPLES / "pods" / "web.yaml"), write(tmp_path, "role.json", role)]
    inputs.append(str(EXAMPLES / "policies"))
    scan = CliRunner().invoke(cli, ["scan", *inputs, "--quiet"])
    assert scan.exit_code in (0, 1), scan.output
    report = CliRunner().invoke(cli, ["advise", *inputs, "--report"])
    assert report.exit_code == 0, report.output
    assert "metadata.namespace: required" not in report.output
