"""PrepareForCreate's seccomp and AppArmor annotation/field sync, per Kubernetes release (Pods
only), and `pss --kubernetes-version` judging what the API server hands to admission."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.k8s.prepare import prepare_for_create

SECCOMP_NGINX = "container.seccomp.security.alpha.kubernetes.io/nginx"
APPARMOR_NGINX = "container.apparmor.security.beta.kubernetes.io/nginx"


def pod(annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "nginx", "namespace": "web"}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "nginx", "image": "nginx"}], **spec},
    }


def container_sc(p: Any) -> Any:
    return p["spec"]["containers"][0].get("securityContext")


# the reproducer of the issue: a container annotation, no field
@pytest.mark.parametrize(("release", "copied"), [(18, False), (19, True), (24, True),
                                                 (26, True), (27, False), (None, False)])  # fmt: skip
def test_a_seccomp_annotation_becomes_the_field_in_1_19_to_1_26_only(
    release: int | None, copied: bool
) -> None:
    p = pod({SECCOMP_NGINX: "unconfined"})
    before = copy.deepcopy(p)
    out, notes = prepare_for_create(p, release)
    assert p == before  # the input is never modified
    if copied:
        assert container_sc(out) == {"seccompProfile": {"type": "Unconfined"}}
        assert [n.field for n in notes] == ["spec.containers[0].securityContext.seccompProfile"]
    else:
        assert out is p and notes == ()


@pytest.mark.parametrize(("release", "copied"), [(24, True), (25, False), (None, False)])
def test_a_seccomp_field_becomes_the_annotation_up_to_1_24(
    release: int | None, copied: bool
) -> None:
    p = pod(securityContext={"seccompProfile": {"type": "Localhost", "localhostProfile": "a.json"}})
    out, _ = prepare_for_create(p, release)
    annotations = out["metadata"].get("annotations", {})
    assert annotations.get("seccomp.security.alpha.kubernetes.io/pod") == (
        "localhost/a.json" if copied else None
    )


@pytest.mark.parametrize(
    ("annotation", "field"),
    [
        ("runtime/default", {"type": "RuntimeDefault"}),
        ("docker/default", {"type": "RuntimeDefault"}),
        ("localhost/p.json", {"type": "Localhost", "localhostProfile": "p.json"}),
        ("localhost/", None),  # an empty profile name is not copied
        ("bogus", None),
    ],
)
def test_seccomp_annotation_values_convert_as_upstream(
    annotation: str, field: dict[str, str] | None
) -> None:
    out, _ = prepare_for_create(pod({SECCOMP_NGINX: annotation}), 24)
    got = container_sc(out)
    assert (got or {}).get("seccompProfile") == field


def test_an_annotation_and_a_field_both_set_are_left_alone() -> None:
    p = pod({SECCOMP_NGINX: "unconfined"})
    p["spec"]["containers"][0]["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}}
    assert prepare_for_create(p, 24) == (p, ())


def test_templates_are_never_synced() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": pod({SECCOMP_NGINX: "unconfined"})},
    }
    assert prepare_for_create(deployment, 24) == (deployment, ())


@pytest.mark.parametrize(("release", "copied"), [(29, False), (30, True), (34, True)])
def test_an_apparmor_annotation_becomes_the_container_field_from_1_30(
    release: int, copied: bool
) -> None:
    out, _ = prepare_for_create(pod({APPARMOR_NGINX: "localhost/k8s-nginx"}), release)
    expected = {"appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s-nginx"}}
    assert container_sc(out) == (expected if copied else None)


def test_an_apparmor_annotation_equal_to_the_pod_profile_is_not_copied() -> None:
    p = pod({APPARMOR_NGINX: "runtime/default"}, securityContext={
        "appArmorProfile": {"type": "RuntimeDefault"}})  # fmt: skip
    out, notes = prepare_for_create(p, 34)
    assert container_sc(out) is None and notes == ()


@pytest.mark.parametrize(("release", "copied"), [(30, True), (33, True), (34, False)])
def test_the_pod_apparmor_field_becomes_each_container_annotation_in_1_30_to_1_33(
    release: int, copied: bool
) -> None:
    p = pod(securityContext={"appArmorProfile": {"type": "Unconfined"}})
    out, _ = prepare_for_create(p, release)
    assert out["metadata"].get("annotations", {}).get(APPARMOR_NGINX) == (
        "unconfined" if copied else None
    )


def test_windows_pods_get_no_apparmor_sync() -> None:
    p = pod({APPARMOR_NGINX: "unconfined"}, os={"name": "windows"})
    assert prepare_for_create(p, 34) == (p, ())


def run_pss(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(pod({SECCOMP_NGINX: "unconfined"})))
    result = CliRunner().invoke(cli, ["pss", str(f), "--level", "baseline", *args, "-o", "json"])
    return result.exit_code, json.loads(result.output)


def test_pss_judges_the_annotation_as_the_field_on_a_1_26_cluster(tmp_path: Path) -> None:
    code, out = run_pss(tmp_path, "--version", "v1.22", "--kubernetes-version", "v1.26")
    assert code == 1
    (r,) = out["results"]
    assert r["violations"] == [
        {
            "check": "seccompProfile_baseline",
            "reason": "seccompProfile",
            "detail": 'container "nginx" must not set securityContext.seccompProfile.type to '
            '"Unconfined"',
        }
    ]
    assert r["defaulted"] == [
        {
            "field": "spec.containers[0].securityContext.seccompProfile",
            "value": "{type: Unconfined}",
            "why": f"copied from metadata.annotations[{SECCOMP_NGINX}] by the API server's "
            "seccomp sync of Kubernetes 1.19-1.26",
        }
    ]


def test_pss_on_the_newest_release_passes_and_says_older_ones_would_not(tmp_path: Path) -> None:
    code, out = run_pss(tmp_path, "--version", "v1.22")
    assert code == 0
    (r,) = out["results"]
    assert any("1.19-1.26 would copy them" in n for n in r["notes"])


def test_no_defaults_turns_the_sync_off(tmp_path: Path) -> None:
    code, _ = run_pss(tmp_path, "--kubernetes-version", "v1.26", "--no-defaults")
    assert code == 0


def test_scan_judges_a_bare_pod_as_the_api_server_of_the_release_prepares_it(
    tmp_path: Path,
) -> None:
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(pod({SECCOMP_NGINX: "unconfined"})))
    args = ["scan", str(f), "--level", "baseline", "--version", "v1.22", "--quiet", "-o", "json"]
    old = CliRunner().invoke(cli, [*args, "--kubernetes-version", "v1.26"])
    assert old.exit_code == 1
    (w,) = json.loads(old.output)["workloads"]
    assert [v["check"] for v in w["pss"]["violations"]] == ["seccompProfile_baseline"]
    new = CliRunner().invoke(cli, args)
    assert new.exit_code == 0
    notes = json.loads(new.output)["notes"]
    assert any("1.19-1.26 would copy them" in n for n in notes)


def test_scan_never_syncs_a_pod_template(tmp_path: Path) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "web"},
        "spec": {"template": {k: v for k, v in pod({SECCOMP_NGINX: "unconfined"}).items()
                              if k in ("metadata", "spec")}},
    }  # fmt: skip
    f = tmp_path / "deploy.json"
    f.write_text(json.dumps(deployment))
    args = ["scan", str(f), "--level", "baseline", "--kubernetes-version", "v1.24", "--quiet"]
    result = CliRunner().invoke(cli, [*args, "-o", "json"])
    assert result.exit_code == 0, result.output


def test_advise_report_levels_a_namespace_by_its_pods_as_the_release_prepares_them(
    tmp_path: Path,
) -> None:
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(pod({SECCOMP_NGINX: "unconfined"})))

    def level(*args: str) -> str:
        result = CliRunner().invoke(cli, ["advise", str(f), "--report", "-o", "json", *args])
        assert result.exit_code == 0, result.output
        (ns,) = json.loads(result.stdout)["namespaces"]
        return str(ns["level"])

    assert level("--kubernetes-version", "v1.26") == "privileged"  # the field is Unconfined
    assert level() == "baseline"  # newest: the annotation is ignored


@pytest.mark.parametrize(
    ("local", "copied"),
    [
        ("k8s-nginx\x1c", True),  # Go's TrimSpace keeps the information separators
        ("\x1fk8s-nginx", True),
        ("k8s-nginx ", False),  # padded with whitespace: ValidateAppArmorProfileField refuses it
        ("\u3000k8s-nginx", False),
        ("k8s-nginx\x85", False),
    ],
)
def test_an_apparmor_localhost_profile_is_padded_only_with_what_go_trims(
    local: str, copied: bool
) -> None:
    out, _ = prepare_for_create(pod({APPARMOR_NGINX: "localhost/" + local}), 34)
    expected = {"appArmorProfile": {"type": "Localhost", "localhostProfile": local}}
    assert container_sc(out) == (expected if copied else None)
