"""The scanner's core on small inputs: workloads, findings per container, PSP outcomes,
readiness, the use-policy overview, exceptions and --fail-on."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import Any

import pytest

from podgate.errors import PolicyError
from podgate.io.catalog import load_catalog
from podgate.io.loader import load_documents
from podgate.io.prepare import prepare
from podgate.k8s.identity import UserInfo
from podgate.k8s.source import Document, documents
from podgate.pss import LATEST, Level, checks_at
from podgate.scan import ControllerIdentity, ScanOptions, parse_exceptions, scan
from podgate.scan.inventory import find_workloads
from tests.psp_helpers import policy

scan_module = importlib.import_module("podgate.scan.scan")  # the module, not the function
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = dt.date(2026, 11, 28)


def _scan(objs: list[dict[str, Any]], **options: Any) -> Any:
    return scan(prepare(documents(objs)), load_catalog(), ScanOptions(today=TODAY, **options))


def _example(*dirs: str) -> list[Document]:
    return load_documents([str(EXAMPLES / d) for d in dirs])


def pod(
    name: str, ns: str = "app", owner: tuple[str, str] | None = None, **sc: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    container: dict[str, Any] = {"name": "app", "image": "i"}
    if sc:
        container["securityContext"] = sc
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [container, {"name": "side", "image": "i"}]},
    }


def deployment(name: str, ns: str = "app", **sc: Any) -> dict[str, Any]:
    template = pod(name, ns, **sc)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": template["spec"]}},
    }


def replicaset(name: str, deploy: str, ns: str = "app") -> dict[str, Any]:
    rs = deployment(name, ns)
    rs["kind"] = "ReplicaSet"
    rs["metadata"]["ownerReferences"] = [{"kind": "Deployment", "name": deploy, "controller": True}]
    return rs


USE_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "r"},
    "rules": [{"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use"]}],
}


def _use_binding(kind: str, subject: dict[str, str]) -> dict[str, Any]:
    """A binding of USE_ROLE (`use` on every policy) to one subject."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": "b"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "r"},
        "subjects": [subject],
    }


def test_each_workload_once() -> None:
    objs = [
        deployment("web"),
        replicaset("web-7d9", "web"),
        pod("web-7d9-abc", owner=("ReplicaSet", "web-7d9")),
        pod("web-7d9-def", owner=("ReplicaSet", "web-7d9")),
        pod("bare"),
        pod("orphan", owner=("ReplicaSet", "gone")),
    ]
    found = find_workloads(documents(objs))
    assert [(w.ref.kind, w.ref.name, w.pods) for w in found] == [
        ("Deployment", "web", ("web-7d9-abc", "web-7d9-def")),
        ("Pod", "bare", ()),
        ("Pod", "orphan", ()),
    ]


def test_pss_findings_are_per_container_or_pod() -> None:
    p = pod("p", privileged=True)
    p["spec"]["hostNetwork"] = True
    result = _scan([p], level=Level.BASELINE)
    got = sorted(
        (f.check, f.container, f.control.key, f.severity, f.field) for f in result.findings
    )
    assert got == [
        ("hostNamespaces", None, "hostNetwork", "high", "spec.hostNetwork"),
        (
            "privileged",
            "app",
            "privileged",
            "critical",
            "spec.containers[0].securityContext.privileged",
        ),
    ]
    assert result.workloads[0].highest == Level.PRIVILEGED


def test_restricted_findings_name_each_container() -> None:
    result = _scan([deployment("web")], level=Level.RESTRICTED)
    by_check: dict[str, set[str | None]] = {}
    for f in result.findings:
        by_check.setdefault(f.check, set()).add(f.container)
    assert by_check["allowPrivilegeEscalation"] == {"app", "side"}
    assert by_check["runAsNonRoot"] == {"app", "side"}
    assert all(f.field.startswith("spec.template.spec.") for f in result.findings)
    assert result.workloads[0].highest == Level.BASELINE


