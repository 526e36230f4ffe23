"""`podgate simplify`: non-mutating clones, equivalent policies merged, RBAC repointed, the
per-workload patch of what PSP filled in, and the proof that every workload (with its patch)
is admitted or denied as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.export.cluster import Cluster
from podgate.export.simplify import non_mutating, simplify
from tests.export.test_export_psa import (
    EXAMPLE,
    deployment,
    generated_cluster,
    grant_all,
    objects_of,
    split,
)
from tests.psp_helpers import policy


def test_clone_drops_only_the_defaulting_fields() -> None:
    psp = policy(
        "p",
        annotations={
            "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
            "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
        },
        defaultAddCapabilities=["CHOWN"],
        allowedCapabilities=["NET_RAW"],
        defaultAllowPrivilegeEscalation=False,
        runtimeClass={"allowedRuntimeClassNames": ["gvisor"], "defaultRuntimeClassName": "gvisor"},
        runAsUser={"rule": "MustRunAsNonRoot"},
    )
    clone, kept = non_mutating(psp)
    assert clone["metadata"]["name"] == "p-nonmutating"
    annotations = clone["metadata"]["annotations"]
    assert "seccomp.security.alpha.kubernetes.io/defaultProfileName" not in annotations
    assert (
        annotations["seccomp.security.alpha.kubernetes.io/allowedProfileNames"] == "runtime/default"
    )
    spec = clone["spec"]
    assert "defaultAddCapabilities" not in spec
    assert spec["allowedCapabilities"] == ["NET_RAW", "CHOWN"]
    assert "defaultAllowPrivilegeEscalation" not in spec
    assert spec["runtimeClass"] == {"allowedRuntimeClassNames": ["gvisor"]}
    assert "runAsUser: MustRunAsNonRoot" in kept
    assert psp["spec"]["defaultAddCapabilities"] == ["CHOWN"]  # the input is untouched


def test_equivalent_policies_merge_and_rbac_follows() -> None:
    a = policy("a", volumes=["configMap"])
    b = policy("b", volumes=["configMap"])
    c = policy("c", volumes=["secret"])
    rbac = grant_all(["b", "c"])
    app = deployment("apps", "web", {"containers": [{"name": "c", "image": "i"}]})
    result = simplify([a, b, c], rbac, [app])
    assert result.merged == {"b": "a"}
    assert [p["metadata"]["name"] for p in result.policies] == ["a", "c"]
    (role,) = [o for o in result.rbac if o["kind"] == "ClusterRole"]
    assert role["rules"][0]["resourceNames"] == ["a", "c"]
    assert result.proved


def test_mutated_workload_gets_the_patch_at_its_pod_template_and_passes_unchanged() -> None:
    psp = policy(
        "defaults",
        defaultAllowPrivilegeEscalation=False,
        runtimeClass={"allowedRuntimeClassNames": ["gvisor"], "defaultRuntimeClassName": "gvisor"},
    )
    app = deployment("apps", "web", {"containers": [{"name": "c", "image": "i"}]})
    result = simplify([psp], grant_all(["defaults"]), [app])
    assert result.clones == {"defaults": "defaults-nonmutating"}
    (w,) = result.workloads
    assert w.allowed_before and w.allowed_after and not w.mutated_after
    assert w.policy_after == "defaults-nonmutating"
    paths = {op["path"] for op in w.patch}
    assert "/spec/template/spec/runtimeClassName" in paths
    assert all(p.startswith("/spec/template/") for p in paths)
    (role,) = [o for o in result.rbac if o["kind"] == "ClusterRole"]
    assert role["rules"][0]["resourceNames"] == ["defaults-nonmutating"]


def test_denied_workload_stays_denied() -> None:
    psp = policy("p", volumes=["configMap"])
    bad = deployment(
        "apps",
        "root",
        {"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": True}}]},
    )
    result = simplify([psp], grant_all(["p"]), [bad])
    (w,) = result.workloads
    assert not w.allowed_before and not w.allowed_after and w.proved and not w.patch


def test_examples_every_workload_as_before() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = simplify(psps, rbac, rest)
    assert result.proved, [w for w in result.workloads if not w.proved]
    assert any(w.patch for w in result.workloads)  # the restricted policy fills fields in
    after = Cluster.from_objects([*result.policies, *result.rbac])
    assert after.policy_set.names  # the simplified policies all compile


def test_generated_cluster_every_workload_as_before(tmp_path: Path) -> None:
    from tests.conftest import SHARED

    if not (SHARED / "bench" / "gen_cluster.py").exists():
        pytest.skip("../shared is absent")
    out = generated_cluster(tmp_path, 200, 5)
    result = CliRunner().invoke(cli, ["simplify", out, "-o", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["proved"] is True
    assert all(w["proved"] for w in data["workloads"])


def test_cli_yaml_and_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["simplify", *EXAMPLE])
    assert result.exit_code == 0, result.output
    assert "kind: PodSecurityPolicy" in result.stdout
    empty = tmp_path / "ns.yaml"
    empty.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    result = runner.invoke(cli, ["simplify", str(empty)])
    assert result.exit_code == 2
    assert "no PodSecurityPolicy" in result.output


def test_default_capabilities_patch_init_containers_at_their_own_list_regression_kyverno() -> None:
    """Kyverno's classic add-capabilities policy loops over init containers but patches
    /spec/containers/{{elementIndex}}: here the patch for an init container is at
    initContainers."""
    psp = policy("caps", defaultAddCapabilities=["CHOWN"])
    app = deployment(
        "apps",
        "web",
        {
            "initContainers": [{"name": "init", "image": "i"}],
            "containers": [
                {"name": "c", "image": "i", "securityContext": {"capabilities": {"add": ["CHOWN"]}}}
            ],
        },
    )
    result = simplify([psp], grant_all(["caps"]), [app])
    (w,) = result.workloads
    assert w.proved
    assert all("/initContainers/0/" in op["path"] for op in w.patch)
    patched = jsonpatch.apply_patch(app, list(w.patch))
    spec = patched["spec"]["template"]["spec"]
    assert spec["initContainers"][0]["securityContext"] == {"capabilities": {"add": ["CHOWN"]}}
    assert spec["containers"] == app["spec"]["template"]["spec"]["containers"]


def test_default_capabilities_are_not_added_when_dropped_regression_gatekeeper_modifyset() -> None:
    """Gatekeeper's ModifySet adds default capabilities even to a container that drops them;
    PSP does not, and neither does the patch podgate derives from PSP."""
    psp = policy("caps", defaultAddCapabilities=["CHOWN", "SETUID"])
    app = deployment(
        "apps",
        "web",
        {
            "containers": [
                {
                    "name": "c",
                    "image": "i",
                    "securityContext": {"capabilities": {"drop": ["CHOWN"]}},
                }
            ]
        },
    )
    result = simplify([psp], grant_all(["caps"]), [app])
    (w,) = result.workloads
    assert w.proved
    patched = jsonpatch.apply_patch(app, list(w.patch))
    caps = patched["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]
    assert caps == {"add": ["SETUID"], "drop": ["CHOWN"]}
