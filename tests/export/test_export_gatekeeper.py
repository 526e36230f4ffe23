"""`export --to gatekeeper --verify`: the ConstraintTemplate's Rego v1, run in the real OPA Go
engine with the Constraint's parameters, agrees with PSP's validating phase on every pod tried,
per requesting identity; the verifier can fail."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from podgate.cli.main import cli
from podgate.export import Verdict, export
from podgate.export.cluster import Cluster
from podgate.k8s.identity import UserInfo
from podgate.verify import verify
from podgate.verify.common import as_admitted
from podgate.verify.opa import Engine, verify_gatekeeper
from tests.conftest import SHARED
from tests.export.test_export_psa import EXAMPLE, deployment, generated_cluster, objects_of, split
from tests.export.test_export_vap_hypothesis import policies

pytest.importorskip("opa_bindings", reason="opa-golib-python-bindings is not installed")


def test_examples_every_policy_and_namespace_proved_by_opa() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = verify(export(psps, rbac, rest, "gatekeeper", "1.36"), [*psps, *rbac, *rest])
    assert {p.name for p in result.policies} == {"db-ipc-lock", "privileged", "restricted"}
    for unit in (*result.policies, *result.namespaces):
        assert unit.verdict is Verdict.PROVED, (unit.name, unit.gaps)
        assert unit.engine.startswith("OPA Go engine")
        assert unit.agreed == unit.pods > 400
    for obj in result.objects[:2]:  # the template and constraint (the mutators: unproved)
        assert obj["metadata"]["annotations"]["podgate.io/export-verdict"] == "proved"


def test_template_is_rego_v1_by_source_version_without_the_import() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    template, constraint = export(psps, rbac, rest, "gatekeeper", "1.36").objects[:2]
    assert template["metadata"]["name"] == template["spec"]["crd"]["spec"]["names"]["kind"].lower()
    (target,) = template["spec"]["targets"]
    assert target["target"] == "admission.k8s.gatekeeper.sh"
    (code,) = target["code"]
    assert code["engine"] == "Rego"
    assert code["source"]["version"] == "v1"
    assert "import rego.v1" not in code["source"]["rego"]
    assert constraint["kind"] == template["spec"]["crd"]["spec"]["names"]["kind"]
    grants = constraint["spec"]["parameters"]["grants"]
    assert {"namespace": "", "kind": "Group", "name": "system:serviceaccounts"} in grants[
        "restricted"
    ]


def test_verifier_reports_a_wrong_rule_as_a_looser_gap_with_its_field() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    cluster = Cluster.from_objects([*psps, *rbac, *rest])
    result = export(psps, rbac, rest, "gatekeeper", "1.36")
    source = result.objects[0]["spec"]["targets"][0]["code"][0]["source"]
    source["rego"] = source["rego"].replace("\tprivileged_ok(p.privileged, c)\n", "")
    checked = verify_gatekeeper(result, cluster)
    restricted = next(p for p in checked.policies if p.name == "restricted")
    assert restricted.verdict is Verdict.PARTIAL
    assert ("securityContext.privileged", "looser") in {
        (g.field, g.direction.value) for g in restricted.gaps
    }


def test_rbac_snapshot_selects_per_namespace_and_identity() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    cluster = Cluster.from_objects([*psps, *rbac, *rest])
    template, constraint = export(psps, rbac, rest, "gatekeeper", "1.36").objects[:2]
    engine = Engine(template, constraint)
    tried = 0
    seen = set()
    for w in cluster.workloads:
        pod = as_admitted(w.as_pod())
        for who in (
            UserInfo("alice", ("system:authenticated",)),
            UserInfo("ops-admin", ("ops",)),
        ):
            got = engine.evaluate(pod, w.ref.namespace, who)[0]
            assert got is (cluster.admits_unchanged(pod, w.ref.namespace, who) is not None)
            seen.add(got)
            tried += 1
    assert tried >= 10
    assert seen == {True, False}


def test_system_masters_may_use_every_policy_in_the_rego_as_in_psp() -> None:
    """PSP lets `system:masters` use every policy (the API server's authorizer allows that
    group everything before RBAC is asked); the Rego says so too, so the export agrees with
    PSP for that group on every workload, including pods no RBAC grant would admit. (Was a
    stricter gap while the RBAC snapshot alone decided.)"""
    psps, rbac, rest = split(objects_of(EXAMPLE))
    cluster = Cluster.from_objects([*psps, *rbac, *rest])
    template, constraint = export(psps, rbac, rest, "gatekeeper", "1.36").objects[:2]
    engine = Engine(template, constraint)
    admin = UserInfo("system:admin", ("system:masters",))
    nobody = UserInfo("nobody", ("system:authenticated",))
    only_admin = 0
    for w in cluster.workloads:
        pod = as_admitted(w.as_pod())
        got = engine.evaluate(pod, w.ref.namespace, admin)[0]
        want = cluster.admits_unchanged(pod, w.ref.namespace, admin) is not None
        assert got is want
        only_admin += want and cluster.admits_unchanged(pod, w.ref.namespace, nobody) is None
    assert only_admin > 0


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_generated_policy_agrees_with_psp_in_opa(psp: dict[str, Any]) -> None:
    app = deployment("apps", "web", {"containers": [{"name": "c", "image": "i"}]})
    result = verify(export([psp], [], [app], "gatekeeper", "1.36"), [psp, app])
    (outcome,) = result.policies
    assert outcome.verdict is Verdict.PROVED, outcome.gaps


@pytest.mark.skipif(
    not (SHARED / "bench" / "gen_cluster.py").exists(), reason="../shared is absent"
)
def test_generated_cluster_every_policy_proved(tmp_path: Path) -> None:
    out = generated_cluster(tmp_path, 120, 3)
    result = CliRunner().invoke(
        cli, ["export", "--to", "gatekeeper", out, "--verify", "-o", "json"]
    )
    data = json.loads(result.stdout)
    assert all(u["verdict"] == "proved" for u in (*data["policies"], *data["namespaces"]))
    # the mutators for PSP's defaults are unproved (no engine here runs them): exit 1
    assert {m["verdict"] for m in data["mutating"]["outcomes"]} == {"unproved"}
    assert result.exit_code == 1, result.output


def test_cli_missing_engine_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opa_bindings", None)
    result = CliRunner().invoke(cli, ["export", "--to", "gatekeeper", *EXAMPLE, "--verify"])
    assert result.exit_code == 2
    assert "--ignore-requires-python" in result.output
    assert result.output.count("\n") == 1
