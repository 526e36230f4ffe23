"""Conformance cases derived from upstream's own PSP tests, run through the real CLI.

Each file in tests/psp_conformance/cases/ names one upstream test family and holds its cases
as data (see tests/psp_conformance/README.md for the format). Every admission case runs
`podgate admit -o json`, every lint case `podgate lint -o json`, and the JSON is compared with
the expectation: the verdict, the policy, the mutated fields, and for denials the exact
violations and message."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from podgate.cli.main import cli

CASES = Path(__file__).resolve().parents[1] / "psp_conformance" / "cases"
ABSENT = "<absent>"

# upstream's admission_test.go fixtures, as policy/v1beta1 objects
_RESTRICTIVE: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "runAsUser": {"rule": "MustRunAs", "ranges": [{"min": 999, "max": 999}]},
    "runAsGroup": {"rule": "MustRunAs", "ranges": [{"min": 999, "max": 999}]},
    "seLinux": {"rule": "MustRunAs", "seLinuxOptions": {"level": "s9:z0,z1"}},
    "fsGroup": {"rule": "MustRunAs", "ranges": [{"min": 999, "max": 999}]},
    "supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 999, "max": 999}]},
}
_PERMISSIVE: dict[str, Any] = {
    "allowPrivilegeEscalation": True,
    "hostIPC": True,
    "hostNetwork": True,
    "hostPID": True,
    "hostPorts": [{"min": 0, "max": 65536}],
    "volumes": ["*"],
    "allowedCapabilities": ["*"],
    "runAsUser": {"rule": "RunAsAny"},
    "seLinux": {"rule": "RunAsAny"},
    "fsGroup": {"rule": "RunAsAny"},
    "supplementalGroups": {"rule": "RunAsAny"},
}
_RUN_AS_ANY: dict[str, Any] = {
    "runAsUser": {"rule": "RunAsAny"},
    "seLinux": {"rule": "RunAsAny"},
    "fsGroup": {"rule": "RunAsAny"},
    "supplementalGroups": {"rule": "RunAsAny"},
}
# validation_test.go's validPSP()
_VALID: dict[str, Any] = {
    **_RUN_AS_ANY,
    "runAsGroup": {"rule": "RunAsAny"},
    "allowedHostPaths": [{"pathPrefix": "/foo/bar"}, {"pathPrefix": "/baz/"}],
}
BASES = {
    "restrictive": _RESTRICTIVE,
    "permissive": _PERMISSIVE,
    "runAsAny": _RUN_AS_ANY,
    "valid": _VALID,
}


def _policy(spec: dict[str, Any]) -> dict[str, Any]:
    """A policy from a case: `base` (a fixture name or none), `spec` overrides (a null value
    removes the field), `annotations`; or a whole object under `object`."""
    if "object" in spec:
        obj: dict[str, Any] = copy.deepcopy(spec["object"])
        return obj
    body = copy.deepcopy(BASES[spec["base"]]) if spec.get("base") else {}
    for key, value in (spec.get("spec") or {}).items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = copy.deepcopy(value)
    meta: dict[str, Any] = {"name": spec["name"]}
    if spec.get("annotations"):
        meta["annotations"] = dict(spec["annotations"])
    return {
        "apiVersion": "policy/v1beta1",
        "kind": "PodSecurityPolicy",
        "metadata": meta,
        "spec": body,
    }


def _pod(spec: dict[str, Any]) -> dict[str, Any]:
    """A pod from a case: `metadata` and `spec` as given; containers default to upstream's
    goodPod (one container `test-c`)."""
    meta = {"name": "pod", "namespace": "ns", **copy.deepcopy(spec.get("metadata") or {})}
    body = copy.deepcopy(spec.get("spec") or {})
    body.setdefault("containers", [{"name": "test-c", "image": "img"}])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body}


def _rbac(grants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A ClusterRole per grant and its binding: RoleBinding in `namespace`, or
    ClusterRoleBinding when the grant has none."""
    objs: list[dict[str, Any]] = []
    for i, g in enumerate(grants):
        kind, _, rest = g["subject"].partition(":")
        if kind == "ServiceAccount":
            ns, _, name = rest.partition(":")
            subject = {"kind": kind, "name": name, "namespace": ns}
        else:
            subject = {"kind": kind, "name": rest, "apiGroup": "rbac.authorization.k8s.io"}
        role = f"use-{i}"
        objs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": role},
                "rules": [
                    {
                        "apiGroups": [g.get("group", "policy")],
                        "resources": ["podsecuritypolicies"],
                        "verbs": ["use"],
                        "resourceNames": [g["policy"]],
                    }
                ],
            }
        )
        binding: dict[str, Any] = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {"name": role},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [subject],
        }
        if g.get("namespace"):
            binding["kind"] = "RoleBinding"
            binding["metadata"]["namespace"] = g["namespace"]
        else:
            binding["kind"] = "ClusterRoleBinding"
        objs.append(binding)
    return objs


