"""`--to gatekeeper`: Assign/AssignMetadata/ModifySet mutators where PSP fills fields in, each
marked unproved (no engine here runs Gatekeeper's mutation) in its annotations and in -o json,
with how it differs from PSP; the known wrong equivalence (ModifySet adding a default
capability the container drops) is not emitted."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.export import Verdict, export
from podgate.export.gatekeeper_mutators import mutators
from tests.export.test_export_psa import EXAMPLE, objects_of, split
from tests.psp_helpers import policy

UIDS = {"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]}


def test_examples_mutators_are_unproved_in_annotations_and_json() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = export(psps, rbac, rest, "gatekeeper", "1.36")
    found = [o for o in result.objects if o["apiVersion"] == "mutations.gatekeeper.sh/v1"]
    assert found
    for obj in found:
        ann = obj["metadata"]["annotations"]
        assert ann["podgate.io/export-verdict"] == "unproved"
        assert ann["podgate.io/source-policy"] in {"db-ipc-lock", "restricted"}
        assert "not only where PSP would select" in ann["podgate.io/differs-from-psp"]
    data = result.as_json()["mutating"]
    assert data["status"].startswith("unproved")
    assert {o["verdict"] for o in data["outcomes"]} == {"unproved"}
    assert len(data["outcomes"]) == len(found)
    assert not result.all_proved


def test_verify_proves_the_constraint_and_leaves_the_mutators_unproved() -> None:
    pytest.importorskip("opa_bindings", reason="opa-golib-python-bindings is not installed")
    from podgate.verify import verify

    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = verify(export(psps, rbac, rest, "gatekeeper", "1.36"), [*psps, *rbac, *rest])
    assert all(p.verdict is Verdict.PROVED for p in (*result.policies, *result.namespaces))
    assert {m.verdict for m in result.mutations} == {Verdict.UNPROVED}
    for obj in result.objects:
        want = "unproved" if obj["apiVersion"].startswith("mutations.") else "proved"
        assert obj["metadata"]["annotations"]["podgate.io/export-verdict"] == want


def test_default_add_capability_is_left_out_regression_modifyset_adds_dropped() -> None:
    psp = policy("caps", defaultAddCapabilities=["NET_ADMIN"], requiredDropCapabilities=["ALL"])
    objs, left_out = mutators(psp)
    kinds = {(o["kind"], o["spec"]["location"]) for o in objs}
    assert ("ModifySet", "spec.containers[name:*].securityContext.capabilities.drop") in kinds
    assert not any("capabilities.add" in loc for _, loc in kinds)
    (why,) = left_out
    assert "NET_ADMIN" in why and "drops" in why


def test_container_defaults_cover_every_container_list_and_test_absence() -> None:
    psp = policy("uids", runAsUser=UIDS, readOnlyRootFilesystem=True)
    objs, _ = mutators(psp)
    users = [o for o in objs if o["spec"]["location"].endswith("runAsUser")]
    assert {o["spec"]["location"].split("[")[0] for o in users} == {
        "spec.initContainers",
        "spec.containers",
        "spec.ephemeralContainers",
    }
    for o in users:
        assert o["spec"]["parameters"]["assign"]["value"] == 1000
        (test,) = o["spec"]["parameters"]["pathTests"]
        assert test == {"subPath": o["spec"]["location"], "condition": "MustNotExist"}
        assert (
            "pod's securityContext" in o["metadata"]["annotations"]["podgate.io/differs-from-psp"]
        )


def test_seccomp_default_is_an_assign_metadata_with_a_quoted_key() -> None:
    prefix = "seccomp.security.alpha.kubernetes.io/"
    names = {"defaultProfileName": "runtime/default", "allowedProfileNames": "runtime/default"}
    psp = policy("sc", annotations={prefix + k: v for k, v in names.items()})
    # the annotation, and its field (tests/export/test_export_seccomp_fields.py)
    obj, field = mutators(psp)[0]
    assert obj["kind"] == "AssignMetadata"
    assert (
        obj["spec"]["location"] == 'metadata.annotations."seccomp.security.alpha.kubernetes.io/pod"'
    )
    assert "applyTo" not in obj["spec"]
    assert field["kind"] == "Assign"
    assert field["spec"]["location"] == "spec.securityContext.seccompProfile"


def test_non_mutating_policies_give_no_mutators_and_can_be_proved() -> None:
    psp = policy("plain", volumes=["*"])
    result = export([psp], [], [], "gatekeeper", "1.36")
    assert result.mutating is None and result.mutations == ()
    assert "mutating" not in result.as_json()


def test_cli_json_lists_mutators() -> None:
    out = CliRunner().invoke(cli, ["export", "--to", "gatekeeper", *EXAMPLE, "-o", "json"])
    assert out.exit_code == 1
    data = json.loads(out.stdout)
    assert data["mutating"]["apiVersion"] == "mutations.gatekeeper.sh/v1"
    assert all(o["verdict"] == "unproved" for o in data["mutating"]["outcomes"])


def test_mutators_match_gatekeeper_schema_shape() -> None:
    psp = policy("all", runAsUser=UIDS, fsGroup=UIDS, requiredDropCapabilities=["ALL"])
    for obj in mutators(psp)[0]:
        assert obj["metadata"]["name"] == obj["metadata"]["name"].lower()
        assert len(obj["metadata"]["name"]) <= 253
        spec = obj["spec"]
        assert spec["match"]["kinds"] == [{"apiGroups": [""], "kinds": ["Pod"]}]
        if obj["kind"] != "AssignMetadata":
            assert spec["applyTo"] == [{"groups": [""], "kinds": ["Pod"], "versions": ["v1"]}]
