"""A PodSecurityPolicy read from a JSON file with whole floats in its ranges (`min: 1000.0`) is the
policy kubectl sends (`1000`) and the one its validation reads: the ranges were read as 0 by the
strategies, so `runAsUser: MustRunAs [{min: 1000.0, max: 2000.0}]` was [{0 0}] and admitted a pod
running as root, which the policy denies. Every decision equals the one under the integers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli


def _policy(low: str, high: str) -> str:
    ranges = [{"min": "LOW", "max": "HIGH"}]
    spec = {
        "privileged": False,
        "seLinux": {"rule": "RunAsAny"},
        "runAsUser": {"rule": "MustRunAs", "ranges": ranges},
        "runAsGroup": {"rule": "MustRunAs", "ranges": ranges},
        "fsGroup": {"rule": "MustRunAs", "ranges": ranges},
        "supplementalGroups": {"rule": "MustRunAs", "ranges": ranges},
        "hostPorts": ranges,
        "volumes": ["*"],
    }
    obj = {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy",
           "metadata": {"name": "ids"}, "spec": spec}  # fmt: skip
    return json.dumps(obj).replace('"LOW"', low).replace('"HIGH"', high)


def _pod(sc: dict[str, Any], psc: dict[str, Any], port: int | None) -> str:
    container: dict[str, Any] = {"name": "c", "image": "nginx", "securityContext": sc}
    if port is not None:
        container["ports"] = [{"containerPort": port, "hostPort": port}]
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "d"},
           "spec": {"securityContext": psc, "containers": [container]}}  # fmt: skip
    return json.dumps(obj)


_PODS = [
    ({"runAsUser": 0}, {}, None),
    ({"runAsUser": 1500}, {}, None),
    ({}, {}, None),  # given the range's first ID
    ({"runAsUser": 1500, "runAsGroup": 0}, {}, None),
    ({"runAsUser": 1500}, {"fsGroup": 0}, None),
    ({"runAsUser": 1500}, {"supplementalGroups": [1500, 3]}, None),
    ({"runAsUser": 1500}, {}, 80),
    ({"runAsUser": 1500}, {}, 1500),
]


@pytest.mark.parametrize(("sc", "psc", "port"), _PODS)
@pytest.mark.parametrize(("low", "high"), [("1000.0", "2000.0"), ("1e3", "2e3")])
def test_a_policy_with_whole_floats_decides_as_with_the_integers(
    tmp_path: Path, sc: dict[str, Any], psc: dict[str, Any], port: int | None, low: str, high: str
) -> None:
    pod = tmp_path / "pod.json"
    pod.write_text(_pod(sc, psc, port))
    policy = tmp_path / "psp.json"
    outcomes = []
    for text in (_policy("1000", "2000"), _policy(low, high)):
        policy.write_text(text)
        result = CliRunner().invoke(
            cli, ["admit", str(pod), "--policy", str(policy)], catch_exceptions=False
        )
        outcomes.append((result.exit_code, result.stdout, result.stderr))
    assert outcomes[0][0] in (0, 1), outcomes[0]
    assert outcomes[1] == outcomes[0]
    if sc.get("runAsUser") == 0:
        assert outcomes[0][0] == 1  # root is outside the policy's range