def test_namespace_labels_decide_the_level() -> None:
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "app", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}},
    }
    result = _scan([ns, pod("p", privileged=True), pod("q", ns="other", privileged=True)])
    levels = {r.workload.ref.name: (str(r.level), r.level_source) for r in result.workloads}
    assert levels == {
        "p": ("baseline:latest", "namespace labels"),
        "q": ("privileged:latest", "configuration defaults"),
    }
    assert [f.workload.name for f in result.findings] == ["p"]


def test_psp_outcomes_requester_and_readiness() -> None:
    docs = _example("cluster", "policies", "rbac")
    result = scan(
        [prepare([d])[0] if d.obj.get("kind") == "PodSecurityPolicy" else d for d in docs],
        load_catalog(),
        ScanOptions(today=TODAY),
    )
    psp = {r.workload.ref.name: r.psp for r in result.workloads}
    assert psp["web"] is not None
    assert (psp["web"].policy, psp["web"].mutated) == ("restricted", True)
    assert psp["web"].requester == "system:serviceaccount:kube-system:replicaset-controller"
    assert psp["postgres"] is not None
    assert psp["postgres"].policy == "db-ipc-lock"
    assert psp["node-exporter"] is not None
    assert psp["node-exporter"].policy == "privileged"
    assert psp["debug-shell"] is not None
    assert not psp["debug-shell"].allowed
    assert [str(r) for r, _ in result.readiness.rejected] == ["Pod shop/debug-shell"]
    assert result.readiness.lockouts == ()
    assert {b.subject for b in result.broad_bindings} == {
        "Group system:serviceaccounts",
        "Group system:serviceaccounts:kube-system",
    }
    usable = {(u.namespace, u.service_account): [p for p, _ in u.policies] for u in result.overview}
    assert usable[("shop", "postgres")] == ["db-ipc-lock", "restricted"]
    psp_findings = [f for f in result.findings if f.engine == "psp"]
    assert {(f.rule, f.container) for f in psp_findings} == {
        ("psp/restricted/hostNetwork", None),
        ("psp/restricted/privileged", "shell"),
    }


def test_lockout_and_rejected_system_components() -> None:
    binding = _use_binding("RoleBinding", {"kind": "Group", "name": "system:serviceaccounts:app"})
    binding["metadata"]["namespace"] = "app"
    objs = [policy("restricted", runAsUser={"rule": "MustRunAsNonRoot"}), USE_ROLE, binding]
    ds = deployment("proxy", "kube-system", privileged=True)
    ds["kind"] = "DaemonSet"
    result = _scan([*objs, deployment("web"), ds])
    assert [(ns, sa) for ns, sa, _ in result.readiness.lockouts] == [("kube-system", "default")]
    assert [str(r) for r, _ in result.readiness.rejected_system] == ["DaemonSet kube-system/proxy"]


def test_controller_identity_can_be_switched_off() -> None:
    controller = {
        "kind": "ServiceAccount",
        "name": "replicaset-controller",
        "namespace": "kube-system",
    }
    grant = [policy("any"), USE_ROLE, _use_binding("ClusterRoleBinding", controller)]
    objs = [*grant, deployment("web")]
    assert _scan(objs).workloads[0].psp.allowed
    assert not _scan(objs, controller_identity=ControllerIdentity.NONE).workloads[0].psp.allowed
    bare = _scan([*grant, pod("p")], user=UserInfo("alice"))
    assert bare.workloads[0].psp.requester == "alice"


EXCEPTIONS = {
    "kind": "ExceptionList",
    "exceptions": [
        {
            "id": "priv-app",
            "scope": {"namespace": "app", "container": "app", "control": "privileged"},
            "justification": "j",
            "owner": "o",
            "expires": "2027-01-01",
        },
        {
            "id": "old",
            "scope": {"workload": "Pod/p"},
            "justification": "j",
            "owner": "o",
            "expires": "2026-01-01",
        },
        {
            "id": "nothing",
            "scope": {"namespace": "elsewhere"},
            "justification": "j",
            "owner": "o",
            "expires": dt.date(2027, 1, 1),
        },
    ],
}


