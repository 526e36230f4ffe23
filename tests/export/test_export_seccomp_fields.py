"""The exports read a seccomp profile from the pod's fields, and the MutatingAdmissionPolicy writes
PSP's default profile as the field too: kubelets ignore the seccomp annotations PSP read and
wrote from 1.25, and from 1.27 the API server no longer copies one into its field before
validating admission (kubernetes#114947). Found by the red team: the ValidatingAdmissionPolicy
and the Gatekeeper template admitted a pod whose profile was only an annotation under a policy
allowing runtime/default alone, and the MutatingAdmissionPolicy wrote the default as the
annotation alone, so such pods ran with no seccomp profile (a wrong allow, proved by the
verifier, which read the annotation as PSP's API servers synchronised it)."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.export import Verdict, export
from podgate.export.cluster import Cluster
from podgate.export.gatekeeper import KIND
from podgate.k8s.identity import requesting_user
from podgate.verify import verify
from tests.psp_helpers import policy

pytest.importorskip("cel_expr_python", reason="the verify extra (cel-expr-python) is not installed")

POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
ALLOWED = "seccomp.security.alpha.kubernetes.io/allowedProfileNames"
DEFAULT = "seccomp.security.alpha.kubernetes.io/defaultProfileName"


def runtime_default(with_default: bool) -> dict[str, Any]:
    annotations = {ALLOWED: "runtime/default"}
    if with_default:
        annotations[DEFAULT] = "runtime/default"
    return policy("runtime-default", annotations=annotations)


def pod(annotations: dict[str, str] | None = None, **sc: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p", "namespace": "apps"}
    if annotations:
        meta["annotations"] = annotations
    spec: dict[str, Any] = {
        "serviceAccountName": "default",
        "containers": [{"name": "app", "image": "img"}],
    }
    if sc:
        spec["securityContext"] = sc
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


USER = requesting_user("alice")
# as a 1.27+ API server hands them to validating admission: nothing copied them into fields
ANNOTATION_ONLY = [
    pod({POD_KEY: "runtime/default"}),
    pod({"container.seccomp.security.alpha.kubernetes.io/app": "runtime/default"}),
]
FIELD = pod({POD_KEY: "runtime/default"}, seccompProfile={"type": "RuntimeDefault"})


@pytest.mark.parametrize("with_default", [False, True])
def test_the_validating_policy_reads_the_fields(with_default: bool) -> None:
    from podgate.verify.cel import Engine

    psp = runtime_default(with_default)
    cluster = Cluster.from_objects([psp])
    result = export([psp], [], [], "vap", "1.36")
    vap = next(o for o in result.objects if o["kind"] == "ValidatingAdmissionPolicy")
    engine = Engine(vap, cluster)
    for given in ANNOTATION_ONLY:
        admitted, _, error = engine.evaluate(given, "apps", USER)
        assert (admitted, error) == (False, ""), given
    assert engine.evaluate(FIELD, "apps", USER)[0] is True


@pytest.mark.parametrize("with_default", [False, True])
def test_the_gatekeeper_template_reads_the_fields(with_default: bool) -> None:
    pytest.importorskip("opa_bindings", reason="OPA's bindings are not installed")
    from podgate.verify.opa import Engine

    psp = runtime_default(with_default)
    result = export([psp], [], [], "gatekeeper", "1.36")
    template = next(o for o in result.objects if o["kind"] == "ConstraintTemplate")
    constraint = next(o for o in result.objects if o["kind"] == KIND)
    engine = Engine(template, constraint)
    for given in ANNOTATION_ONLY:
        assert engine.evaluate(given, "apps", USER)[0] is False, given
    assert engine.evaluate(FIELD, "apps", USER)[0] is True


def test_the_mutating_policy_writes_the_default_as_the_field() -> None:
    from podgate.verify.mutating import MutatingEngine

    psp = runtime_default(True)
    cluster = Cluster.from_objects([psp])
    result = export([psp], [], [], "vap", "1.36")
    (map_,) = [o for o in result.objects if o["kind"] == "MutatingAdmissionPolicy"]
    mutated, error = MutatingEngine(map_, cluster).mutate(pod(), "apps", USER)
    assert error == "" and mutated is not None
    assert mutated["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert mutated["metadata"]["annotations"][POD_KEY] == "runtime/default"


@pytest.mark.parametrize("target", ["vap", "gatekeeper"])
def test_still_proved_against_psp(target: str) -> None:
    if target == "gatekeeper":
        pytest.importorskip("opa_bindings", reason="OPA's bindings are not installed")
    psp = runtime_default(True)
    checked = verify(export([psp], [], [], target, "1.36"), [psp])
    assert all(p.verdict is Verdict.PROVED for p in checked.policies), checked.policies
    if target == "vap":  # Gatekeeper's mutators are unproved: no engine here runs them
        assert all(m.verdict is Verdict.PROVED for m in checked.mutations), checked.mutations


def test_workloads_with_annotations_alone_are_named_in_the_notes() -> None:
    psp = runtime_default(True)
    old = pod({POD_KEY: "runtime/default"})
    result = export([psp, old], [], [], "vap", "1.36")
    (note,) = [n for n in result.notes if "only as an annotation" in n]
    assert note.endswith("securityContext.seccompProfile: Pod apps/p")
    assert not any("only as an annotation" in n for n in export([psp, FIELD], [], [], "vap").notes)


def test_gatekeepers_mutators_write_the_default_as_the_field_too() -> None:
    result = export([runtime_default(True)], [], [], "gatekeeper", "1.36")
    assigned = {
        o["spec"]["location"]: o["spec"]["parameters"]["assign"]["value"]
        for o in result.objects
        if o["kind"] in ("Assign", "AssignMetadata")
    }
    assert assigned[f'metadata.annotations."{POD_KEY}"'] == "runtime/default"
    assert assigned["spec.securityContext.seccompProfile"] == {"type": "RuntimeDefault"}
