"""Issue 9, points 3-5: RBAC, Namespaces and PodSecurityPolicies that real trees define twice,
policies in API versions never served, `--psp auto|on|off`, and PSP enabled with no policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from podgate.cli.main import cli
from tests.psp_helpers import policy

V1 = "rbac.authorization.k8s.io/v1"
NO_PROVIDERS = "PodSecurityPolicy: no providers available to validate pod request"


def write(path: Path, *objs: dict[str, Any]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(objs))
    return str(path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def use_role(name: str, *policies: str) -> dict[str, Any]:
    return {
        "apiVersion": V1,
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [
            {
                "apiGroups": ["policy"],
                "resources": ["podsecuritypolicies"],
                "verbs": ["use"],
                "resourceNames": list(policies),
            }
        ],
    }


def binding(role: str) -> dict[str, Any]:
    return {
        "apiVersion": V1,
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "everyone"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"kind": "Group", "name": "system:serviceaccounts"}],
    }


def pod(name: str = "p", privileged: bool = False) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "i"}
    if privileged:
        container["securityContext"] = {"privileged": True}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "app"},
        "spec": {"containers": [container]},
    }


def namespace(level: str) -> dict[str, Any]:
    labels = {"pod-security.kubernetes.io/enforce": level}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app", "labels": labels}}


# --- point 3: RBAC ----------------------------------------------------------------------------


def test_a_clusterrole_defined_twice_differently_no_longer_aborts_the_scan(tmp_path: Path) -> None:
    base = write(tmp_path / "base" / "rbac.yaml", use_role("psp-user", "open"), binding("psp-user"))
    rendered = write(tmp_path / "rendered.yaml", use_role("psp-user", "tight"))
    pol = write(tmp_path / "psp.yaml", policy("open", privileged=True), policy("tight"))
    app = write(tmp_path / "app.yaml", pod(privileged=True))
    rc, out, err = run("scan", base, rendered, pol, app, "-o", "json")
    data = json.loads(out)
    # the later definition is in force: only "tight" is usable, and it denies the pod
    [w] = data["workloads"]
    assert w["psp"]["allowed"] is False
    assert rc == 1
    [warning] = data["warnings"]
    assert warning.startswith('clusterrole "psp-user" is defined twice, differently')
    assert f"{base}:1" in warning and f"{rendered}:1" in warning
    assert f"the later one ({rendered}:1) is used" in warning
    assert warning in data["notes"]
    assert f"podgate: warning: {warning}" in err


def test_an_identical_rbac_object_read_twice_gives_no_warning(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", use_role("r", "p"), binding("r"))
    b = write(tmp_path / "b.yaml", use_role("r", "p"), binding("r"))
    app = write(tmp_path / "app.yaml", pod(), policy("p"))
    rc, out, err = run("scan", a, b, app, "-o", "json")
    assert rc == 0, out + err
    assert json.loads(out)["warnings"] == []


def test_an_invalid_rbac_object_names_its_file_document_and_line(tmp_path: Path) -> None:
    bad = use_role("r", "p")
    bad["rules"][0]["verbs"] = []
    f = write(tmp_path / "rbac.yaml", binding("r"), bad)
    rc, _, err = run("scan", f, write(tmp_path / "app.yaml", pod(), policy("p")))
    assert rc == 2
    assert err.strip().splitlines() == [
        f'podgate: error: {f}: document 1 (line 13): clusterrole "r": rules[0].verbs: '
        "must contain at least one value"
    ]


def test_admit_rbac_errors_name_the_file_and_redefinitions_are_notes(tmp_path: Path) -> None:
    rbac = write(tmp_path / "rbac.yaml", use_role("r", "p"), binding("r"), use_role("r", "q"))
    p = write(tmp_path / "pod.yaml", pod())
    pol = write(tmp_path / "psp.yaml", policy("p"))
    rc, out, _ = run("admit", p, "--policy", pol, "--rbac", rbac, "-o", "json")
    data = json.loads(out)
    assert rc == 1  # the later role grants "q", which does not exist
    assert any('clusterrole "r" is defined twice, differently' in n for n in data["notes"])
    bad = write(tmp_path / "bad.yaml", {**binding("r"), "roleRef": {"kind": "Nope", "name": "r"}})
    rc, _, err = run("admit", p, "--policy", pol, "--rbac", bad)
    assert rc == 2
    assert err.startswith(f"podgate: error: {bad}: document 0 (line 1): clusterrolebinding")


# --- point 3: Namespaces and PodSecurityPolicies defined twice ----------------------------------


def test_a_namespace_defined_twice_is_checked_at_its_strictest_enforce_level(
    tmp_path: Path,
) -> None:
    strict = write(tmp_path / "prod" / "ns.yaml", namespace("baseline"))
    lax = write(tmp_path / "dev" / "ns.yaml", namespace("privileged"))
    app = write(tmp_path / "app.yaml", pod(privileged=True))
    rc, out, err = run("scan", strict, lax, app, "-o", "json")
    data = json.loads(out)
    assert rc == 1  # the later (privileged) definition would have passed the pod
    assert data["workloads"][0]["pss"]["level"] == "baseline"
    [warning] = data["warnings"]
    assert f"baseline:latest at {strict}:1" in warning
    assert f"privileged:latest at {lax}:1" in warning
    assert f"the strictest, baseline:latest ({strict}:1), is checked" in warning
    assert "podgate: warning: namespace" in err


def test_pss_from_namespace_labels_uses_the_strictest_of_two_namespace_definitions(
    tmp_path: Path,
) -> None:
    f = write(tmp_path / "all.yaml", namespace("baseline"), namespace("privileged"), pod("x", True))
    rc, _, err = run("pss", f, "--from-namespace-labels", "-o", "json")
    assert rc == 1
    assert 'podgate: warning: namespace "app" is defined 2 times' in err


def test_a_policy_defined_twice_denies_when_either_definition_denies(tmp_path: Path) -> None:
    lax = write(tmp_path / "a" / "psp.yaml", policy("p", privileged=True))
    tight = write(tmp_path / "b" / "psp.yaml", policy("p"))
    app = write(tmp_path / "app.yaml", pod(privileged=True))
    for order in ((lax, tight), (tight, lax)):
        rc, out, _ = run("scan", *order, app, "-o", "json", "--level", "privileged")
        data = json.loads(out)
        assert rc == 1, order
        assert data["workloads"][0]["psp"]["allowed"] is False
        [warning] = data["warnings"]
        assert warning.startswith('PodSecurityPolicy "p" is defined 2 times, differently')
        assert "reported denied when any of them denies it" in warning


def test_a_policy_defined_twice_admits_when_every_definition_admits(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", policy("p", privileged=True))
    b = write(tmp_path / "b.yaml", policy("p", privileged=True, hostPID=True))
    rc, out, _ = run("scan", a, b, write(tmp_path / "app.yaml", pod()), "-o", "json")
    assert rc == 0
    assert json.loads(out)["workloads"][0]["psp"]["allowed"] is True


# --- point 4: policy/v1 is not a policy; --psp auto|on|off ---------------------------------------


def istio_style_policy() -> dict[str, Any]:
    obj = policy("istio", privileged=True)
    return {**obj, "apiVersion": "policy/v1"}


def test_a_policy_v1_podsecuritypolicy_in_the_input_is_not_simulated(tmp_path: Path) -> None:
    f = write(tmp_path / "istio.yaml", istio_style_policy(), pod(privileged=True))
    rc, out, _ = run("scan", f, "-o", "json", "--level", "privileged")
    data = json.loads(out)
    assert data["readiness"]["pspEnabled"] is False
    assert data["workloads"][0]["psp"] is None
    assert any(
        n.startswith(f"{f}:1: kind PodSecurityPolicy 'istio' with apiVersion policy/v1 is not a")
        for n in data["notes"]
    )
    assert rc == 0


def test_scan_policy_with_a_policy_v1_file_is_not_a_policy_either(tmp_path: Path) -> None:
    f = write(tmp_path / "istio.yaml", istio_style_policy())
    app = write(tmp_path / "app.yaml", pod())
    rc, out, _ = run("scan", app, "--policy", f, "-o", "json", "--level", "privileged")
    data = json.loads(out)
    assert any("apiVersion policy/v1 is not a policy" in n for n in data["notes"])
    # --policy asks for the simulation, and nothing in it is a policy: every pod is rejected
    assert data["workloads"][0]["psp"]["message"] == NO_PROVIDERS
    assert rc == 1


def test_admit_with_only_a_policy_v1_file_answers_as_with_zero_policies(tmp_path: Path) -> None:
    f = write(tmp_path / "istio.yaml", istio_style_policy())
    rc, out, _ = run("admit", write(tmp_path / "pod.yaml", pod()), "--policy", f, "-o", "json")
    data = json.loads(out)
    assert (rc, data["allowed"], data["message"]) == (1, False, NO_PROVIDERS)
    assert any("apiVersion policy/v1 is not a policy" in n for n in data["notes"])


@pytest.mark.parametrize(("mode", "enabled"), [("auto", True), ("on", True), ("off", False)])
def test_psp_mode_with_a_policy_in_the_input(tmp_path: Path, mode: str, enabled: bool) -> None:
    f = write(tmp_path / "all.yaml", policy("p"), pod())
    rc, out, _ = run("scan", f, "--psp", mode, "-o", "json")
    data = json.loads(out)
    assert data["readiness"]["pspEnabled"] is enabled
    assert data["readiness"]["pspMode"] == mode
    assert data["readiness"]["pspEnabledBy"] == ([f] if enabled else [])
    assert rc == 0


def test_the_report_header_names_the_files_that_turned_psp_simulation_on(tmp_path: Path) -> None:
    f = write(tmp_path / "psp.yaml", policy("p"))
    _, out, _ = run("scan", f, write(tmp_path / "app.yaml", pod()))
    flat = " ".join(line.strip() for line in out.splitlines())
    assert f"PodSecurityPolicy simulation: on (policies read from {f})." in flat
    _, html, _ = run("scan", f, write(tmp_path / "app.yaml", pod()), "-o", "html")
    assert f"PodSecurityPolicy simulation is on (policies read from {f})." in html


def test_psp_off_says_the_policies_it_read_are_not_simulated(tmp_path: Path) -> None:
    f = write(tmp_path / "all.yaml", policy("p"), pod(privileged=True))
    rc, out, _ = run("scan", f, "--psp", "off", "--level", "privileged")
    assert rc == 0
    assert "PodSecurityPolicies: not simulated (--psp off)." in out
    assert "--psp off: 1 PodSecurityPolicy object(s) read but not simulated" in out


# --- point 5: PSP on with no policy ---------------------------------------------------------------


def test_scan_psp_on_with_no_policy_locks_the_whole_cluster_out(tmp_path: Path) -> None:
    f = write(tmp_path / "app.yaml", pod("a"), pod("b"))
    rc, out, _ = run("scan", f, "--psp", "on", "--level", "privileged", "-o", "json")
    data = json.loads(out)
    assert rc == 1
    rd = data["readiness"]
    assert rd["pspEnabled"] is True and rd["pspEnabledBy"] == []
    assert [(x["namespace"], x["serviceAccount"]) for x in rd["lockouts"]] == [("app", "default")]
    assert "no PodSecurityPolicy exists" in rd["lockouts"][0]["reason"]
    assert [r["message"] for r in rd["rejected"]] == [NO_PROVIDERS, NO_PROVIDERS]
    _, text, _ = run("scan", f, "--psp", "on", "--level", "privileged")
    assert "no policy at all (--psp on, or --policy inputs that hold none)" in text
    assert "LOCKOUT" in text


def test_a_policy_path_without_policies_is_not_reported_as_psp_on(tmp_path: Path) -> None:
    f = write(tmp_path / "app.yaml", pod("a"))
    empty = write(tmp_path / "cm.yaml", {"apiVersion": "v1", "kind": "ConfigMap"})
    _, text, _ = run("scan", f, "--policy", empty, "--level", "privileged")
    assert "simulation: on (no policy at all (--psp on, or --policy inputs" in text
    assert "(--psp on," not in text.replace("(--psp on, or", "")


def test_admit_with_a_policy_path_that_holds_no_policy_is_denied_as_upstream(
    tmp_path: Path,
) -> None:
    p = write(tmp_path / "pod.yaml", pod())
    empty = write(
        tmp_path / "cm.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    )
    rc, out, _ = run("admit", p, "--policy", empty, "-o", "json")
    data = json.loads(out)
    assert (rc, data["allowed"], data["policy"], data["message"]) == (1, False, None, NO_PROVIDERS)
    assert any("hold no PodSecurityPolicy" in n for n in data["notes"])
    rc, text, _ = run("admit", p, "--policy", empty)
    assert rc == 1
    assert "No PodSecurityPolicy can be used at all" in text
    assert f"upstream message: {NO_PROVIDERS}" in text


def test_admit_with_a_policy_defined_twice_denies_when_either_definition_denies(
    tmp_path: Path,
) -> None:
    lax = write(tmp_path / "a.yaml", policy("p", privileged=True))
    tight = write(tmp_path / "b.yaml", policy("p"))
    p = write(tmp_path / "pod.yaml", pod(privileged=True))
    rc, out, _ = run("admit", p, "--policy", lax, "--policy", tight, "-o", "json")
    data = json.loads(out)
    assert (rc, data["allowed"]) == (1, False)
    assert any('PodSecurityPolicy "p" is defined 2 times, differently' in n for n in data["notes"])


def test_the_webhook_refuses_policy_files_that_define_one_name_twice_differently(
    tmp_path: Path,
) -> None:
    from podgate.errors import LoadError
    from podgate.io.policies import load_policies
    from podgate.webhook.files import compile_policies

    lax = write(tmp_path / "a.yaml", policy("p", privileged=True))
    tight = write(tmp_path / "b.yaml", policy("p"))
    same = write(tmp_path / "c.yaml", policy("p"))
    assert compile_policies(load_policies([tight, same], max_bytes=1 << 20)).names == ("p",)
    with pytest.raises(LoadError, match=r"'p' is defined twice, differently \(also at .*a\.yaml"):
        compile_policies(load_policies([lax, tight], max_bytes=1 << 20))


# --- point 13: who requests a bare pod, in words ----------------------------------------------


def test_text_names_who_requests_a_bare_pod_instead_of_none(tmp_path: Path) -> None:
    f = write(tmp_path / "all.yaml", policy("p"), pod())
    _, out, _ = run("scan", f)
    flat = " ".join(line.strip() for line in out.splitlines())
    assert "requested by (none)" not in flat
    assert (
        "PSP (requested by the user who creates it (--user not given; only its service account "
        "counts))" in flat
    )
    _, out, _ = run("scan", f, "--user", "alice")
    assert "PSP (requested by alice)" in out
    _, html, _ = run("scan", f, "-o", "html")
    assert "<code>the user who creates it (--user not given;" in html
    assert "<code>(none)</code>" not in html


def test_text_says_controllers_pods_have_no_requester_with_controller_identity_none(
    tmp_path: Path,
) -> None:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "app"},
        "spec": {"template": {"spec": pod()["spec"]}},
    }
    f = write(tmp_path / "all.yaml", policy("p"), deploy)
    _, out, _ = run("scan", f, "--controller-identity", "none")
    flat = " ".join(line.strip() for line in out.splitlines())
    assert "PSP (requested by no controller identity (--controller-identity none;" in flat


def test_lint_reads_a_podgate_io_v1_policy_as_scan_and_admit_do(tmp_path: Path) -> None:
    crd = {**policy("r"), "apiVersion": "podgate.io/v1"}
    f = write(tmp_path / "crd.yaml", crd)
    rc, out, _ = run("lint", f, "-o", "json")
    [result] = json.loads(out)["results"]
    assert (rc, result["policy"], result["valid"]) == (0, "r", True)
    assert not any(h["field"] == "apiVersion" for h in result["hints"])
    rc, out, _ = run("admit", write(tmp_path / "pod.yaml", pod()), "--policy", f, "-o", "json")
    assert (rc, json.loads(out)["policy"]) == (0, "r")


def host_probe_pod() -> dict[str, Any]:
    """Meets restricted up to v1.33; fails baseline from v1.34 (its probe names a host)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", "namespace": "app"},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "c",
                    "image": "i",
                    "readinessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}},
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }


def pinned_namespace(level: str, version: str) -> dict[str, Any]:
    ns = namespace(level)
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] = version
    return ns


@pytest.mark.parametrize("command", ["scan", "pss"])
def test_a_workload_failing_the_looser_level_of_a_namespace_defined_twice_fails(
    tmp_path: Path, command: str
) -> None:
    """restricted:v1.33 is not stricter than baseline:latest in every check: a pod whose probe
    names a host meets the first and fails the second, so neither definition may hide it."""
    f = write(
        tmp_path / "all.yaml",
        pinned_namespace("restricted", "v1.33"),
        pinned_namespace("baseline", "latest"),
        host_probe_pod(),
    )
    args = ["--from-namespace-labels"] if command == "pss" else []
    rc, out, _ = run(command, f, *args, "-o", "json")
    assert rc == 1, out
    data = json.loads(out)
    if command == "scan":
        [w] = data["workloads"]
        assert (w["pss"]["level"], w["pss"]["version"]) == ("baseline", "latest")
        assert [v["check"] for v in w["pss"]["violations"]] == ["hostProbesAndHostLifecycle"]
    else:
        [r] = data["results"]
        assert (r["level"], r["version"], r["allowed"]) == ("baseline", "latest", False)
