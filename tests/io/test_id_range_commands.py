"""A user or group ID outside 0..2147483647 (`runAsUser: 4294967296`, `fsGroup: -1`) in a file is
refused by every command with one line, exit 2, in the words of the API server's validation,
which refuses such a pod or pod template (validatePodSpecSecurityContext, ValidateSecurityContext:
IsValidUserID, IsValidGroupID). It was judged: restricted looks for UID 0, so `4294967296` (0 in
a 32-bit UID) and `-1` met restricted, for a pod no cluster creates. The webhook's check keeps
such an int64 (the API server validates a pod before its validating webhooks see it; PSP's
review reports the invalid pod as upstream does)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.k8s.shape import pod_shape_errors

_COMMANDS = [
    ("scan", "{file}"),
    ("scan", "{file}", "-o", "sarif"),
    ("scan", "{file}", "--jobs", "2"),
    ("pss", "{file}", "--level", "restricted"),
    ("admit", "{file}", "--policy", "builtin:privileged"),
    ("advise", "{file}"),
]

# (where in the pod spec, the field as upstream names it)
_PLACES = [
    (("securityContext", "runAsUser"), "spec.securityContext.runAsUser"),
    (("securityContext", "runAsGroup"), "spec.securityContext.runAsGroup"),
    (("securityContext", "fsGroup"), "spec.securityContext.fsGroup"),
    (("securityContext", "supplementalGroups", 1), "spec.securityContext.supplementalGroups[1]"),
    (
        ("containers", 0, "securityContext", "runAsUser"),
        "spec.containers[0].securityContext.runAsUser",
    ),
    (
        ("initContainers", 0, "securityContext", "runAsGroup"),
        "spec.initContainers[0].securityContext.runAsGroup",
    ),
]


def _spec() -> dict[str, Any]:
    """A pod spec meeting restricted, with every ID field set to a valid ID."""
    sc = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsUser": 1000,
        "runAsGroup": 1000,
    }
    return {
        "securityContext": {
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "fsGroup": 1000,
            "supplementalGroups": [1000, 1001],
        },
        "initContainers": [{"name": "init", "image": "busybox", "securityContext": dict(sc)}],
        "containers": [{"name": "app", "image": "nginx", "securityContext": dict(sc)}],
    }


def _object(template: bool, place: tuple[Any, ...], number: str) -> str:
    spec = _spec()
    node: Any = spec
    for key in place[:-1]:
        node = node[key]
    node[place[-1]] = "NUMBER"
    obj: dict[str, Any] = (
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
         "spec": {"template": {"spec": spec}}}
        if template
        else {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": spec}
    )  # fmt: skip
    return json.dumps(obj).replace('"NUMBER"', number)


def _run(command: tuple[str, ...], file: Path) -> tuple[int, str, str]:
    args = [part.format(file=file) for part in command]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", _COMMANDS, ids=lambda c: "-".join(c[:1] + c[2:3]))
@pytest.mark.parametrize(("place", "field"), _PLACES, ids=[f for _, f in _PLACES])
@pytest.mark.parametrize(
    ("number", "shown"),
    [("4294967296", "4294967296"), ("-1", "-1"), ("2147483648", "2147483648"), ("-0.5e1", "-5")],
    ids=["2**32", "-1", "2**31", "float"],
)
@pytest.mark.parametrize("form", ["json", "yaml"])
def test_every_command_exits_2_with_the_api_servers_words(
    tmp_path: Path,
    command: tuple[str, ...],
    place: tuple[Any, ...],
    field: str,
    number: str,
    shown: str,
    form: str,
) -> None:
    template = command[0] != "admit"  # admit reviews a pod; the others read the template
    file = tmp_path / f"web.{form}"
    file.write_text(("---\n" if form == "yaml" else "") + _object(template, place, number))
    at = "spec.template." if template else ""
    kind = "Deployment" if template else "Pod"
    line = 2 if form == "yaml" else 1  # (after the YAML's `---`)
    assert _run(command, file) == (
        2,
        "",
        f"podgate: error: {file}: document 0 (line {line}): {kind} 'web' is not valid: {at}{field}: "
        f"Invalid value: {shown}: must be between 0 and 2147483647, inclusive\n",
    )


@pytest.mark.parametrize("number", ["0", "2147483647", "2147483647.0"])
@pytest.mark.parametrize(("place", "field"), _PLACES, ids=[f for _, f in _PLACES])
def test_the_bounds_are_valid(
    tmp_path: Path, place: tuple[Any, ...], field: str, number: str
) -> None:
    file = tmp_path / "web.json"
    file.write_text(_object(True, place, number))
    code, _, err = _run(("pss", "{file}", "--level", "baseline"), file)
    assert (code, err) == (0, "")


def test_the_webhooks_check_keeps_an_int64_id() -> None:
    """What the API server sends a validating webhook it has validated; a mutating webhook may
    see such a pod, and PSP's review reports it as the API server's validation would."""
    for place, _ in _PLACES:
        pod = json.loads(_object(False, place, "4294967296"))
        assert pod_shape_errors(pod) == []
        assert pod_shape_errors(pod, manifest=True) != []
