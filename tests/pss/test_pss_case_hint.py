"""`drop: [all]` fails restricted, as upstream decides (names compare case-sensitively): the
violation keeps upstream's exact text, and a note says that the case is the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.pss.checks.capabilities_restricted import case_hints


def restricted_pod(drop: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "d", "namespace": "x"},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "app",
                    "image": "x",
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": drop},
                    },
                }
            ],
        },
    }


def run(tmp_path: Path, drop: list[str]) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(restricted_pod(drop)))
    result = CliRunner().invoke(cli, ["pss", str(path), "--level", "restricted", "-o", "json"])
    (r,) = json.loads(result.output)["results"]
    return result.exit_code, r


def test_lower_case_all_fails_with_upstreams_text_and_a_note_naming_the_case(
    tmp_path: Path,
) -> None:
    code, r = run(tmp_path, ["all"])
    assert code == 1
    assert r["violations"] == [
        {
            "check": "capabilities_restricted",
            "reason": "unrestricted capabilities",
            "detail": 'container "app" must set securityContext.capabilities.drop=["ALL"]',
        }
    ]
    assert (
        "container \"app\" drops 'all': capability names are compared case-sensitively, so only "
        "'ALL' (upper case) drops every capability"
    ) in r["notes"]


def test_upper_case_all_passes_without_a_note(tmp_path: Path) -> None:
    code, r = run(tmp_path, ["ALL"])
    assert code == 0
    assert not any("case-sensitively" in n for n in r["notes"])


def test_the_hint_names_each_spelling_and_skips_lists_that_hold_all() -> None:
    assert case_hints(restricted_pod(["All", "NET_RAW"])["spec"]) == [
        "container \"app\" drops 'All': capability names are compared case-sensitively, so only "
        "'ALL' (upper case) drops every capability"
    ]
    assert case_hints(restricted_pod(["ALL", "all"])["spec"]) == []
    assert case_hints(restricted_pod(["NET_RAW"])["spec"]) == []


def test_scan_says_the_case_is_the_problem_in_every_output(tmp_path: Path) -> None:
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(restricted_pod(["all"])))
    for fmt in ("text", "json", "sarif", "junit", "policyreport", "html"):
        result = CliRunner().invoke(cli, ["scan", str(path), "--level", "restricted", "-o", fmt])
        assert result.exit_code == 1, fmt
        flat = " ".join(line.strip() for line in result.stdout.splitlines())
        if fmt == "policyreport":  # notes in an annotation, quoted as YAML quotes them
            docs = [d for d in yaml.safe_load_all(result.stdout) if d]
            flat = " ".join(d["metadata"]["annotations"].get("podgate.io/notes", "") for d in docs)
        assert "drops 'all': capability names are compared case-sensitively" in flat, fmt
    result = CliRunner().invoke(cli, ["scan", str(path), "--level", "restricted", "-o", "json"])
    assert any(
        n.startswith("Pod x/d") and "drops 'all'" in n for n in json.loads(result.stdout)["notes"]
    )
