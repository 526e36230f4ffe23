"""Whatever the registry remembers between evaluations (screen results, plans, violations of a
pod shape) is kept per level and version: the same pod judged under one policy and then under
another gets the second policy's violations, never the first's. (A remembered answer shared
across plans would turn a restricted FAIL into the baseline PASS seen first.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from podgate.pss import LATEST, Level, evaluate, v1
from tests.conftest import RunScan

# allowed at baseline; at restricted it fails several checks
_BASELINE_ONLY: dict[str, Any] = {"containers": [{"name": "c", "image": "x"}]}
# restricted-compliant but for runAsUser 0, which restricted checks from v1.23 on
_ROOT_UID: dict[str, Any] = {
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 0,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [
        {
            "name": "c",
            "image": "x",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
        }
    ],
}


def test_a_pod_allowed_at_baseline_still_fails_restricted_afterwards() -> None:
    assert evaluate(Level.BASELINE, LATEST, {}, _BASELINE_ONLY) == ()
    for _ in range(2):  # also once the restricted answer may be remembered
        checks = [v.check for v in evaluate(Level.RESTRICTED, LATEST, {}, _BASELINE_ONLY)]
        assert "allowPrivilegeEscalation" in checks
        assert "runAsNonRoot" in checks


def test_a_pod_allowed_at_an_older_version_still_fails_the_newer_one_afterwards() -> None:
    assert evaluate(Level.RESTRICTED, v1(22), {}, _ROOT_UID) == ()
    for _ in range(2):
        assert [v.check for v in evaluate(Level.RESTRICTED, LATEST, {}, _ROOT_UID)] == ["runAsUser"]
    assert evaluate(Level.RESTRICTED, v1(22), {}, _ROOT_UID) == ()


def _namespace(name: str, level: str) -> dict[str, Any]:
    labels = {"pod-security.kubernetes.io/enforce": level}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _pod(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": namespace},
        "spec": _BASELINE_ONLY,
    }


def test_one_pod_shape_in_a_baseline_and_a_restricted_namespace_fails_only_restricted(
    tmp_path: Path, run_scan: RunScan
) -> None:
    items = [_namespace("a", "baseline"), _namespace("b", "restricted"), _pod("a"), _pod("b")]
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    ran = run_scan(str(path), "-o", "json")
    report = json.loads(ran.stdout)
    failing = {(f["workload"]["namespace"], f["check"]) for f in report["findings"]}
    assert {ns for ns, _ in failing} == {"b"}
    assert ("b", "runAsNonRoot") in failing
