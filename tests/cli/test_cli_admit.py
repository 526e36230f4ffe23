"""`podgate admit` end to end: JSON contract, exit codes, RBAC identities, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml
from click.testing import CliRunner

from podgate.cli.main import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str, stdin: str | None = None) -> tuple[int, Any, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    out: Any = None
    if "-o" in args and result.stdout.strip().startswith("{"):
        out = json.loads(result.stdout)
    return result.exit_code, out, result.output


def write(tmp_path: Path, name: str, obj: Any) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(obj) if isinstance(obj, list) else yaml.safe_dump(obj))
    return str(path)


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"serviceAccountName": "web", "containers": [{"name": "app", "image": "img"}]},
}


def test_admitted_with_mutation_json(tmp_path: Path) -> None:
    pod = write(tmp_path, "pod.yaml", POD)
    rc, out, _ = run("admit", pod, "--policy", "builtin:restricted", "-o", "json")
    assert rc == 0
    assert out["allowed"] is True
    assert out["policy"] == "restricted"
    assert out["mutated"] is True
    assert out["message"] is None
    assert out["violations"] == []
    assert out["object"]["metadata"]["annotations"]["kubernetes.io/psp"] == "restricted"
    assert jsonpatch.apply_patch(POD, out["patch"]) == out["object"]
    sc = out["object"]["spec"]["containers"][0]["securityContext"]
    assert sc == {
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "allowPrivilegeEscalation": False,
    }


def test_denied_json_and_text(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(POD))
    bad["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    pod = write(tmp_path, "pod.yaml", bad)
    rc, out, _ = run("admit", pod, "--policy", "builtin:restricted", "-o", "json")
    assert rc == 1
    assert out["allowed"] is False
    assert out["policy"] is None
    assert out["violations"] == [
        {
            "policy": "restricted",
            "field": "spec.containers[0].securityContext.privileged",
            "message": "spec.containers[0].securityContext.privileged: Invalid value: true: "
            "Privileged containers are not allowed",
        }
    ]
    assert out["message"] == (
        "PodSecurityPolicy: unable to admit pod: [spec.containers[0].securityContext.privileged: "
        "Invalid value: true: Privileged containers are not allowed]"
    )
    rc, _, text = run("admit", pod, "--policy", "builtin:restricted")
    assert rc == 1
    assert "DENIED" in text
    assert "Privileged containers are not allowed" in text


def test_rbac_decides_with_user_and_service_account(tmp_path: Path) -> None:
    base = ["--policy", str(EXAMPLES / "policies"), "--rbac", str(EXAMPLES / "rbac"), "-o", "json"]
    rc, out, _ = run("admit", str(EXAMPLES / "pods" / "postgres-0.yaml"), *base)
    assert (rc, out["policy"]) == (0, "db-ipc-lock")
    # the same pod under another service account may only use restricted, which forbids IPC_LOCK
    other = yaml.safe_load((EXAMPLES / "pods" / "postgres-0.yaml").read_text())
    other["spec"]["serviceAccountName"] = "web"
    rc, out, _ = run("admit", write(tmp_path, "p.yaml", other), *base)
    assert rc == 1
    assert {v["policy"] for v in out["violations"]} == {"restricted"}
    assert out["unauthorized_policies"] == ["db-ipc-lock", "privileged"]
    # a user bound to nothing, for a pod without a service account: nothing is usable
    del other["spec"]["serviceAccountName"]
    rc, out, _ = run("admit", write(tmp_path, "q.yaml", other), *base, "--user", "mallory")
    assert rc == 1
    assert out["message"] == "PodSecurityPolicy: unable to admit pod: []"


def test_update_with_old_and_gc_only_changes(tmp_path: Path) -> None:
    old = json.loads(json.dumps(POD))
    old["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    new = json.loads(json.dumps(old))
    new["metadata"]["finalizers"] = ["example.com/keep"]
    rc, out, _ = run(
        "admit",
        write(tmp_path, "new.yaml", new),
        "--old",
        write(tmp_path, "old.yaml", old),
        "--operation",
        "UPDATE",
        "--policy",
        "builtin:restricted",
        "-o",
        "json",
    )
    assert rc == 0
    assert out["policy"] is None
    assert out["evaluated"] is False
    rc, out, _ = run(
        "admit",
        write(tmp_path, "u.yaml", new),
        "--operation",
        "UPDATE",
        "--policy",
        "builtin:restricted",
        "-o",
        "json",
    )
    assert rc == 1
    assert out["message"].startswith("PodSecurityPolicy: unable to validate pod: [")


def test_ephemeral_containers_keep_upstreams_skip_and_say_loudly_it_was_a_bypass(
    tmp_path: Path,
) -> None:
    bad = json.loads(json.dumps(POD))
    bad["spec"]["ephemeralContainers"] = [
        {"name": "debugger", "image": "busybox", "securityContext": {"privileged": True}}
    ]
    args = ("admit", write(tmp_path, "p.yaml", bad), "--policy", "builtin:restricted")
    rc, out, mixed = run(*args, "--subresource", "ephemeralcontainers", "-o", "json")
    assert (rc, out["allowed"], out["policy"], out["evaluated"]) == (0, True, None, False)
    bypass = next(n for n in out["notes"] if "this was a bypass in PSP" in n)
    assert "podgate's webhook judges it as an UPDATE of the pod and denies it: " in bypass
    assert "spec.ephemeralContainers[0].securityContext.privileged" in bypass
    assert mixed.startswith("warning: PodSecurityPolicy never checked the ephemeralcontainers")
    rc, _, text = run(*args, "--subresource", "ephemeralcontainers")
    assert rc == 0
    assert text.count("this was a bypass in PSP") == 1  # the warning line, not a repeated note
    assert "not checked by PSP" in text


def test_status_subresource_is_skipped_without_a_bypass_warning(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(POD))
    bad["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    path = write(tmp_path, "p.yaml", bad)
    rc, out, mixed = run(
        "admit", path, "--policy", "builtin:restricted", "--subresource", "status", "-o", "json"
    )
    assert (rc, out["evaluated"]) == (0, False)
    assert "bypass" not in mixed


def test_workload_template_is_evaluated_as_a_pod(tmp_path: Path) -> None:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": POD["spec"]}},
    }
    rc, out, _ = run(
        "admit", write(tmp_path, "d.yaml", deploy), "--policy", "builtin:baseline", "-o", "json"
    )
    assert (rc, out["policy"]) == (0, "baseline")
    assert any("pod template of Deployment" in n for n in out["notes"])


def test_host_network_port_defaulting_is_reported(tmp_path: Path) -> None:
    pod = json.loads(json.dumps(POD))
    pod["spec"]["hostNetwork"] = True
    pod["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]
    path = write(tmp_path, "p.yaml", pod)
    policy = write(
        tmp_path,
        "psp.yaml",
        {
            "apiVersion": "policy/v1beta1",
            "kind": "PodSecurityPolicy",
            "metadata": {"name": "hn"},
            "spec": {
                "hostNetwork": True,
                "runAsUser": {"rule": "RunAsAny"},
                "seLinux": {"rule": "RunAsAny"},
                "fsGroup": {"rule": "RunAsAny"},
                "supplementalGroups": {"rule": "RunAsAny"},
            },
        },
    )
    rc, out, _ = run("admit", path, "--policy", policy, "-o", "json")
    assert rc == 1
    assert out["defaulted"] == ["spec.containers[0].ports[0].hostPort defaulted to 8080"]
    assert "Host port 8080 is not allowed to be used. Allowed ports: []" in out["message"]
    rc, out, _ = run("admit", path, "--policy", policy, "--no-defaults", "-o", "json")
    assert rc == 0


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ("kind: Pod\nmetadata: {name: x\n", "line"),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n"
            "  - name: c\n    securityContext: {runAsUser: root}\n",
            "spec.containers[0].securityContext.runAsUser: expected an integer",
        ),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "no Pod"),
        ("a: &a [*a, *a]\n", "document 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: str, expect: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = CliRunner().invoke(cli, ["admit", str(path), "--policy", "builtin:restricted"])
    assert result.exit_code == 2
    assert expect in result.output
    assert "Traceback" not in result.output
    assert str(path) in result.output


def test_missing_file_and_unknown_builtin(tmp_path: Path) -> None:
    rc, _, text = run("admit", str(tmp_path / "nope.yaml"), "--policy", "builtin:restricted")
    assert rc == 2
    assert "no such file" in text
    pod = write(tmp_path, "pod.yaml", POD)
    rc, _, text = run("admit", pod, "--policy", "builtin:nope")
    assert rc == 2
    assert "builtin:restricted" in text


def test_policy_from_stdin(tmp_path: Path) -> None:
    pod = write(tmp_path, "pod.yaml", POD)
    text = (Path(__file__).resolve().parents[2] / "src/podgate/library/privileged.yaml").read_text()
    rc, out, _ = run("admit", pod, "--policy", "-", "-o", "json", stdin=text)
    assert (rc, out["policy"], out["mutated"]) == (0, "privileged", False)
