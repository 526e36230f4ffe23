"""`podgate lint`: JSON shape, exit codes, notes, bad input. Runs the click command in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from podgate.cli.lint import command

GOOD = """\
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: demo-restricted}
spec:
  privileged: false
  allowPrivilegeEscalation: false
  requiredDropCapabilities: [ALL]
  runAsUser: {rule: MustRunAsNonRoot}
  seLinux: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: [configMap, secret, emptyDir, projected]
"""
BAD = GOOD.replace("name: demo-restricted", "name: Bad_Name").replace(
    "runAsUser: {rule: MustRunAsNonRoot}", "MustRunAsNonRoot: true"
)
ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: psp-user}
rules: []
"""
RUN_AS_USER_ERROR = (
    'spec.runAsUser.rule: Unsupported value: "": supported values: "MustRunAs", '
    '"MustRunAsNonRoot", "RunAsAny"'
)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(command, list(args), input=stdin)


def as_json(result: Result) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(result.stdout)
    return value


def test_valid_policy_exit_0(tmp_path: Path) -> None:
    path = write(tmp_path, "psp.yaml", GOOD)
    result = run(path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert as_json(result) == {
        "results": [
            {
                "policy": "demo-restricted",
                "file": path,
                "document": 0,
                "line": 1,
                "valid": True,
                "errors": [],
                "hints": [],
                "defaulted": [],
            }
        ]
    }


def test_invalid_policy_exit_1_with_upstream_errors(tmp_path: Path) -> None:
    good = write(tmp_path, "psp.yaml", GOOD)
    bad = write(tmp_path, "bad.yaml", BAD)
    result = run(good, bad, "-o", "json")
    assert result.exit_code == 1, result.output
    results = as_json(result)["results"]
    assert [(r["policy"], r["file"], r["valid"]) for r in results] == [
        ("demo-restricted", good, True),
        ("Bad_Name", bad, False),
    ]
    errors = results[1]["errors"]
    assert [e["field"] for e in errors] == ["metadata.name", "spec.runAsUser.rule"]
    assert errors[1]["message"] == RUN_AS_USER_ERROR
    assert errors[0]["message"].startswith(
        'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'
    )
    hints = results[1]["hints"]
    assert hints[0] == {
        "field": "spec.MustRunAsNonRoot",
        "message": hints[0]["message"],
        "suggestion": "runAsUser: {rule: MustRunAsNonRoot}",
    }
    assert all(set(h) == {"field", "message", "suggestion"} for h in hints)


def test_defaulting_and_no_defaults(tmp_path: Path) -> None:
    text = GOOD.replace("  allowPrivilegeEscalation: false\n", "") + (
        "  defaultAllowPrivilegeEscalation: true\n"
    )
    path = write(tmp_path, "psp.yaml", text)
    result = run(path, "-o", "json")
    assert result.exit_code == 0, result.output
    out = as_json(result)["results"][0]
    assert out["defaulted"] == ["spec.allowPrivilegeEscalation defaulted to true"]
    assert [h["field"] for h in out["hints"]] == ["spec.allowPrivilegeEscalation"]

    result = run(path, "-o", "json", "--no-defaults")
    assert result.exit_code == 1
    out = as_json(result)["results"][0]
    assert out["defaulted"] == []
    assert [e["field"] for e in out["errors"]] == ["spec.defaultAllowPrivilegeEscalation"]


def test_text_output(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", BAD.replace("  allowPrivilegeEscalation: false\n", ""))
    result = run(path)
    assert result.exit_code == 1
    out = result.stdout
    assert f"Bad_Name  {path}: document 0 (line 1)  INVALID" in out
    assert RUN_AS_USER_ERROR in out
    assert "did you mean: runAsUser: {rule: MustRunAsNonRoot}" in out
    assert "spec.allowPrivilegeEscalation defaulted to true before validation" in out
    assert "1 policy checked: 0 valid, 1 invalid" in out
    assert "\x1b[" not in out  # no colour when not on a terminal


def test_other_kinds_are_ignored_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path, "all.yaml", ROLE + "---\n" + GOOD)
    result = run(path, "-o", "json")
    assert result.exit_code == 0
    assert [r["line"] for r in as_json(result)["results"]] == [6]
    assert f"podgate: note: {path}: document 0 (line 1): ignoring ClusterRole" in result.stderr


def test_extensions_v1beta1_is_linted_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "psp.yaml", GOOD.replace("policy/v1beta1", "extensions/v1beta1"))
    result = run(path, "-o", "json")
    assert result.exit_code == 0
    hints = as_json(result)["results"][0]["hints"]
    assert [(h["field"], h["suggestion"]) for h in hints] == [
        ("apiVersion", "apiVersion: policy/v1beta1")
    ]


def test_wrong_api_version_is_ignored_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path, "psp.yaml", GOOD.replace("policy/v1beta1", "policy/v1"))
    result = run(path, "-o", "json")
    assert result.exit_code == 2
    assert "served only as policy/v1beta1" in result.stderr
    assert "no PodSecurityPolicy" in result.stderr


def test_file_without_policies_is_bad_input(tmp_path: Path) -> None:
    good = write(tmp_path, "psp.yaml", GOOD)
    role = write(tmp_path, "role.yaml", ROLE)
    result = run(good, role)
    assert result.exit_code == 2
    assert f"podgate: error: {role}: no PodSecurityPolicy (policy/v1beta1) found" in result.stderr
    assert "Traceback" not in result.output


def test_missing_file(tmp_path: Path) -> None:
    result = run(str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"podgate: error: {tmp_path / 'missing.yaml'}: no such file or directory\n"
    )


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD + "---\nkind: [a,\n  b: c\n")
    result = run(path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"podgate: error: {path}: document 1 (line ")
    assert "invalid YAML" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_directory_and_stdin(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.json", json.dumps(_bad_json()))
    result = run(str(tmp_path), "-", "-o", "json", stdin=GOOD)
    assert result.exit_code == 1
    results = as_json(result)["results"]
    assert [(Path(r["file"]).name, r["valid"]) for r in results] == [
        ("a.yaml", True),
        ("b.json", False),
        ("-", True),
    ]


def _bad_json() -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1beta1",
        "kind": "PodSecurityPolicy",
        "metadata": {"name": "json"},
        "spec": {"privileged": "false"},
    }


def test_max_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "psp.yaml", GOOD)
    result = run(path, "--max-bytes", "10")
    assert result.exit_code == 2
    assert "over the limit of 10" in result.stderr


def test_help_teaches_with_an_example() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "podgate lint psp.yaml" in result.output
    assert "--no-defaults" in result.output


@pytest.mark.parametrize("args", [[], ["-o", "yaml", "x"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(*args).exit_code == 2


@pytest.mark.e2e
def test_console_script_end_to_end(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "podgate"
    if not script.exists():
        pytest.skip(f"needs the podgate console script (pip install -e .): {script} not found")
    good = write(tmp_path, "psp.yaml", GOOD)
    bad = write(tmp_path, "bad.yaml", BAD)
    broken = write(tmp_path, "broken.yaml", "a: [1,\n")
    proc = subprocess.run(
        [str(script), "lint", good, bad, "-o", "json"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1, proc.stderr
    assert [r["valid"] for r in json.loads(proc.stdout)["results"]] == [True, False]
    proc = subprocess.run(
        [str(script), "lint", broken], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"podgate: error: {broken}: document 0 (line ")
    assert "Traceback" not in proc.stderr
