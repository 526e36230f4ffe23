"""`export --to vap --verify`: the ValidatingAdmissionPolicy's CEL run in cel-cpp agrees with
PSP's validating phase on every pod tried, per requesting identity; the verifier can fail."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.export import Verdict, export
from podgate.export.cluster import Cluster
from podgate.export.psp_cel import lit
from podgate.k8s.identity import UserInfo
from podgate.verify import verify
from podgate.verify.cel import Engine, verify_vap
from podgate.verify.common import as_admitted
from tests.conftest import SHARED
from tests.export.test_export_psa import (
    EXAMPLE,
    RESTRICTED_PSP,
    deployment,
    generated_cluster,
    grant_all,
    objects_of,
    split,
)
from tests.psp_helpers import policy

pytest.importorskip("cel_expr_python", reason="the verify extra (cel-expr-python) is not installed")

USER = UserInfo("alice", ("system:authenticated",))


def exported(psps: list[Any], rbac: list[Any], rest: list[Any], **kw: Any) -> Any:
    result = export(psps, rbac, rest, "vap", "1.36", **kw)
    return verify(result, [*psps, *rbac, *rest], boundary=kw.get("boundary", True))


def test_examples_every_policy_and_namespace_proved_by_cel() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = exported(psps, rbac, rest)
    assert {p.name for p in result.policies} == {"db-ipc-lock", "privileged", "restricted"}
    for unit in (*result.policies, *result.namespaces):
        assert unit.verdict is Verdict.PROVED, (unit.name, unit.gaps)
        assert unit.engine.startswith("cel-cpp (cel-expr-python ")
        assert unit.agreed == unit.pods > 400
    assert result.all_proved
    for obj in result.objects:
        assert obj["metadata"]["annotations"]["podgate.io/export-verdict"] == "proved"
        assert obj["metadata"]["annotations"]["podgate.io/source-policy"] == (
            "db-ipc-lock,privileged,restricted"
        )


def test_examples_engine_both_admits_and_denies() -> None:
    """The agreement above is not one-sided: the engine admits some pods and denies others."""
    psps, rbac, rest = split(objects_of(EXAMPLE))
    cluster = Cluster.from_objects([*psps, *rbac, *rest])
    result = export(psps, rbac, rest, "vap", "1.36")
    engine = Engine(result.objects[0], cluster)
    outcomes = set()
    for w in cluster.workloads:
        pod = as_admitted(w.as_pod())
        outcomes.add(engine.evaluate(pod, w.ref.namespace, USER)[0])
    assert outcomes == {True, False}


def test_verifier_reports_a_wrong_expression_as_a_looser_gap_with_its_field() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    cluster = Cluster.from_objects([*psps, *rbac, *rest])
    result = export(psps, rbac, rest, "vap", "1.36")
    vap = result.objects[0]
    index = cluster.policy_set.names.index("restricted")
    for v in vap["spec"]["variables"]:
        if v["name"] == f"admits{index}":
            # drop one term: the restricted policy no longer forbids privileged containers
            v["expression"] = v["expression"].replace(
                "c.securityContext.privileged == false", "true"
            )
    checked = verify_vap(result, cluster)
    restricted = next(p for p in checked.policies if p.name == "restricted")
    assert restricted.verdict is Verdict.PARTIAL
    fields = {(g.field, g.direction.value) for g in restricted.gaps}
    assert ("securityContext.privileged", "looser") in fields
    assert not checked.all_proved


def test_rbac_selection_is_kept_per_identity() -> None:
    privileged = policy("privileged", privileged=True, volumes=["*"], allowedCapabilities=["*"])
    rbac = grant_all(["restricted"])
    # alice may also use privileged, in namespace apps only
    rbac += [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "use-privileged"},
            "rules": [
                {
                    "apiGroups": ["extensions"],
                    "resources": ["podsecuritypolicies"],
                    "verbs": ["use"],
                    "resourceNames": ["privileged"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "alice", "namespace": "apps"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "use-privileged",
            },
            "subjects": [
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}
            ],
        },
    ]
    psps = [RESTRICTED_PSP, privileged]
    cluster = Cluster.from_objects([*psps, *rbac])
    engine = Engine(export(psps, rbac, [], "vap", "1.36").objects[0], cluster)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "serviceAccountName": "default",
            "containers": [{"name": "c", "image": "i", "securityContext": {"privileged": True}}],
        },
    }
    bob = UserInfo("bob", ("system:authenticated",))
    for ns, who, want in (("apps", USER, True), ("other", USER, False), ("apps", bob, False)):
        got = engine.evaluate(as_admitted(pod), ns, who)[0]
        assert got is want
        assert (cluster.admits_unchanged(as_admitted(pod), ns, who) is not None) is want


def test_pod_that_needed_psp_defaults_is_denied_as_in_psps_validating_phase() -> None:
    psp = policy("uids", runAsUser={"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]})
    cluster = Cluster.from_objects([psp])
    engine = Engine(export([psp], [], [], "vap", "1.36").objects[0], cluster)
    pod = as_admitted(
        {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    )
    assert cluster.decide(pod, "ns", USER).allowed  # PSP admitted it, by setting runAsUser
    assert cluster.admits_unchanged(pod, "ns", USER) is None
    assert engine.evaluate(pod, "ns", USER)[0] is False
    pod["spec"]["containers"][0]["securityContext"] = {"runAsUser": 1500}
    assert engine.evaluate(pod, "ns", USER)[0] is True


def test_runtime_class_default_is_a_mutation_regression_pspmigrator() -> None:
    """pspmigrator misses runtimeClass.defaultRuntimeClassName as a mutating field: here a pod
    without runtimeClassName needs PSP's default, so the validating export denies it and the
    PSA export lists the patch."""
    psp = policy(
        "rc",
        runtimeClass={"allowedRuntimeClassNames": ["gvisor"], "defaultRuntimeClassName": "gvisor"},
        volumes=["*"],
    )
    app = deployment("apps", "web", {"containers": [{"name": "c", "image": "i"}]})
    cluster = Cluster.from_objects([psp, app])
    engine = Engine(export([psp], [], [app], "vap", "1.36").objects[0], cluster)
    pod = as_admitted(cluster.workloads[0].as_pod())
    assert engine.evaluate(pod, "apps", USER)[0] is False
    pod["spec"]["runtimeClassName"] = "gvisor"
    assert engine.evaluate(pod, "apps", USER)[0] is True
    psa = export([psp], [], [app], "psa", "1.36", boundary=False)
    (patch,) = [m["patch"] for m in psa.namespaces[0].details["mutatedByPsp"]]
    assert {"op": "add", "path": "/spec/runtimeClassName", "value": "gvisor"} in patch


@pytest.mark.parametrize("text", ['a"b', "back\\slash", "new\nline", "tab\t", "ünï"])
def test_cel_string_literals_round_trip_through_the_engine(text: str) -> None:
    from cel_expr_python import cel

    env = cel.NewEnv(variables={"x": cel.Type.STRING})
    assert env.compile(f"{lit(text)} == x").eval(data={"x": text}).value() is True


def test_exported_objects_match_kubernetes_schemas() -> None:
    kv = pytest.importorskip("kubernetes_validate")
    psps, rbac, rest = split(objects_of(EXAMPLE))
    for version in ("1.30", "1.32", kv.latest_version()):
        result = export(psps, rbac, rest, "vap", version)
        for obj in result.objects:
            kv.validate(obj, version, strict=True)
    psa = export(psps, rbac, rest, "psa", "1.30", boundary=False)
    for obj in psa.objects:
        if obj["kind"] == "Namespace":
            kv.validate(obj, "1.30", strict=True)


@pytest.mark.skipif(
    not (SHARED / "bench" / "gen_cluster.py").exists(), reason="../shared is absent"
)
def test_generated_cluster_every_policy_proved(tmp_path: Path) -> None:
    out = generated_cluster(tmp_path, 150, 7)
    result = CliRunner().invoke(cli, ["export", "--to", "vap", out, "--verify", "-o", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["proved"] is True
    assert len(data["policies"]) == 5
    for unit in (*data["policies"], *data["namespaces"]):
        assert unit["verdict"] == "proved"
        assert unit["agreed"] == unit["podsTried"] > 0


def test_cli_missing_engine_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cel_expr_python.cel", None)
    result = CliRunner().invoke(cli, ["export", "--to", "vap", *EXAMPLE, "--verify"])
    assert result.exit_code == 2
    assert "pip install 'podgate[verify]'" in result.output
    assert result.output.count("\n") == 1


def test_cli_without_verify_is_unproved_and_exits_1() -> None:
    result = CliRunner().invoke(cli, ["export", "--to", "vap", *EXAMPLE, "-o", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {p["verdict"] for p in data["policies"]} == {"unproved"}


@pytest.mark.parametrize("target", ["vap", "gatekeeper", "kyverno"])
def test_validating_exports_name_the_workloads_that_needed_psps_defaults(target: str) -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = export(psps, rbac, rest, target, "1.36")
    (note,) = [n for n in result.notes if "admitted by PSP only with its defaults" in n]
    assert note.startswith("3 of the input's workloads")
    assert "Deployment shop/web" in note
