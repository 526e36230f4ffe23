"""Names from the input are shown, never obeyed: a manifest whose pod, namespace, container,
service account or policy name holds terminal control sequences (`"evil\\e[2K\\e[1APASS"`: erase
the line, go up, write PASS) or a bidirectional override cannot rewrite what a person reads in a
terminal or a CI log. Every text a command writes (reports, notes, warnings, errors) shows such a
character as Go's `%q` escapes it (`\\x1b`, `\\u202e`); line breaks and tabs of podgate's own
layout stay. The machine outputs (JSON) keep the names exactly as read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli

EVIL = "evil\x1b[2K\x1b[1APASS\u202e"
NAMESPACE = "ns\x1b[8m"
CONTAINER = "c\r\x1b[8m"
POLICY = "psp\x1b[8m"

# YAML double-quoted escapes: the file itself is plain text
_NS = '"ns\\e[8m"'
_POD = '"evil\\e[2K\\e[1APASS\\u202e"'
_CONTAINER = '"c\\r\\e[8m"'
_POLICY = '"psp\\e[8m"'

NAMESPACE_DOC = f"""\
apiVersion: v1
kind: Namespace
metadata:
  name: {_NS}
  labels: {{pod-security.kubernetes.io/enforce: restricted}}
"""
POD = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: {_POD}
  namespace: {_NS}
spec:
  serviceAccountName: {_NS}
  containers:
  - name: {_CONTAINER}
    image: x
    securityContext: {{privileged: true}}
"""
POLICY_DOC = f"""\
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {{name: {_POLICY}}}
spec:
  privileged: false
  runAsUser: {{rule: RunAsAny}}
  seLinux: {{rule: RunAsAny}}
  supplementalGroups: {{rule: RunAsAny}}
  fsGroup: {{rule: RunAsAny}}
  volumes: ['*']
"""

# what a terminal obeys: C0 and C1 controls but the line break and tab, DEL, and Unicode's
# format characters (bidirectional overrides and isolates among them)
_OBEYED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {
        # the pod twice (a note names both), its namespace and a policy
        "all": "---\n".join([NAMESPACE_DOC, POD, POD, POLICY_DOC]),
        "pod": POD,
        "policy": POLICY_DOC,
    }
    paths = {}
    for name, text in out.items():
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(text)
    return paths


COMMANDS = [
    ("scan", "{all}"),
    ("scan", "{all}", "--level", "restricted", "--jobs", "1"),
    ("scan", "{all}", "--psp", "on"),
    ("pss", "{all}", "--from-namespace-labels"),
    ("pss", "{pod}", "--level", "baseline"),
    ("admit", "{pod}", "--policy", "{policy}"),
    ("admit", "{pod}", "--policy", "builtin:privileged"),
    ("lint", "{policy}"),
    ("advise", "{all}", "-o", "text"),
    ("advise", "{all}", "--report", "-o", "text"),
    ("export", "{all}", "--to", "psa"),
    ("simplify", "{all}"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:1] + c[2:3]))
def test_control_characters_of_names_are_shown_escaped(
    files: dict[str, Path], command: tuple[str, ...]
) -> None:
    args = [part.format(**files) for part in command]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        found = _OBEYED.search(text)
        assert found is None, (stream, text[max(0, found.start() - 80) : found.end() + 40])
    both = result.stdout + result.stderr
    assert "\\x1b" in both or "\\e[" in both  # the names are there, escaped (YAML writes \e)


@pytest.mark.parametrize("command", COMMANDS[:2], ids=["scan", "scan-restricted"])
def test_the_escaped_name_is_on_the_verdict_line(
    files: dict[str, Path], command: tuple[str, ...]
) -> None:
    args = [part.format(**files) for part in command]
    out = CliRunner().invoke(cli, args, catch_exceptions=False).stdout
    assert "FAIL  Pod ns\\x1b[8m/evil\\x1b[2K\\x1b[1APASS\\u202e  " in out


def test_json_keeps_the_names_as_read(files: dict[str, Path]) -> None:
    args = ["scan", str(files["all"]), "-o", "json", "--level", "restricted"]
    out = CliRunner().invoke(cli, args, catch_exceptions=False).stdout
    report = json.loads(out)
    assert {(w["namespace"], w["name"]) for w in report["workloads"]} == {(NAMESPACE, EVIL)}
    assert {f["container"] for f in report["findings"] if f["container"]} == {CONTAINER}