def test_exceptions_accept_narrowly_and_report_expired_and_unused() -> None:
    p = pod("p", privileged=True)
    p["spec"]["containers"][1]["securityContext"] = {"privileged": True}
    result = _scan(
        [p], level=Level.BASELINE, exceptions=tuple(parse_exceptions(EXCEPTIONS, "x.yaml"))
    )
    accepted = {(f.container, f.accepted_by) for f in result.findings}
    assert accepted == {("app", "priv-app"), ("side", None)}
    # each workload's result holds its findings as accepted, too
    assert [f for r in result.workloads for f in r.findings] == list(result.findings)
    assert {s.exception.id: (s.state, s.matched) for s in result.exceptions} == {
        "priv-app": ("active", 1),
        "old": ("expired", 0),
        "nothing": ("unused", 0),
    }
    assert [f.container for f in result.failing] == ["side"]


@pytest.mark.parametrize(("fail_on", "failing"), [("low", 1), ("critical", 1), ("none", 0)])
def test_fail_on(fail_on: str, failing: int) -> None:
    result = _scan(
        [pod("p", privileged=True)], level=Level.BASELINE, version=LATEST, fail_on=fail_on
    )
    assert len(result.failing) == failing


def test_fail_on_counts_only_at_or_above() -> None:
    result = _scan([deployment("web")], level=Level.RESTRICTED, fail_on="high")
    assert {f.severity for f in result.findings} == {"medium", "high"}
    assert {f.severity for f in result.failing} == {"high"}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {
                "exceptions": [
                    {"scope": {}, "justification": "j", "owner": "o", "expires": "2027-01-01"}
                ]
            },
            "exceptions[0].scope",
        ),
        (
            {
                "exceptions": [
                    {
                        "scope": {"namespaces": "x"},
                        "justification": "j",
                        "owner": "o",
                        "expires": "2027-01-01",
                    }
                ]
            },
            "unknown scope key 'namespaces'",
        ),
        (
            {"exceptions": [{"scope": {"namespace": "x"}, "owner": "o", "expires": "2027-01-01"}]},
            "exceptions[0].justification",
        ),
        (
            {
                "exceptions": [
                    {
                        "scope": {"namespace": "x"},
                        "justification": "j",
                        "owner": "o",
                        "expires": "next year",
                    }
                ]
            },
            "expected a date",
        ),
        ({"kind": "ConfigMap"}, "expected kind ExceptionList"),
    ],
)
def test_bad_exceptions(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_exceptions(doc)


def test_each_workload_records_the_checks_evaluated_at_its_level() -> None:
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "app", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}},
    }
    result = _scan([ns, pod("p", privileged=True), pod("q", ns="other", privileged=True)])
    checks = {r.workload.ref.name: r.checks for r in result.workloads}
    assert checks["p"] == checks_at(Level.BASELINE, LATEST)
    assert "privileged" in checks["p"] and "runAsNonRoot" not in checks["p"]
    assert checks["q"] == ()  # privileged:latest runs no check


def test_scan_evaluates_each_workload_once_per_level_and_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Restricted requested: one evaluation at restricted, one at baseline for the highest
    level met; findings name containers without evaluating again."""
    calls: list[tuple[str, str]] = []
    real = scan_module.evaluate

    def counting(level: Level, version: Any, meta: Any, spec: Any) -> Any:
        calls.append((level.value, str(version)))
        return real(level, version, meta, spec)

    monkeypatch.setattr(scan_module, "evaluate", counting)
    result = _scan([pod("p", privileged=True)], level=Level.RESTRICTED)
    assert sorted(calls) == [("baseline", "latest"), ("restricted", "latest")]
    assert {f.container for f in result.findings} == {"app", "side"}
