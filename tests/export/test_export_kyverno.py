"""`export --to kyverno --verify`: a Kyverno CEL ValidatingPolicy with the same CEL as the VAP
export, run in cel-cpp against PSP; Kyverno itself cannot run here."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.export import Verdict, export
from podgate.verify import verify
from tests.export.test_export_psa import EXAMPLE, objects_of, split

pytest.importorskip("cel_expr_python", reason="the verify extra (cel-expr-python) is not installed")


def test_validating_policy_carries_the_vap_cel() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    (policy,) = export(psps, rbac, rest, "kyverno", "1.36").objects
    vap = export(psps, rbac, rest, "vap", "1.36").objects[0]
    assert policy["apiVersion"] == "policies.kyverno.io/v1"
    assert policy["kind"] == "ValidatingPolicy"
    assert policy["spec"]["variables"] == vap["spec"]["variables"]
    assert policy["spec"]["validations"] == vap["spec"]["validations"]
    assert policy["spec"]["validationActions"] == ["Deny"]


def test_examples_proved_by_cel_and_say_kyverno_was_not_run() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = verify(export(psps, rbac, rest, "kyverno", "1.36"), [*psps, *rbac, *rest])
    for unit in (*result.policies, *result.namespaces):
        assert unit.verdict is Verdict.PROVED, (unit.name, unit.gaps)
        assert unit.engine.startswith("cel-cpp")
    assert any("Kyverno itself is not run" in n for n in result.notes)
    (obj,) = result.objects
    assert obj["metadata"]["annotations"]["podgate.io/export-verdict"] == "proved"


def test_cli_kyverno_json_and_missing_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(
        cli, ["export", "--to", "kyverno", *EXAMPLE, "--verify", "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["proved"] is True
    monkeypatch.setitem(sys.modules, "cel_expr_python.cel", None)
    result = CliRunner().invoke(cli, ["export", "--to", "kyverno", *EXAMPLE, "--verify"])
    assert result.exit_code == 2
    assert "cel-expr-python" in result.output
