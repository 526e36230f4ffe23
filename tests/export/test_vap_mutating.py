"""`export --to vap`'s MutatingAdmissionPolicy (JSONPatch): run in cel-cpp, its operations
applied (RFC 6902), then the ValidatingAdmissionPolicy; the outcome equals PSP's whole
decision and the admitted pod equals the pod PSP admitted, on every pod tried."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from podgate.export import Verdict, export
from podgate.export.cluster import Cluster
from podgate.export.vap import map_status
from podgate.k8s.identity import requesting_user
from podgate.verify import verify
from podgate.verify.common import as_admitted
from tests.export.test_export_psa import EXAMPLE, objects_of, split
from tests.psp_helpers import policy

pytest.importorskip("cel_expr_python", reason="the verify extra (cel-expr-python) is not installed")
pytest.importorskip("google.protobuf", reason="the verify extra (protobuf) is not installed")

USER = requesting_user("alice")
UIDS = {"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]}


def engines(psps: list[Any], rbac: list[Any] | None = None) -> tuple[Any, Any, Cluster]:
    from podgate.verify.cel import Engine
    from podgate.verify.mutating import MutatingEngine

    rbac = rbac or []
    objs = export(psps, rbac, [], "vap", "1.36").objects
    cluster = Cluster.from_objects([*psps, *rbac])
    (mutating,) = [o for o in objs if o["kind"] == "MutatingAdmissionPolicy"]
    (validating,) = [o for o in objs if o["kind"] == "ValidatingAdmissionPolicy"]
    return MutatingEngine(mutating, cluster), Engine(validating, cluster), cluster


def pod(**spec: Any) -> dict[str, Any]:
    base = {"serviceAccountName": "default", "containers": [{"name": "app", "image": "i"}]}
    return as_admitted(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {**base, **spec}}
    )


def test_examples_mutating_policy_proved_with_psps_mutations_among_the_pods() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = verify(export(psps, rbac, rest, "vap", "1.36"), [*psps, *rbac, *rest])
    assert result.mutating is not None and result.mutating["apiVersion"].endswith("/v1")
    assert {m.name for m in result.mutations} == {"batch", "kube-system", "shop"}
    for m in result.mutations:
        assert m.verdict is Verdict.PROVED, (m.name, m.gaps)
        assert m.agreed == m.pods > 400
    assert result.all_proved
    (obj,) = [o for o in result.objects if o["kind"] == "MutatingAdmissionPolicy"]
    assert obj["metadata"]["annotations"]["podgate.io/export-verdict"] == "proved"


def test_examples_workloads_that_needed_defaults_get_psps_pod() -> None:
    from podgate.k8s.prepare import prepare_for_create
    from podgate.verify.mutating import normalized

    psps, rbac, rest = split(objects_of(EXAMPLE))
    mutating, validating, _ = engines(psps, rbac)
    cluster = Cluster.from_objects([*psps, *rbac, *rest])
    from podgate.export.cluster import requester

    needed = 0
    for w in cluster.workloads:
        p = as_admitted(w.as_pod())
        who = requester(w) or USER
        psp = cluster.decide(p, w.ref.namespace, who)
        got, error = mutating.mutate(p, w.ref.namespace, who)
        assert error == "" and got is not None
        assert validating.evaluate(got, w.ref.namespace, who)[0] is psp.allowed
        if psp.allowed and psp.mutated:
            needed += 1
            assert got != p
            # PSP's pod with the field of its seccomp annotation, as PSP's API servers copied
            # it: the mutating policy writes both (tests/export/test_export_seccomp_fields.py)
            synced, _ = prepare_for_create(psp.object, 26)
            assert normalized(got) == normalized(synced)
    assert needed == 3


def test_first_policy_by_name_that_admits_with_its_defaults_is_the_one_applied() -> None:
    # "a-uids" cannot admit a pod that runs as 0; "b-uids" can, and fills in fsGroup
    a = policy("a-uids", runAsUser={"rule": "MustRunAsNonRoot"}, volumes=["*"])
    b = policy(
        "b-fs", fsGroup={"rule": "MustRunAs", "ranges": [{"min": 5, "max": 5}]}, volumes=["*"]
    )
    mutating, _, cluster = engines([a, b])
    root = pod(securityContext={"runAsUser": 0})
    got, _ = mutating.mutate(root, "ns", USER)
    assert got is not None and got["spec"]["securityContext"] == {"runAsUser": 0, "fsGroup": 5}
    assert cluster.decide(root, "ns", USER).policy == "b-fs"
    # a pod "a-uids" admits with its default gets "a-uids"'s default, not "b-fs"'s
    plain = pod()
    got, _ = mutating.mutate(plain, "ns", USER)
    assert got is not None
    assert got["spec"]["containers"][0]["securityContext"] == {"runAsNonRoot": True}
    assert "securityContext" not in got["spec"]
    assert cluster.decide(plain, "ns", USER).policy == "a-uids"


def test_nothing_is_mutated_when_some_usable_policy_admits_the_pod_unchanged() -> None:
    mutating_first = policy("a-defaults", runAsUser=UIDS, volumes=["*"])
    open_policy = policy("z-open", volumes=["*"])
    mutating, _, cluster = engines([mutating_first, open_policy])
    p = pod()
    got, _ = mutating.mutate(p, "ns", USER)
    assert got == p
    assert not cluster.decide(p, "ns", USER).mutated


def test_only_a_policy_the_requester_may_use_mutates() -> None:
    from tests.export.test_may_use import grant

    uids = policy("privileged", runAsUser=UIDS, volumes=["*"])  # grant() names "privileged"
    mutating, validating, _ = engines([uids], grant("policy"))
    p = pod()
    bob = requesting_user("bob")
    got, _ = mutating.mutate(p, "apps", bob)
    assert got == p  # bob may use no policy: nothing filled in, and the pod is denied
    assert validating.evaluate(p, "apps", bob)[0] is False
    got, _ = mutating.mutate(p, "apps", USER)
    assert got is not None and got["spec"]["containers"][0]["securityContext"] == {
        "runAsUser": 1000
    }


@pytest.mark.parametrize(
    "spec",
    [
        {
            "requiredDropCapabilities": ["NET_RAW"],
            "defaultAddCapabilities": ["CHOWN"],
            "allowedCapabilities": ["*"],
        },
        {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
        {"defaultAllowPrivilegeEscalation": True},
        {"seLinux": {"rule": "MustRunAs", "seLinuxOptions": {"level": "s0:c1,c2", "type": "t"}}},
        {
            "runtimeClass": {
                "allowedRuntimeClassNames": ["gvisor"],
                "defaultRuntimeClassName": "gvisor",
            }
        },
        {"supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 7, "max": 9}]}},
        {"runAsGroup": {"rule": "MustRunAs", "ranges": [{"min": 3, "max": 3}]}},
    ],
)
def test_each_default_gives_psps_pod(spec: dict[str, Any]) -> None:
    from podgate.verify.mutating import normalized

    psp = policy("p", volumes=["*"], **spec)
    mutating, validating, cluster = engines([psp])
    for p in (
        pod(),
        pod(
            initContainers=[
                {
                    "name": "init",
                    "image": "i",
                    "securityContext": {"capabilities": {"add": ["NET_RAW"]}},
                }
            ]
        ),
        pod(
            securityContext={"runAsUser": 5},
            containers=[
                {"name": "a", "image": "i"},
                {
                    "name": "b",
                    "image": "i",
                    "securityContext": {"capabilities": {"drop": ["CHOWN"]}},
                },
            ],
        ),
    ):
        decision = cluster.decide(p, "ns", USER)
        got, error = mutating.mutate(p, "ns", USER)
        assert error == "" and got is not None
        admitted = validating.evaluate(got, "ns", USER)[0]
        assert admitted is decision.allowed
        if admitted:
            assert normalized(got) == normalized(decision.object)


@pytest.mark.parametrize(
    "annotations",
    [
        {
            "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
            "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default,unconfined",
        },
        {
            "apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default",
            "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default",
        },
    ],
)
def test_annotation_defaults_are_escaped_json_pointers(annotations: dict[str, str]) -> None:
    psp = policy("p", volumes=["*"], annotations=annotations)
    mutating, _, cluster = engines([psp])
    for p in (pod(), {**pod(), "metadata": {"name": "p", "annotations": {"other": "x"}}}):
        decision = cluster.decide(p, "ns", USER)
        got, error = mutating.mutate(p, "ns", USER)
        assert error == "" and got is not None
        ann = got["metadata"]["annotations"]
        want = {
            k: v
            for k, v in decision.object["metadata"]["annotations"].items()
            if k != "kubernetes.io/psp"
        }
        assert ann == want


def test_verifier_reports_a_wrong_default_as_a_different_pod() -> None:
    from podgate.verify.mutating import verify_mutating

    psp = policy("uids", runAsUser=UIDS, volumes=["*"])
    result = export([psp], [], [], "vap", "1.36")
    objects = copy.deepcopy(list(result.objects))
    for o in objects:
        if o["kind"] == "MutatingAdmissionPolicy":
            (m,) = o["spec"]["mutations"]
            m["jsonPatch"]["expression"] = m["jsonPatch"]["expression"].replace(
                "value: 1000", "value: 1500"
            )
    from dataclasses import replace

    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}
    cluster = Cluster.from_objects([psp, namespace])
    assert verify_mutating(result, cluster).mutations[0].verdict is Verdict.PROVED
    checked = verify_mutating(replace(result, objects=tuple(objects)), cluster)
    assert not checked.all_proved
    gaps = {(g.field, g.direction.value) for m in checked.mutations for g in m.gaps}
    assert any(d == "different" and "runAsUser" in f for f, d in gaps), gaps


@pytest.mark.parametrize(
    ("minor", "api_version", "on"),
    [
        (31, None, False),
        (32, "admissionregistration.k8s.io/v1alpha1", False),
        (33, "admissionregistration.k8s.io/v1alpha1", False),
        (34, "admissionregistration.k8s.io/v1beta1", False),
        (35, "admissionregistration.k8s.io/v1beta1", False),
        (36, "admissionregistration.k8s.io/v1", True),
        (37, "admissionregistration.k8s.io/v1", True),
    ],
)
def test_status_per_kubernetes_version_in_objects_and_json(
    minor: int, api_version: str | None, on: bool
) -> None:
    status = map_status(minor)
    assert status["apiVersion"] == api_version
    assert status["enabledByDefault"] is on
    psp = policy("uids", runAsUser=UIDS, volumes=["*"])
    result = export([psp], [], [], "vap", f"1.{minor}")
    kinds = {o["kind"]: o["apiVersion"] for o in result.objects}
    if api_version is None:
        assert "MutatingAdmissionPolicy" not in kinds
        assert result.mutating is None
        assert any("no MutatingAdmissionPolicy" in n for n in result.notes)
    else:
        assert kinds["MutatingAdmissionPolicy"] == api_version
        assert kinds["MutatingAdmissionPolicyBinding"] == api_version
        data = result.as_json()["mutating"]
        assert data["apiVersion"] == api_version and data["enabledByDefault"] is on
        assert any(status["status"] in n for n in result.notes)


@pytest.mark.parametrize("minor", [32, 34, 36])
def test_mutating_objects_match_kubernetes_schemas(minor: int) -> None:
    kv = pytest.importorskip("kubernetes_validate")
    psps, rbac, rest = split(objects_of(EXAMPLE))
    for obj in export(psps, rbac, rest, "vap", f"1.{minor}").objects:
        kv.validate(obj, f"1.{minor}", strict=True)
