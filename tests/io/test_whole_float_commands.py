"""A whole float in an integer pod field of a file (`runAsUser: 1000.0`, `fsGroup: 2e3`) is read
as kubectl sends it: kubectl decodes a JSON number with a point or an exponent into a float64
and writes it back in Go's float text, `1000`, which the API server takes for the int64 (kubectl
1.32 here: `kubectl label --local -o json` prints each value below as its `sent`). YAML's whole
floats were read so already (io/goyaml.py); JSON's were refused, exit 2, for a pod a cluster
admits. Every command now says of the file with floats exactly what it says of the one with
the integers kubectl sends; a float that is not whole, or whose Go text is no integer, is
refused as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.k8s.shape import pod_shape_errors

# what kubectl sends for each JSON number (kubectl 1.32, `kubectl label --local -o json`)
KUBECTL = [
    ("1000.0", 1000),
    ("1E3", 1000),
    ("2e3", 2000),
    ("0.0", 0),
    ("-0.0", 0),  # Go writes -0, which ParseInt reads as 0
    ("-5.0", -5),
    ("9007199254740993.0", 9007199254740992),  # the float64 nearest, in Go's digits
    ("4294967296.0", 4294967296),
]


def _pod(user: str, group: str, port: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {
            "securityContext": {"runAsUser": user, "fsGroup": group, "supplementalGroups": [group]},
            "containers": [
                {
                    "name": "c",
                    "image": "nginx",
                    "ports": [{"containerPort": port, "hostPort": port}],
                    "securityContext": {"runAsUser": user, "runAsGroup": group},
                }
            ],
        },
    }


def _json_text(obj: Any, numbers: dict[str, str]) -> str:
    """`obj` as JSON with each placeholder string replaced by the number text it names."""
    text = json.dumps(obj)
    for placeholder, number in numbers.items():
        text = text.replace(json.dumps(placeholder), number)
    return text


@pytest.mark.parametrize(("text", "sent"), KUBECTL, ids=[t for t, _ in KUBECTL])
def test_a_manifest_holds_the_integer_kubectl_sends(text: str, sent: int) -> None:
    pod = json.loads(_json_text(_pod("U", "G", "P"), {"U": text, "G": text, "P": "80.0"}))
    errors = pod_shape_errors(pod, manifest=True)
    spec = pod["spec"]
    got = [
        spec["securityContext"]["runAsUser"],
        spec["securityContext"]["fsGroup"],
        spec["securityContext"]["supplementalGroups"][0],
        spec["containers"][0]["securityContext"]["runAsUser"],
        spec["containers"][0]["securityContext"]["runAsGroup"],
    ]
    assert got == [sent] * 5 and {type(v) for v in got} == {int}
    assert spec["containers"][0]["ports"][0] == {"containerPort": 80, "hostPort": 80}
    if 0 <= sent <= 2147483647:
        assert errors == []
    else:  # then validated as the integer it is: the API server refuses the pod
        assert errors == [
            f"spec.containers[0].securityContext.{field}: Invalid value: {sent}: must be "
            "between 0 and 2147483647, inclusive"
            for field in ("runAsUser", "runAsGroup")
        ] + [
            f"spec.securityContext.{field}: Invalid value: {sent}: must be between 0 and "
            "2147483647, inclusive"
            for field in ("fsGroup", "runAsUser", "supplementalGroups[0]")
        ]


@pytest.mark.parametrize(("text", "sent"), KUBECTL, ids=[t for t, _ in KUBECTL])
def test_a_webhook_review_with_a_float_in_an_integer_field_is_refused(text: str, sent: int) -> None:
    """The API server sends what it decoded into its Go types: never a float there. Upstream's
    pod-security webhook decodes the pod into them and refuses it ("failed to decode pod")."""
    pod = json.loads(_json_text(_pod("U", "G", "P"), {"U": text, "G": "1", "P": "80"}))
    before = json.dumps(pod)
    assert pod_shape_errors(pod) == [
        f"{at}.runAsUser: expected an integer, got number {float(text)}"
        for at in ("spec.securityContext", "spec.containers[0].securityContext")
    ]
    assert json.dumps(pod) == before  # left as it was


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.5", "expected an integer, got number 1.5"),
        ("1e-3", "expected an integer, got number 0.001"),
        (
            "1e21",  # Go writes 1e+21: no integer
            "number 1e+21 is beyond int32's range, which the API server refuses (json: cannot "
            "unmarshal number 1e+21 into Go struct field ContainerPort.spec.containers.ports"
            ".containerPort of type int32)",
        ),
        (
            "2147483648.0",
            "number 2147483648 is beyond int32's range, which the API server refuses (json: "
            "cannot unmarshal number 2147483648 into Go struct field ContainerPort.spec"
            ".containers.ports.containerPort of type int32)",
        ),
    ],
)
def test_a_float_kubectl_sends_as_no_integer_of_the_field_is_refused(
    text: str, message: str
) -> None:
    pod = json.loads(_json_text(_pod("U", "G", "P"), {"U": "1", "G": "1", "P": text}))
    errors = pod_shape_errors(pod, manifest=True)
    assert errors[0] == f"spec.containers[0].ports[0].containerPort: {message}"


_COMMANDS = [
    ("scan", "{file}", "-o", "json"),
    ("scan", "{file}", "-o", "sarif"),
    ("scan", "{file}", "--jobs", "2", "-o", "json"),
    ("pss", "{file}", "--level", "restricted"),
    ("pss", "{file}", "--level", "baseline"),
    ("admit", "{file}", "--policy", "builtin:restricted"),
    ("advise", "{file}"),
]


def _deployment(user: str, group: str) -> dict[str, Any]:
    pod = _pod(user, group, "P")
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": pod["spec"]}},
    }


def _run(command: tuple[str, ...], file: Path) -> tuple[int, str, str]:
    args = [part.format(file=file) for part in command]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    out = "".join(line for line in result.stdout.splitlines(True) if "TimeUtc" not in line)
    return result.exit_code, out, result.stderr  # (SARIF's start and end times left out)


@pytest.mark.parametrize(
    ("command", "layout"),
    [(c, layout) for c in _COMMANDS for layout in ("pod", "deployment", "list")
     if c[0] != "admit" or layout == "pod"],  # admit reviews one pod
    ids=lambda v: "-".join(v[:1] + v[2:4]) if isinstance(v, tuple) else v,
)  # fmt: skip
@pytest.mark.parametrize(
    ("user", "group"), [("0.0", "1e3"), ("1000.0", "-0.0")], ids=["root", "user"]
)
@pytest.mark.parametrize("form", ["json", "yaml"])
def test_every_command_says_of_whole_floats_what_it_says_of_the_integers_kubectl_sends(
    tmp_path: Path, command: tuple[str, ...], layout: str, user: str, group: str, form: str
) -> None:
    obj: Any = _pod("U", "G", "P") if layout == "pod" else _deployment("U", "G")
    if layout == "list":  # a snapshot (kubectl get -o json): the trimmed decode's path
        obj = {"apiVersion": "v1", "kind": "List", "items": [obj, _pod("U", "G", "P")]}
    file = tmp_path / f"web.{form}"
    head = "---\n" if form == "yaml" else ""  # JSON's text as a YAML flow mapping
    sent = {"U": str(int(float(user))), "G": str(int(float(group))), "P": "8080"}
    file.write_text(head + _json_text(obj, sent))
    with_integers = _run(command, file)
    assert with_integers[0] in (0, 1), with_integers[2]
    file.write_text(head + _json_text(obj, {"U": user, "G": group, "P": "8080.0"}))
    assert _run(command, file) == with_integers
