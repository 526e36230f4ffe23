"""deploy/: podgate's own manifests pass `podgate scan --level restricted`, fit together (names,
ports, the Secret, the certificate's names) and agree with what the code does (the RBAC covers
every API call of webhook/kube*.py; the CRD schema keeps every PodSecurityPolicy field)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.webhook import kube

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
LIBRARY = ROOT / "src" / "podgate" / "library"


def docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


WEBHOOK = [p for p in sorted(DEPLOY.iterdir()) if p.name != "ui"]  # deploy/ui: test_ui_deploy.py


def all_objects() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(p for d in WEBHOOK for p in ([d] if d.is_file() else d.rglob("*.yaml"))):
        if path.suffix != ".yaml":
            continue
        out.extend(d for d in docs(path) if "kind" in d and d["kind"] not in ("Kustomization",))
    return out


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        o
        for o in all_objects()
        if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def test_podgate_scan_restricted_passes() -> None:
    paths = [str(p) for p in WEBHOOK if p.is_dir() or p.suffix == ".yaml"]
    result = CliRunner().invoke(cli, ["scan", "--level", "restricted", *paths, "-o", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["summary"]["workloads"] == 1
    assert data["summary"]["failing"] == 0
    (workload,) = data["workloads"]
    assert workload["pss"]["allowed"] is True
    assert workload["pss"]["violations"] == []
    assert workload["psp"]["allowed"] is True  # the example policy admits podgate itself


def test_deployment() -> None:
    dep = one("Deployment", "podgate")
    spec = dep["spec"]
    assert spec["replicas"] == 3
    pod = spec["template"]["spec"]
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["serviceAccountName"] == "podgate"
    anti = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert anti[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert {c["topologyKey"] for c in pod["topologySpreadConstraints"]} >= {
        "topology.kubernetes.io/zone"
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (c,) = pod["containers"]
    sc = c["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert c["image"] == "ghcr.io/podgate/podgate:0.1.0"
    assert c["args"][0] == "serve"
    flags = {a.split("=")[0] for a in c["args"][1:]}
    assert flags >= {
        "--tls-cert",
        "--tls-key",
        "--policies-from-cluster",
        "--authorize-with-api",
        "--self-namespace",
    }
    assert "--self-namespace=podgate-system" in c["args"]
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c[probe]["httpGet"]
        assert (get["path"], get["scheme"], get["port"]) == (path, "HTTPS", "https")
    assert c["ports"] == [{"name": "https", "containerPort": 9443, "protocol": "TCP"}]
    assert "--listen=0.0.0.0:9443" in c["args"]
    assert set(c["resources"]) == {"requests", "limits"}
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    assert all("subPath" not in m for m in mounts.values())  # rotation needs the whole volume
    tls = next(v for v in pod["volumes"] if v["name"] == "tls")
    assert tls["secret"]["secretName"] == "podgate-tls"
    cert_dir = mounts["tls"]["mountPath"]
    assert f"--tls-cert={cert_dir}/tls.crt" in c["args"]
    assert f"--tls-key={cert_dir}/tls.key" in c["args"]


def test_pdb_service_namespace() -> None:
    pdb = one("PodDisruptionBudget", "podgate")
    assert pdb["spec"]["minAvailable"] == 2
    labels = one("Deployment", "podgate")["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    svc = one("Service", "podgate-webhook")
    assert svc["spec"]["selector"].items() <= labels.items()
    assert svc["spec"]["ports"] == [
        {"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}
    ]
    ns = one("Namespace", "podgate-system")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def webhooks() -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        for hook in one(kind, "podgate")["webhooks"]:
            yield kind, hook


def test_webhook_configurations() -> None:
    seen = []
    for kind, hook in webhooks():
        seen.append((kind, hook["name"], hook["failurePolicy"]))
        assert hook["admissionReviewVersions"] == ["v1"]
        assert hook["sideEffects"] == "None"
        assert hook["timeoutSeconds"] == 5
        assert hook["matchPolicy"] == "Equivalent"
        assert hook["namespaceSelector"] == {
            "matchExpressions": [
                {
                    "key": "kubernetes.io/metadata.name",
                    "operator": "NotIn",
                    "values": ["kube-system", "podgate-system"],
                }
            ]
        }
        service = hook["clientConfig"]["service"]
        assert (service["namespace"], service["name"], service["port"]) == (
            "podgate-system",
            "podgate-webhook",
            443,
        )
        assert "caBundle" not in hook["clientConfig"]  # injected by either certificate path
        if kind == "MutatingWebhookConfiguration":
            assert hook["reinvocationPolicy"] == "IfNeeded"
            assert service["path"] == "/mutate"
        else:
            assert service["path"] == "/validate"
    assert seen == [
        ("MutatingWebhookConfiguration", "psp.podgate.io", "Fail"),
        ("ValidatingWebhookConfiguration", "psp.podgate.io", "Fail"),
        ("ValidatingWebhookConfiguration", "advisory.podgate.io", "Ignore"),
    ]
    validating = one("ValidatingWebhookConfiguration", "podgate")["webhooks"][0]
    assert validating["rules"][0]["resources"] == ["pods", "pods/ephemeralcontainers"]
    assert validating["rules"][0]["operations"] == ["CREATE", "UPDATE"]


def test_certificates_match_the_service() -> None:
    cert = one("Certificate", "podgate-webhook")
    assert cert["spec"]["secretName"] == "podgate-tls"
    assert "podgate-webhook.podgate-system.svc" in cert["spec"]["dnsNames"]
    component = docs(DEPLOY / "cert-manager" / "kustomization.yaml")[0]
    injected = [yaml.safe_load(p["patch"]) for p in component["patches"]]
    assert {p["kind"] for p in injected} == {
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    }
    for p in injected:
        ns = cert["metadata"]["namespace"]
        assert p["metadata"]["annotations"] == {
            "cert-manager.io/inject-ca-from": f"{ns}/{cert['metadata']['name']}"
        }
    overlay = docs(DEPLOY / "self-signed" / "kustomization.yaml")[0]
    assert overlay["secretGenerator"][0]["name"] == "podgate-tls"
    targets = [
        path for r in overlay["replacements"] for t in r["targets"] for path in t["fieldPaths"]
    ]
    names = [hook["name"] for _, hook in webhooks()]
    assert sorted(t.split("[name=")[1].split("]")[0] for t in targets) == sorted(names)


def test_kustomizations_name_existing_files() -> None:
    for path in DEPLOY.rglob("kustomization.yaml"):
        k = docs(path)[0]
        for entry in [*k.get("resources", []), *k.get("components", [])]:
            assert (path.parent / entry).exists(), (path, entry)


def _covered(rules: list[dict[str, Any]], group: str, resource: str, verb: str) -> bool:
    return any(
        group in r["apiGroups"] and resource in r["resources"] and verb in r["verbs"] for r in rules
    )


def test_rbac_covers_every_api_call() -> None:
    rules = one("ClusterRole", "podgate")["rules"]
    assert kube.POLICIES_PATH == "/apis/podgate.io/v1/podsecuritypolicies"
    assert kube.NAMESPACES_PATH == "/api/v1/namespaces"
    assert kube.SAR_PATH == "/apis/authorization.k8s.io/v1/subjectaccessreviews"
    calls = [
        ("", "namespaces", "list"),
        ("", "namespaces", "watch"),
        ("podgate.io", "podsecuritypolicies", "list"),
        ("podgate.io", "podsecuritypolicies", "watch"),
        ("podgate.io", "podsecuritypolicies/status", "patch"),
        ("authorization.k8s.io", "subjectaccessreviews", "create"),
    ]
    for call in calls:
        assert _covered(rules, *call), call
    assert not _covered(rules, "podgate.io", "podsecuritypolicies", "update")  # spec: read-only
    binding = one("ClusterRoleBinding", "podgate")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "podgate", "namespace": "podgate-system"}
    ]


# --- the CRD schema -----------------------------------------------------------------------------


def crd_schema() -> dict[str, Any]:
    crd = one("CustomResourceDefinition", "podsecuritypolicies.podgate.io")
    assert crd["spec"]["scope"] == "Cluster"
    (version,) = crd["spec"]["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1", True, True)
    assert version["subresources"] == {"status": {}}
    assert any(c["name"] == "Ready" for c in version["additionalPrinterColumns"])
    return version["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


def pruned(value: Any, schema: Mapping[str, Any], at: str) -> list[str]:
    """The paths the API server would prune: fields the structural schema does not name."""
    if isinstance(value, dict) and "properties" in schema:
        out = []
        for k, v in value.items():
            if k not in schema["properties"]:
                out.append(f"{at}.{k}")
            else:
                out.extend(pruned(v, schema["properties"][k], f"{at}.{k}"))
        return out
    if isinstance(value, list) and "items" in schema:
        return [p for i, v in enumerate(value) for p in pruned(v, schema["items"], f"{at}[{i}]")]
    return []


def library_policies() -> list[dict[str, Any]]:
    found = [d for p in sorted(LIBRARY.glob("*.yaml")) for d in docs(p)]
    found += [d for p in sorted((ROOT / "examples" / "policies").glob("*.yaml")) for d in docs(p)]
    found += docs(DEPLOY / "examples" / "restricted.yaml")
    return [d for d in found if d.get("kind") == "PodSecurityPolicy"]


FULL_SPEC: dict[str, Any] = {
    "privileged": False,
    "defaultAddCapabilities": ["CHOWN"],
    "requiredDropCapabilities": ["NET_RAW"],
    "allowedCapabilities": ["CHOWN"],
    "volumes": ["secret"],
    "hostNetwork": False,
    "hostPorts": [{"min": 80, "max": 80}],
    "hostPID": False,
    "hostIPC": False,
    "seLinux": {
        "rule": "MustRunAs",
        "seLinuxOptions": {"user": "u", "role": "r", "type": "t", "level": "s0"},
    },
    "runAsUser": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 2}]},
    "runAsGroup": {"rule": "MayRunAs", "ranges": [{"min": 1, "max": 2}]},
    "supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 2}]},
    "fsGroup": {"rule": "MayRunAs", "ranges": [{"min": 1, "max": 2}]},
    "readOnlyRootFilesystem": True,
    "defaultAllowPrivilegeEscalation": False,
    "allowPrivilegeEscalation": False,
    "allowedHostPaths": [{"pathPrefix": "/var/log", "readOnly": True}],
    "allowedFlexVolumes": [{"driver": "example/lvm"}],
    "allowedCSIDrivers": [{"name": "csi.example.com"}],
    "allowedUnsafeSysctls": ["kernel.msg*"],
    "forbiddenSysctls": ["kernel.shm_rmid_forced"],
    "allowedProcMountTypes": ["Default"],
    "runtimeClass": {"allowedRuntimeClassNames": ["gvisor"], "defaultRuntimeClassName": "gvisor"},
}


@pytest.mark.parametrize(
    "policy",
    [*library_policies(), {"metadata": {"name": "every-field"}, "spec": FULL_SPEC}],
    ids=lambda p: p["metadata"]["name"],
)
def test_policies_fit_the_crd_schema_unpruned(policy: dict[str, Any]) -> None:
    schema = crd_schema()
    obj = {**policy, "apiVersion": "podgate.io/v1", "kind": "PodSecurityPolicy"}
    jsonschema.validate(obj, schema)
    assert pruned(obj["spec"], schema["properties"]["spec"], "spec") == []


def test_the_status_podgate_writes_fits_the_schema() -> None:
    schema = crd_schema()
    status = {
        "observedGeneration": 3,
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": "Invalid",
                "message": "spec.runAsUser.rule: Unsupported value",
                "lastTransitionTime": "2026-11-28T12:00:00Z",
                "observedGeneration": 3,
            }
        ],
    }
    obj = {
        "apiVersion": "podgate.io/v1",
        "kind": "PodSecurityPolicy",
        "metadata": {},
        "spec": FULL_SPEC,
        "status": status,
    }
    jsonschema.validate(obj, schema)
    assert pruned(status, schema["properties"]["status"], "status") == []