def _load() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for case in doc["cases"]:
            out.append((path.stem, doc.get("kind", "admit"), case))
    return out


ALL = _load()


def _get(obj: Any, dotted: str) -> Any:
    node = obj
    for part in dotted.split("."):
        if isinstance(node, list):
            idx = int(part)
            if idx >= len(node):
                return ABSENT
            node = node[idx]
        elif isinstance(node, dict):
            if part not in node:
                return ABSENT
            node = node[part]
        else:
            return ABSENT
    return node


def _write(tmp: Path, name: str, objs: list[dict[str, Any]]) -> str:
    path = tmp / name
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    return str(path)


def _run(args: list[str]) -> tuple[int, Any]:
    result = CliRunner().invoke(cli, args)
    assert result.stdout.strip().startswith("{"), result.output
    return result.exit_code, json.loads(result.stdout)


def _admit(tmp: Path, case: dict[str, Any]) -> None:
    pod = _pod(case.get("pod") or {})
    args = ["admit", _write(tmp, "pod.json", [pod])]
    for i, p in enumerate(case["policies"]):
        args += ["--policy", _write(tmp, f"psp{i}.json", [_policy(p)])]
    if "grants" in case:
        args += ["--rbac", _write(tmp, "rbac.json", _rbac(case["grants"]))]
    if case.get("user"):
        args += ["--user", case["user"]]
    for g in case.get("groups", []):
        args += ["--group", g]
    if case.get("operation"):
        args += ["--operation", case["operation"]]
    if "old_pod" in case:
        args += ["--old", _write(tmp, "old.json", [_pod(case["old_pod"])])]
    if case.get("subresource"):
        args += ["--subresource", case["subresource"]]
    args += ["-o", "json"]
    rc, out = _run(args)
    want = case["expect"]
    assert out["allowed"] is want["allowed"], out["message"]
    assert rc == (0 if want["allowed"] else 1)
    if "policy" in want:
        assert out["policy"] == want["policy"]
    if "mutated" in want:
        assert out["mutated"] is want["mutated"]
    if "evaluated" in want:
        assert out["evaluated"] is want["evaluated"]
    for dotted, value in (want.get("fields") or {}).items():
        assert _get(out["object"], dotted) == value, dotted
    if "violations" in want:
        got = [{"field": v["field"], "message": v["message"]} for v in out["violations"]]
        assert got == want["violations"]
    if "violation_policies" in want:
        assert sorted({v["policy"] for v in out["violations"]}) == want["violation_policies"]
    if "message" in want:
        assert out["message"] == want["message"]
    if "unusable" in want:
        assert [u["policy"] for u in out["unusable_policies"]] == want["unusable"]
    if "unusable_reasons" in want:
        assert [u["reason"] for u in out["unusable_policies"]] == want["unusable_reasons"]
    if "audit" in want:
        assert out["audit_annotations"] == want["audit"]


def _lint(tmp: Path, case: dict[str, Any]) -> None:
    path = _write(tmp, "psp.json", [_policy(case["policy"])])
    rc, out = _run(["lint", path, "-o", "json"])
    (result,) = out["results"]
    want = case["expect"]
    got = [{"field": e["field"], "message": e["message"]} for e in result["errors"]]
    if "errors" in want:
        assert got == want["errors"]
    assert result["valid"] is want["valid"], got
    assert rc == (0 if want["valid"] else 1)


@pytest.mark.parametrize(
    ("family", "kind", "case"), ALL, ids=[f"{f}:{c['name']}" for f, _, c in ALL]
)
def test_case(tmp_path: Path, family: str, kind: str, case: dict[str, Any]) -> None:
    if kind == "lint":
        _lint(tmp_path, case)
    else:
        _admit(tmp_path, case)


def test_every_family_has_cases() -> None:
    families = {f for f, _, _ in ALL}
    assert len(families) >= 10
    assert len(ALL) >= 200
