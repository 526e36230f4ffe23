"""What the API server does to a CREATE between PSP's two phases: PrepareForCreate's seccomp
annotation/field sync (1.19-1.24), then the pod's validation, which refuses a pod that PSP's
mutation made invalid before the validating phase runs (spec/psp-errata.md D1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.k8s.defaults import default_policy
from podgate.k8s.pod_validation import pod_create_errors
from podgate.psp import PolicySet, Request, admit_phase, review

PRIVILEGED_CONFLICT = "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"


def policy(name: str = "p", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "seLinux": {"rule": "RunAsAny"},
        "runAsUser": {"rule": "RunAsAny"},
        "supplementalGroups": {"rule": "RunAsAny"},
        "fsGroup": {"rule": "RunAsAny"},
        "volumes": ["*"],
        **spec,
    }
    obj = {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy"}
    return default_policy({**obj, "metadata": {"name": name}, "spec": body})[0]


def pod(sc: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "x"}
    if sc is not None:
        container["securityContext"] = sc
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns", **meta},
        "spec": {"containers": [container]},
    }


def sc_value(**set_fields: bool) -> str:
    names = (
        ("Capabilities", "*core.Capabilities"),
        ("Privileged", "*bool"),
        ("SELinuxOptions", "*core.SELinuxOptions"),
        ("WindowsOptions", "*core.WindowsSecurityContextOptions"),
        ("RunAsUser", "*int64"),
        ("RunAsGroup", "*int64"),
        ("RunAsNonRoot", "*bool"),
        ("ReadOnlyRootFilesystem", "*bool"),
        ("AllowPrivilegeEscalation", "*bool"),
        ("ProcMount", "*core.ProcMountType"),
        ("SeccompProfile", "*core.SeccompProfile"),
    )
    parts = [f"{n}:({t})({'0xc000000000' if set_fields.get(n) else 'nil'})" for n, t in names]
    return "core.SecurityContext{" + ", ".join(parts) + "}"


def test_a_privileged_pod_a_policy_gives_no_privilege_escalation_is_refused_as_invalid() -> None:
    policies = PolicySet.compile([policy(privileged=True, allowPrivilegeEscalation=False)])
    d = review(policies, Request("CREATE", pod({"privileged": True}), "ns"))
    assert not d.allowed and d.evaluated and d.policy is None
    assert d.mutated_by == "p"
    assert d.violations == ()
    value = sc_value(Privileged=True, AllowPrivilegeEscalation=True)
    assert d.message == (
        f'Pod "p" is invalid: spec.containers[0].securityContext: Invalid value: {value}: '
        f"{PRIVILEGED_CONFLICT}"
    )
    assert [e.field for e in d.invalid] == ["spec.containers[0].securityContext"]
    assert d.object == pod({"privileged": True})  # the input: nothing was admitted


def test_the_mutating_phase_alone_still_returns_upstreams_patch() -> None:
    # the webhook's /mutate is PSP's mutating phase: upstream's plugin patches the pod the same
    # way (the API server then refuses it, as `review` and `podgate admit` now say)
    policies = PolicySet.compile([policy(privileged=True, allowPrivilegeEscalation=False)])
    d = admit_phase(policies, pod({"privileged": True}), "ns", None, None)
    assert d.allowed
    assert {"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation",
            "value": False} in d.patch  # fmt: skip


def test_cap_sys_admin_added_with_escalation_forbidden_is_refused_as_invalid() -> None:
    policies = PolicySet.compile(
        [policy(allowPrivilegeEscalation=False, defaultAddCapabilities=["CAP_SYS_ADMIN"])]
    )
    d = review(policies, Request("CREATE", pod(), "ns"))
    assert not d.allowed and d.mutated_by == "p"
    (err,) = d.invalid
    assert str(err).endswith(
        "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"
    )
    assert sc_value(Capabilities=True, AllowPrivilegeEscalation=True) in str(err)


def test_a_policy_user_id_beyond_int32_makes_the_pod_invalid() -> None:
    ids = {"rule": "MustRunAs", "ranges": [{"min": 3000000000, "max": 3000000000}]}
    policies = PolicySet.compile([policy(runAsUser=ids, fsGroup=ids)])
    d = review(policies, Request("CREATE", pod(), "ns"))
    assert not d.allowed
    assert d.message == (
        'Pod "p" is invalid: [spec.containers[0].securityContext.runAsUser: Invalid value: '
        "3000000000: must be between 0 and 2147483647, inclusive, spec.securityContext.fsGroup: "
        "Invalid value: 3000000000: must be between 0 and 2147483647, inclusive]"
    )


def test_a_pod_invalid_as_written_is_refused_whichever_policy_admits_it() -> None:
    invalid = pod({"privileged": True, "allowPrivilegeEscalation": False})
    policies = PolicySet.compile([policy(privileged=True)])
    d = review(policies, Request("CREATE", invalid, "ns"))
    assert not d.allowed and d.mutated_by is None
    assert d.invalid == pod_create_errors(invalid)


def test_a_valid_pod_is_admitted_as_before() -> None:
    policies = PolicySet.compile([policy(privileged=True, allowPrivilegeEscalation=True)])
    d = review(policies, Request("CREATE", pod({"privileged": True}), "ns"))
    assert d.allowed and d.policy == "p" and d.invalid == () and d.prepared == ()


def test_the_seccomp_annotation_becomes_the_field_between_the_phases_and_is_validated() -> None:
    allowed = {"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default"}
    p = policy()
    p["metadata"]["annotations"] = allowed
    annotated = pod(annotations={"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"})
    d = review(PolicySet.compile([p]), Request("CREATE", annotated, "ns"))
    assert d.allowed and d.policy == "p"
    assert [str(n) for n in d.prepared] == [
        "spec.securityContext.seccompProfile defaulted to {type: RuntimeDefault} (copied from "
        "metadata.annotations[seccomp.security.alpha.kubernetes.io/pod] by the API server's "
        "seccomp sync of Kubernetes 1.19-1.26)"
    ]
    assert d.audit_annotations["podsecuritypolicy.policy.k8s.io/validate-policy"] == "p"


def test_admit_reports_the_refusal_and_exits_1(tmp_path: Path) -> None:
    pod_file = tmp_path / "pod.json"
    pod_file.write_text(json.dumps(pod({"privileged": True})))
    psp_file = tmp_path / "psp.json"
    psp_file.write_text(json.dumps(policy(privileged=True, allowPrivilegeEscalation=False)))
    text = CliRunner().invoke(cli, ["admit", str(pod_file), "--policy", str(psp_file)])
    assert text.exit_code == 1
    assert "DENIED   pod ns/p: the API server's validation refuses it" in text.output
    assert "Policy 'p' admits the pod with changes that make it invalid" in text.output
    out = CliRunner().invoke(cli, ["admit", str(pod_file), "--policy", str(psp_file), "-o", "json"])
    assert out.exit_code == 1
    doc = json.loads(out.output)
    assert doc["allowed"] is False and doc["mutated_by"] == "p"
    assert doc["message"].startswith('Pod "p" is invalid: spec.containers[0].securityContext: ')
    assert [e["field"] for e in doc["validation_errors"]] == ["spec.containers[0].securityContext"]


def test_scan_reports_the_refusal_as_a_finding_and_says_why_in_words(tmp_path: Path) -> None:
    pod_file = tmp_path / "pod.json"
    pod_file.write_text(json.dumps(pod({"privileged": True})))
    psp_file = tmp_path / "psp.json"
    psp_file.write_text(json.dumps(policy(privileged=True, allowPrivilegeEscalation=False)))
    args = ["scan", str(pod_file), str(psp_file), "--level", "privileged", "--quiet"]
    result = CliRunner().invoke(cli, [*args, "-o", "json"])
    assert result.exit_code == 1  # PSS privileged passes: the refusal alone fails the scan
    doc = json.loads(result.stdout)
    assert [f["rule"] for f in doc["findings"]] == ["psp/p/privileged"]
    assert PRIVILEGED_CONFLICT in doc["findings"][0]["message"]
    text = CliRunner().invoke(cli, args)
    assert "policy 'p' admits the pod with changes that make it invalid" in text.output
