"""Every CEL expression podgate emits (the ValidatingAdmissionPolicy, the
MutatingAdmissionPolicy's variables and JSONPatch mutations, Kyverno's ValidatingPolicy) uses
only functions Kubernetes' CEL environment declares and only fields the Pod's schema of that
Kubernetes version has, `has()` on selections, variables declared before use: so what passes
in cel-cpp here compiles in Kubernetes. The checker itself is shown to refuse each fault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from podgate.export import export
from podgate.export.cel_check import Schema, check
from tests.export.test_export_psa import EXAMPLE, objects_of, split
from tests.export.test_export_vap_hypothesis import policies

kv = pytest.importorskip("kubernetes_validate")


def schema(version: str) -> Schema:
    root = Path(kv.__file__).parent / "kubernetes-json-schema"
    (folder,) = [d for d in root.iterdir() if d.name == f"v{version}.0-local"]
    return Schema(json.loads((folder / "_definitions.json").read_text())["$defs"])


def problems_of(objects: Any, s: Schema) -> list[str]:
    found: list[str] = []
    cel_kinds = ("ValidatingAdmissionPolicy", "MutatingAdmissionPolicy", "ValidatingPolicy")
    for obj in objects:
        if obj["kind"] not in cel_kinds:
            continue
        spec = obj["spec"]
        declared: list[str] = []
        for v in spec.get("variables", []):
            found += [
                f"{obj['kind']} {v['name']}: {p}"
                for p in check(v["expression"], s, variables=declared)
            ]
            declared.append(v["name"])
        for v in spec.get("validations", []):
            found += [
                f"{obj['kind']} validation: {p}"
                for p in check(v["expression"], s, variables=declared)
            ]
        for m in spec.get("mutations", []):
            expr = m["jsonPatch"]["expression"]
            found += [f"mutation: {p}" for p in check(expr, s, variables=declared, jsonpatch=True)]
    return found


@pytest.mark.parametrize("version", ["1.30", "1.32", "1.34", "1.36"])
@pytest.mark.parametrize("target", ["vap", "kyverno"])
def test_every_expression_of_the_examples_checks_clean(target: str, version: str) -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    objects = export(psps, rbac, rest, target, version).objects
    assert any(o["kind"] in ("ValidatingAdmissionPolicy", "ValidatingPolicy") for o in objects)
    assert problems_of(objects, schema(version)) == []


SCHEMA_136 = schema("1.36")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_every_expression_of_generated_policies_checks_clean(psp: dict[str, Any]) -> None:
    objects = export([psp], [], [], "vap", "1.36").objects
    assert problems_of(objects, SCHEMA_136) == []


@pytest.mark.parametrize(
    ("expression", "fault"),
    [
        ("object.spec.containers.all(c, c.securityContext.privilegd == false)", "no such field"),
        ("object.spec.hostNetworking == false", "no such field"),
        ("object.spec.containers.all(c, c.name.lowerCase() == 'x')", "not a function"),
        ("sets.contains([1], [1])", "not a variable"),
        ("has(object.spec.containers[0].name)", "field selection"),
        ("variables.later == true", "not declared"),
        ("[JSONPatch{op: 'add', pth: '/x', value: 1}]", "no field pth"),
        ("jsonpatch.escapeKey('a/b') == 'a~1b'", "only for JSONPatch"),
        ("unknownVar.x == 1", "not a variable"),
        ("object.spec.volumes.all(v, v.hostPath.pathh == '')", "no such field"),
        ("object.spec.containers.map(x, x.nme).size() > 0", "no such field"),
    ],
)
def test_checker_refuses_each_fault(expression: str, fault: str) -> None:
    patch = expression.startswith("[JSONPatch")
    found = check(expression, SCHEMA_136, variables=["earlier"], jsonpatch=patch)
    assert any(fault in p for p in found), found


def test_checker_accepts_what_kubernetes_declares() -> None:
    ok = [
        "object.spec.containers.all(c, !has(c.securityContext) || c.securityContext.privileged == false)",
        "[1, 2].filter(d, !(d in [2])).size() > 0",
        'authorizer.serviceAccount(request.namespace, "sa").group("policy").resource("x").check("use").allowed()',
        '"/spec/containers/" + string(object.spec.containers.map(x, x.name).indexOf("a"))',
        "variables.earlier && object.spec.volumes.all(v, !has(v.hostPath) || v.hostPath.path != '/')",
    ]
    for expression in ok:
        assert check(expression, SCHEMA_136, variables=["earlier"]) == [], expression
    patch = '[JSONPatch{op: "add", path: "/metadata/annotations/" + jsonpatch.escapeKey("a/b"), value: "x"}]'
    assert check(patch, SCHEMA_136, jsonpatch=True) == []
