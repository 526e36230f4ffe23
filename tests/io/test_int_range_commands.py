"""A pod whose integer field is beyond its Go type (`runAsUser: 18446744073709551615`) is refused
by every command with one line, exit 2, as the API server refuses it (k8s/shape.py), where it was
judged before (a JSON file kept the Python int); and YAML numbers read as kubectl holds them
(a whole float becomes the int64 that Go's text of it reads back as, if any)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.io.loader import load_text


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [  # kubectl 1.32, `kubectl label --local -o json`: the number kubectl holds
        ("-9223372036854775808.0", -9.223372036854776e18),  # Go writes -9223372036854776000
        ("-9223372036854775809", -9.223372036854776e18),
        ("-9223372036854775808", -(2**63)),
        ("1.2345678901234567e18", 1234567890123456800),  # Go's text, not the float's value
        ("9223372036854775807.0", 9.223372036854776e18),
        ("1e18", 10**18),
    ],
)
def test_a_whole_yaml_float_is_the_int64_gos_text_of_it_reads_as(
    yaml_path: str, scalar: str, expected: Any
) -> None:
    (doc,) = load_text(f"kind: Pod\nspec:\n  x: {scalar}\n  z: [{scalar}]\n", "f.yaml")
    for got in (doc.obj["spec"]["x"], doc.obj["spec"]["z"][0]):
        assert got == expected and type(got) is type(expected)


_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      securityContext:
        runAsUser: {number}
      containers:
      - name: app
        image: nginx
"""
_MESSAGE = (
    "Deployment 'web' is not valid: spec.template.spec.securityContext.runAsUser: number {shown} "
    "is beyond int64's range, which the API server refuses (json: cannot unmarshal number "
    "{sent} into Go struct field PodSecurityContext.spec.template.spec.securityContext.runAsUser "
    "of type int64)\n"
)


def _json(number: str) -> str:
    return (
        '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": '
        '{"template": {"spec": {"securityContext": {"runAsUser": ' + number + '}, "containers": '
        '[{"name": "app", "image": "nginx"}]}}}}\n'
    )


@pytest.mark.parametrize(
    "command",
    [
        ("scan", "{file}"),
        ("scan", "{file}", "-o", "sarif"),
        ("scan", "{file}", "--jobs", "2"),
        ("pss", "{file}", "--level", "restricted"),
        ("admit", "{file}", "--policy", "builtin:restricted"),
        ("advise", "{file}"),
    ],
    ids=lambda c: "-".join(c[:1] + c[2:3]),
)
@pytest.mark.parametrize(
    ("name", "number", "shown", "sent"),
    [
        ("web.json", "18446744073709551615", "18446744073709551615", "18446744073709552000"),
        ("web.json", "9223372036854775808", "9223372036854775808", "9223372036854776000"),
        ("web.json", "-9223372036854775809", "-9223372036854776000", "-9223372036854776000"),
        ("web.yaml", "18446744073709551615", "18446744073709552000", "18446744073709552000"),
        ("web.yaml", "-9223372036854775808.0", "-9223372036854776000", "-9223372036854776000"),
    ],
    ids=["json-uint64", "json-2**63", "json-below", "yaml-uint64", "yaml-float"],
)
def test_every_command_exits_2_with_one_line(
    tmp_path: Path, command: tuple[str, ...], name: str, number: str, shown: str, sent: str
) -> None:
    file = tmp_path / name
    file.write_text(_json(number) if name.endswith(".json") else _YAML.format(number=number))
    args = [part.format(file=file) for part in command]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"podgate: error: {file}: document 0 (line 1): " + _MESSAGE.format(shown=shown, sent=sent)
    )
