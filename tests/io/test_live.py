"""`podgate scan --live` and podgate.io.live against a real local HTTPS API server.

No API server runs here, so each test starts the repository's fake of one (tests/kube_fake.py,
the one the webhook's tests use too) behind TLS with a CA and a server certificate made in the
test, on 127.0.0.1 port 0. Here it pages with `limit`/`continue` (at most PAGE_CAP items a page,
whatever the client asks), answers 403 for roles, 404 for podsecuritypolicies, and 401 without
the right bearer token."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from podgate.errors import ApiError, LoadError
from podgate.io import live
from podgate.io.kube import client, credentials, kubeconfig
from tests.conftest import RunScan
from tests.kube_fake import FakeApi, Pki, counting_exec_user

TOKEN = "podgate-test-token"
PAGE_CAP = 2

KINDS = {r.plural: r for r in live.RESOURCES}


def _ns(name: str, level: str | None = None) -> dict[str, Any]:
    labels = {"pod-security.kubernetes.io/enforce": level} if level else {}
    return {"metadata": {"name": name, "labels": labels}}


def _pod_spec(privileged: bool = False) -> dict[str, Any]:
    sc: dict[str, Any] = {"privileged": True} if privileged else {}
    return {"containers": [{"name": "app", "image": "nginx", "securityContext": sc}]}


def _pod(name: str, ns: str, privileged: bool = False, owner: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "controller": True}
        ]
    return {"metadata": meta, "spec": _pod_spec(privileged)}


def _deployment(name: str, ns: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": _pod_spec()},
        },
    }


def cluster_objects() -> dict[str, list[dict[str, Any]]]:
    """Items as a list response holds them: no kind or apiVersion."""
    return {
        "namespaces": [_ns("team-a", "baseline"), _ns("team-b"), _ns("kube-system")],
        "serviceaccounts": [
            {"metadata": {"name": "default", "namespace": ns}}
            for ns in ("team-a", "team-b", "kube-system")
        ],
        "pods": [
            _pod("root-shell", "team-a", privileged=True),
            _pod("debug", "team-a"),
            _pod("web-5d9-abcde", "team-b", owner="web-5d9"),
            _pod("web-5d9-fghij", "team-b", owner="web-5d9"),
            _pod("etcd-node1", "kube-system", privileged=True),
        ],
        "deployments": [_deployment("web", "team-b"), _deployment("api", "team-a")],
        "replicasets": [
            {
                "metadata": {
                    "name": "web-5d9",
                    "namespace": "team-b",
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": "web",
                            "controller": True,
                        }
                    ],
                },
                "spec": _deployment("web", "team-b")["spec"],
            }
        ],
        "statefulsets": [],
        "daemonsets": [],
        "jobs": [],
        "cronjobs": [],
        "replicationcontrollers": [],
        "roles": [{"metadata": {"name": "secret-reader", "namespace": "team-a"}, "rules": []}],
        "rolebindings": [],
        "clusterroles": [{"metadata": {"name": "view"}, "rules": []}],
        "clusterrolebindings": [],
    }


# ---------------------------------------------------------------------------------------------
# certificates and the API server


@dataclass(frozen=True)
class Certs:
    ca_pem: bytes
    other_ca_pem: bytes  # a CA that did not sign the server's certificate
    cert_file: Path
    key_file: Path


@pytest.fixture(scope="module")
def certs(pki: Pki) -> Certs:
    return Certs(pki.ca.read_bytes(), pki.other_ca.read_bytes(), pki.cert, pki.key)


def cluster_api(pki: Pki) -> FakeApi:
    """The fake API server, started, serving `cluster_objects()` as these tests expect: only
    the bearer token TOKEN, PAGE_CAP items a page, 403 on roles, 404 on podsecuritypolicies."""
    state = FakeApi(pki, accept_tokens={TOKEN}, page_cap=PAGE_CAP)
    state.load(cluster_objects())
    state.forbidden = {"roles"}
    state.missing = {"podsecuritypolicies"}
    return state.start()


@pytest.fixture
def api(pki: Pki) -> Iterator[FakeApi]:
    state = cluster_api(pki)
    try:
        yield state
    finally:
        state.stop()


# ---------------------------------------------------------------------------------------------
# kubeconfigs


def write_kubeconfig(
    path: Path,
    server: str,
    *,
    ca: bytes | None,
    user: dict[str, Any] | None = None,
    insecure: bool = False,
    context: str = "kind-test",
    extra_contexts: tuple[str, ...] = (),
) -> Path:
    import base64

    cluster: dict[str, Any] = {"server": server}
    if ca is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
    if insecure:
        cluster["insecure-skip-tls-verify"] = True
    names = (context, *extra_contexts)
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": context,
                "clusters": [{"name": "test", "cluster": cluster}],
                "users": [{"name": "scanner", "user": user or {"token": TOKEN}}],
                "contexts": [
                    {"name": n, "context": {"cluster": "test", "user": "scanner"}} for n in names
                ],
            }
        )
    )
    return path


@pytest.fixture(autouse=True)
def no_ambient_kubeconfig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the machine's own kubeconfig or service account."""
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(kubeconfig, "SERVICE_ACCOUNT_DIR", tmp_path / "no-service-account")


def _queries(api: FakeApi) -> list[tuple[str, dict[str, str]]]:
    return [(r.path, r.query) for r in api.requests]


def workloads(stdout: str) -> set[tuple[str, str, str]]:
    report = json.loads(stdout)
    return {(w["kind"], w["namespace"], w["name"]) for w in report["workloads"]}


# ---------------------------------------------------------------------------------------------
# podgate scan --live


@pytest.mark.e2e
def test_scan_live_finds_the_workloads(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    code, out, err = run_scan("--live", "--kubeconfig", str(kc), "-o", "json", "-q")
    assert code == 1, err  # root-shell and etcd are privileged
    assert workloads(out) == {
        ("Pod", "team-a", "root-shell"),
        ("Pod", "team-a", "debug"),
        ("Pod", "kube-system", "etcd-node1"),
        ("Deployment", "team-b", "web"),
        ("Deployment", "team-a", "api"),
    }
    report = json.loads(out)
    by_name = {w["name"]: w for w in report["workloads"]}
    assert by_name["root-shell"]["source"] == {
        "file": "cluster:kind-test",
        "document": 8,  # after 3 namespaces, 3 service accounts, kube-system/etcd-node1, debug
        "line": 0,
    }
    assert by_name["root-shell"]["apiVersion"] == "v1"
    assert by_name["web"]["pss"]["level"] == "privileged"  # team-b has no label
    assert by_name["root-shell"]["pss"]["level"] == "baseline"  # team-a's label, read live
    assert not by_name["root-shell"]["pss"]["allowed"]
    # the 403 on roles is a warning and the scan goes on; the 404 on PSPs a note
    assert "podgate: warning: cluster:kind-test: may not list roles in all namespaces" in err
    assert 'cannot list resource "roles"' in err
    assert "the scan goes on without them" in err
    assert "note:" not in err  # -q leaves notes out, never warnings


@pytest.mark.e2e
def test_scan_live_pages_with_limit_and_continue(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    code, out, _ = run_scan("--live", "--kubeconfig", str(kc), "-o", "json")
    assert code == 1
    pods = [(q.get("limit"), q.get("continue")) for p, q in _queries(api) if p == "/api/v1/pods"]
    assert pods == [(str(live.PAGE_SIZE), None), ("500", "2"), ("500", "4")]
    assert len(json.loads(out)["workloads"]) == 5


@pytest.mark.e2e
def test_scan_live_notes_missing_podsecuritypolicies(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    code, _, err = run_scan("--live", "--kubeconfig", str(kc), "-o", "json")
    assert code == 1
    assert "/apis/policy/v1beta1/podsecuritypolicies" in api.paths()
    assert (
        "podgate: note: cluster:kind-test: the cluster serves no podsecuritypolicies "
        "(policy/v1beta1 was removed in Kubernetes 1.25); none read"
    ) in err
    assert "error" not in err


@pytest.mark.e2e
def test_scan_live_namespace_limits_the_lists(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    code, out, err = run_scan("--live", "--kubeconfig", str(kc), "-n", "team-b", "-o", "json")
    assert code == 0, err
    assert workloads(out) == {("Deployment", "team-b", "web")}
    paths = set(api.paths())
    assert "/api/v1/namespaces/team-b/pods" in paths
    assert "/apis/apps/v1/namespaces/team-b/deployments" in paths
    assert "/api/v1/pods" not in paths
    # cluster-scoped kinds are still read
    assert {"/api/v1/namespaces", "/apis/rbac.authorization.k8s.io/v1/clusterroles"} <= paths
    assert "may not list roles in namespace 'team-b'" in err


@pytest.mark.e2e
def test_tls_is_verified_a_kubeconfig_without_the_ca_fails(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=None)
    code, out, err = run_scan("--live", "--kubeconfig", str(kc), "-o", "json")
    assert code == 2
    assert out == ""
    assert err.startswith(
        f"podgate: error: cluster:kind-test: TLS verification of {api.url} failed: "
        "certificate verify failed"
    )
    assert err.count("\n") == 1
    assert api.requests == []  # no request got through, no token was sent


@pytest.mark.e2e
def test_tls_is_verified_against_the_kubeconfigmake_ca(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.other_ca_pem)
    code, _, err = run_scan("--live", "--kubeconfig", str(kc))
    assert code == 2
    assert "certificate verify failed" in err
    assert api.requests == []


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("server_name", "ok"), [("localhost", True), ("kubernetes.default.svc", False)]
)
def test_tls_checks_the_hostname(
    api: FakeApi, certs: Certs, tmp_path: Path, server_name: str, ok: bool, run_scan: RunScan
) -> None:
    """The certificate names 127.0.0.1 and localhost; the kubeconfig's tls-server-name is the
    name it is checked against."""
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    data = yaml.safe_load(kc.read_text())
    data["clusters"][0]["cluster"]["tls-server-name"] = server_name
    kc.write_text(yaml.safe_dump(data))
    code, _, err = run_scan("--live", "--kubeconfig", str(kc), "-o", "json")
    if ok:
        assert code == 1, err
        return
    assert code == 2
    assert "TLS verification of" in err
    assert "Hostname mismatch" in err
    assert api.requests == []


@pytest.mark.e2e
def test_insecure_skip_tls_verify_in_the_kubeconfig_is_refused(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=None, insecure=True)
    code, _, err = run_scan("--live", "--kubeconfig", str(kc))
    assert code == 2
    assert 'cluster "test" sets insecure-skip-tls-verify' in err
    assert "pass --insecure-skip-tls-verify" in err
    assert api.requests == []


@pytest.mark.e2e
def test_insecure_skip_tls_verify_flag_warns_loudly(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=None, insecure=True)
    code, out, err = run_scan(
        "--live", "--kubeconfig", str(kc), "--insecure-skip-tls-verify", "-o", "json"
    )
    assert code == 1
    assert len(json.loads(out)["workloads"]) == 5
    assert f"podgate: WARNING: TLS verification is OFF for {api.url}" in err


@pytest.mark.e2e
def test_unauthorized_is_one_line_error(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem, user={"token": "bad"})
    code, out, err = run_scan("--live", "--kubeconfig", str(kc))
    assert code == 2
    assert out == ""
    assert err == (
        "podgate: error: cluster:kind-test: the API server refused the credentials of context "
        "'kind-test' (401 Unauthorized) listing namespaces\n"
    )


def test_unreachable_server(certs: Certs, tmp_path: Path, run_scan: RunScan) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kc = write_kubeconfig(tmp_path / "kubeconfig", f"https://127.0.0.1:{port}", ca=certs.ca_pem)
    code, _, err = run_scan("--live", "--kubeconfig", str(kc))
    assert code == 2
    assert err.startswith(
        f"podgate: error: cluster:kind-test: cannot reach the API server at https://127.0.0.1:{port}: "
    )
    assert err.count("\n") == 1


@pytest.mark.e2e
def test_every_kind_forbidden_is_an_error(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    api.forbidden = set(KINDS)
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    code, _, err = run_scan("--live", "--kubeconfig", str(kc))
    assert code == 2
    assert "may not list anything the scan needs (403 on every kind)" in err


@pytest.mark.e2e
def test_response_size_cap(api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    code, _, err = run_scan("--live", "--kubeconfig", str(kc), "--max-bytes", "300")
    assert code == 2
    assert err.startswith("podgate: error: cluster:kind-test: GET /api/v1/")
    assert "?limit=500: the response is " in err
    assert "bytes, over the limit of 300 (--max-bytes)" in err


@pytest.mark.e2e
def test_response_size_cap_without_content_length(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    api.stream = True
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    code, out, _ = run_scan("--live", "--kubeconfig", str(kc), "-o", "json")
    assert code == 1
    assert len(json.loads(out)["workloads"]) == 5
    code, _, err = run_scan("--live", "--kubeconfig", str(kc), "--max-bytes", "300")
    assert code == 2
    assert "the response is over the limit of 300 bytes (--max-bytes)" in err


@pytest.mark.e2e
def test_context_selection(api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan) -> None:
    kc = write_kubeconfig(
        tmp_path / "kubeconfig", api.url, ca=certs.ca_pem, extra_contexts=("prod",)
    )
    code, out, _ = run_scan("--live", "--kubeconfig", str(kc), "--context", "prod", "-o", "json")
    assert code == 1
    assert {w["source"]["file"] for w in json.loads(out)["workloads"]} == {"cluster:prod"}
    code, _, err = run_scan("--live", "--kubeconfig", str(kc), "--context", "nope")
    assert code == 2
    assert f'podgate: error: cluster:nope: context "nope" not found in {kc}\n' == err


@pytest.mark.e2e
def test_kubeconfig_env_list_is_merged(
    api: FakeApi, certs: Certs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_scan: RunScan
) -> None:
    """KUBECONFIG may list several files (missing ones are skipped); the first to set
    current-context wins."""
    first = tmp_path / "first"
    first.write_text(yaml.safe_dump({"current-context": "kind-test"}))
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem, context="other")
    data = yaml.safe_load(kc.read_text())
    data["contexts"].append(
        {"name": "kind-test", "context": {"cluster": "test", "user": "scanner"}}
    )
    kc.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing'}:{kc}")
    code, out, err = run_scan("--live", "-o", "json")
    assert code == 1, err
    assert {w["source"]["file"] for w in json.loads(out)["workloads"]} == {"cluster:kind-test"}


@pytest.mark.e2e
def test_home_kubeconfig_is_the_default(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    (tmp_path / "home" / ".kube").mkdir(parents=True)
    write_kubeconfig(tmp_path / "home" / ".kube" / "config", api.url, ca=certs.ca_pem)
    code, out, _ = run_scan("--live", "-o", "json")
    assert code == 1
    assert len(json.loads(out)["workloads"]) == 5


def test_no_kubeconfig_at_all(tmp_path: Path, run_scan: RunScan) -> None:
    code, _, err = run_scan("--live")
    assert code == 2
    assert err == (
        "podgate: error: cluster: no kubeconfig: pass --kubeconfig, set KUBECONFIG or create "
        "~/.kube/config (or run in a pod with a service account)\n"
    )


@pytest.mark.e2e
def test_exec_credential_plugin_runs_without_a_shell(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    marker = tmp_path / "marker"
    script = (
        "import json, os, sys; "
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO']); "
        f"open({str(marker)!r}, 'w').write(sys.argv[1] + ' ' + info['apiVersion']); "
        "print(json.dumps({'apiVersion': info['apiVersion'], 'kind': 'ExecCredential', "
        f"'status': {{'token': os.environ['TOKEN_FROM_ENV']}}}}))"
    )
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": ["-c", script, "$(touch pwned); `id`"],
            "env": [{"name": "TOKEN_FROM_ENV", "value": TOKEN}],
            "interactiveMode": "Never",
        }
    }
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem, user=user)
    code, out, err = run_scan("--live", "--kubeconfig", str(kc), "-o", "json")
    assert code == 1, err
    assert len(json.loads(out)["workloads"]) == 5
    assert marker.read_text() == "$(touch pwned); `id` client.authentication.k8s.io/v1"
    assert not (tmp_path / "pwned").exists()
    assert not Path("pwned").exists()


@pytest.mark.e2e
def test_failing_exec_plugin(api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan) -> None:
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [
                "-c",
                "import sys; print('token expired, log in again', file=sys.stderr); sys.exit(3)",
            ],
            "interactiveMode": "Never",
        }
    }
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem, user=user)
    code, _, err = run_scan("--live", "--kubeconfig", str(kc))
    assert code == 2
    assert "exited with 3: token expired, log in again" in err
    assert api.requests == []


@pytest.mark.e2e
def test_auth_provider_is_refused(
    api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan
) -> None:
    user = {"auth-provider": {"name": "gcp", "config": {"cmd-path": "/bin/sh -c id"}}}
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem, user=user)
    code, _, err = run_scan("--live", "--kubeconfig", str(kc))
    assert code == 2
    assert "auth-provider 'gcp', which podgate does not run" in err


@pytest.mark.e2e
def test_live_with_files(api: FakeApi, certs: Certs, tmp_path: Path, run_scan: RunScan) -> None:
    """--live reads the cluster besides INPUT."""
    manifest = tmp_path / "extra.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: from-file, namespace: team-b}\n"
        "spec: {containers: [{name: app, image: nginx}]}\n"
    )
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    code, out, _ = run_scan(str(manifest), "--live", "--kubeconfig", str(kc), "-o", "json")
    assert code == 1
    found = workloads(out)
    assert ("Pod", "team-b", "from-file") in found
    assert ("Pod", "team-a", "root-shell") in found


def test_cluster_flags_need_live(tmp_path: Path, run_scan: RunScan) -> None:
    manifest = tmp_path / "p.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")
    code, _, err = run_scan(str(manifest), "--context", "x")
    assert code == 2
    assert "need --live" in err
    code, _, err = run_scan()
    assert code == 2
    assert "give INPUT" in err


# ---------------------------------------------------------------------------------------------
# podgate.io.live directly


@pytest.mark.e2e
def test_read_cluster_sets_kind_and_api_version(api: FakeApi, certs: Certs, tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    read = live.read_cluster(str(kc), page_size=1)
    kinds = {(d.obj["apiVersion"], d.obj["kind"]) for d in read.documents}
    assert ("apps/v1", "Deployment") in kinds
    assert ("rbac.authorization.k8s.io/v1", "ClusterRole") in kinds
    assert ("v1", "Namespace") in kinds
    assert [d.index for d in read.documents] == list(range(len(read.documents)))
    assert {d.file for d in read.documents} == {"cluster:kind-test"}
    assert len(read.documents) == sum(len(v) for k, v in cluster_objects().items() if k != "roles")
    limits = {q["limit"] for _, q in _queries(api)}
    assert limits == {"1"}
    assert read.requests == len(api.requests)
    assert read.warnings and read.notes


@pytest.mark.e2e
def test_other_404_is_a_warning(api: FakeApi, certs: Certs, tmp_path: Path) -> None:
    api.missing = {"cronjobs"}
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    read = live.read_cluster(str(kc))
    assert read.warnings == [
        "cluster:kind-test: the cluster serves no cronjobs (batch/v1, 404); the scan goes on "
        "without them",
        "cluster:kind-test: may not list roles in all namespaces (403 Forbidden: roles.rbac."
        'authorization.k8s.io is forbidden: User "scanner" cannot list resource "roles" in API '
        'group "rbac.authorization.k8s.io" at the cluster scope); the scan goes on without them',
    ]
    assert read.notes == []


@pytest.mark.e2e
def test_in_cluster_config(
    api: FakeApi, certs: Certs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    (sa / "token").write_text(TOKEN + "\n")
    (sa / "ca.crt").write_bytes(certs.ca_pem)
    (sa / "namespace").write_text("podgate")
    monkeypatch.setattr(kubeconfig, "SERVICE_ACCOUNT_DIR", sa)
    host, port = urllib.parse.urlsplit(api.url).netloc.split(":")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    read = live.read_cluster()
    assert read.context == "in-cluster"
    assert read.documents
    assert all(r.auth == f"Bearer {TOKEN}" for r in api.requests)


def test_plain_http_only_on_loopback(tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", "http://10.0.0.1:8080", ca=None)
    with pytest.raises(LoadError, match="plain HTTP: podgate talks TLS to remote API servers"):
        kubeconfig.resolve(str(kc))
    kc = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:8001", ca=None)
    assert kubeconfig.resolve(str(kc)).ssl_context is None  # kubectl proxy


@pytest.mark.parametrize(
    ("other", "runs_exec"),
    [
        ({}, True),
        ({"token": "t"}, False),
        ({"tokenFile": "token"}, False),
        ({"username": "u", "password": "p"}, False),
        ({"username": "u"}, False),  # client-go: a user name alone is basic auth
        ({"password": "p"}, True),
    ],
)
def test_exec_plugin_only_when_no_other_credential_is_set(
    tmp_path: Path, other: dict[str, str], runs_exec: bool
) -> None:
    """As client-go's exec authenticator: a token, token file or user name wins over exec."""
    (tmp_path / "token").write_text("t")
    exec_entry = {"apiVersion": "client.authentication.k8s.io/v1", "command": "true"}
    kc = write_kubeconfig(
        tmp_path / "kubeconfig",
        "http://127.0.0.1:8001",
        ca=None,
        user={"exec": exec_entry, **other},
    )
    cluster = kubeconfig.resolve(str(kc))
    assert (cluster.credentials.exec_plugin is not None) is runs_exec


def test_client_certificate_from_kubeconfig_data(certs: Certs, tmp_path: Path) -> None:
    """Client certificates given as data are loaded through a private temporary file."""
    import base64

    user = {
        "client-certificate-data": base64.b64encode(certs.cert_file.read_bytes()).decode(),
        "client-key-data": base64.b64encode(certs.key_file.read_bytes()).decode(),
    }
    kc = write_kubeconfig(
        tmp_path / "kubeconfig", "https://127.0.0.1:1", ca=certs.ca_pem, user=user
    )
    cluster = kubeconfig.resolve(str(kc))
    assert cluster.credentials.cert is not None
    assert cluster.ssl_context is not None
    credentials.load_client_cert(cluster.ssl_context, *cluster.credentials.cert)


@pytest.mark.e2e
def test_expired_continue_token_restarts_the_list(
    api: FakeApi, certs: Certs, tmp_path: Path
) -> None:
    api.expire_continue = {"pods"}
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    read = live.read_cluster(str(kc))
    pods = [q.get("continue") for p, q in _queries(api) if p == "/api/v1/pods"]
    assert pods == [None, "2", None, "2", "4"]
    assert sum(d.obj["kind"] == "Pod" for d in read.documents) == 5


@pytest.mark.e2e
def test_exec_plugin_runs_again_after_a_401(api: FakeApi, certs: Certs, tmp_path: Path) -> None:
    """An exec token that expired mid-read is renewed once, as kubectl renews it."""
    runs = tmp_path / "runs"
    user = counting_exec_user(
        runs, f"'expired' if n == 0 else {TOKEN!r}", "client.authentication.k8s.io/v1beta1"
    )
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem, user=user)
    read = live.read_cluster(str(kc))
    assert runs.read_text() == "xx"
    assert [r.auth for r in api.requests[:2]] == ["Bearer expired", f"Bearer {TOKEN}"]
    assert len(read.documents) > 0


def test_kubeconfig_env_naming_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certs: Certs
) -> None:
    """With KUBECONFIG set, ~/.kube/config is not read (as kubectl)."""
    (tmp_path / "home" / ".kube").mkdir(parents=True)
    write_kubeconfig(tmp_path / "home" / ".kube" / "config", "https://127.0.0.1:1", ca=certs.ca_pem)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(LoadError, match="no file named in KUBECONFIG"):
        kubeconfig.resolve()


def _proxy_of(kc: Path) -> tuple[str, int] | None:
    cluster = kubeconfig.resolve(str(kc))
    return client._proxy(cluster.server, cluster.proxy, cluster.where)


def test_proxies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    kc = write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:6443", ca=None)
    assert _proxy_of(kc) is None  # never for loopback
    kc = write_kubeconfig(tmp_path / "kc", "https://api.example:6443", ca=None)
    assert _proxy_of(kc) == ("proxy.example", 3128)
    monkeypatch.setenv("NO_PROXY", ".example")
    assert _proxy_of(kc) is None
    data = yaml.safe_load(kc.read_text())
    data["clusters"][0]["cluster"]["proxy-url"] = "socks5://127.0.0.1:1080"
    kc.write_text(yaml.safe_dump(data))
    with pytest.raises(ApiError, match="only http:// proxies are supported"):
        _proxy_of(kc)


@pytest.mark.e2e
def test_ca_and_token_files_relative_to_the_kubeconfig(
    api: FakeApi, certs: Certs, tmp_path: Path
) -> None:
    d = tmp_path / "conf"
    d.mkdir()
    (d / "ca.crt").write_bytes(certs.ca_pem)
    (d / "token").write_text(TOKEN + "\n")
    kc = write_kubeconfig(d / "kubeconfig", api.url, ca=None, user={"tokenFile": "token"})
    data = yaml.safe_load(kc.read_text())
    data["clusters"][0]["cluster"]["certificate-authority"] = "ca.crt"
    kc.write_text(yaml.safe_dump(data))
    read = live.read_cluster(str(kc))
    assert len(read.documents) > 0
    assert {r.auth for r in api.requests} == {f"Bearer {TOKEN}"}


@pytest.fixture
def connect_proxy() -> Iterator[tuple[str, list[str]]]:
    """A minimal HTTP CONNECT proxy on loopback: its URL and the targets it was asked for."""
    import socket
    import socketserver

    targets: list[str] = []

    class Tunnel(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                head += chunk
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            targets.append(f"{method} {target}")
            host, port = target.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=10) as upstream:
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pipes = [
                    threading.Thread(target=_pipe, args=(self.request, upstream), daemon=True),
                    threading.Thread(target=_pipe, args=(upstream, self.request), daemon=True),
                ]
                for t in pipes:
                    t.start()
                for t in pipes:
                    t.join(timeout=10)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Tunnel)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", targets
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _pipe(src: Any, dst: Any) -> None:
    import socket

    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


@pytest.mark.e2e
def test_proxy_url_tunnels_with_tls_verified_end_to_end(
    api: FakeApi, certs: Certs, tmp_path: Path, connect_proxy: tuple[str, list[str]]
) -> None:
    proxy, targets = connect_proxy
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    data = yaml.safe_load(kc.read_text())
    data["clusters"][0]["cluster"]["proxy-url"] = proxy
    kc.write_text(yaml.safe_dump(data))
    read = live.read_cluster(str(kc))
    assert len(read.documents) > 0
    host = urllib.parse.urlsplit(api.url).netloc
    assert targets and set(targets) == {f"CONNECT {host}"}
    assert len(targets) == api.connections == 1  # one tunnel, kept alive for every request
    # through the tunnel the certificate is still checked against the API server's CA
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.other_ca_pem)
    data = yaml.safe_load(kc.read_text())
    data["clusters"][0]["cluster"]["proxy-url"] = proxy
    kc.write_text(yaml.safe_dump(data))
    with pytest.raises(ApiError, match="certificate verify failed"):
        live.read_cluster(str(kc))


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("server_name", "ok"), [("localhost", True), ("kubernetes.default.svc", False)]
)
def test_tls_server_name_is_checked_through_a_proxy_tunnel(
    api: FakeApi,
    certs: Certs,
    tmp_path: Path,
    connect_proxy: tuple[str, list[str]],
    server_name: str,
    ok: bool,
) -> None:
    """Through a CONNECT tunnel the certificate is checked against tls-server-name too, not
    against the host the tunnel was asked for."""
    proxy, targets = connect_proxy
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    data = yaml.safe_load(kc.read_text())
    data["clusters"][0]["cluster"].update({"proxy-url": proxy, "tls-server-name": server_name})
    kc.write_text(yaml.safe_dump(data))
    if ok:
        assert live.read_cluster(str(kc)).documents
    else:
        with pytest.raises(ApiError, match="Hostname mismatch"):
            live.read_cluster(str(kc))
        assert api.requests == []
    assert targets


@pytest.mark.e2e
def test_a_read_keeps_one_connection_alive(api: FakeApi, certs: Certs, tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    read = live.read_cluster(str(kc))
    assert read.requests == len(api.requests) > len(live.RESOURCES)  # pages: more than a kind
    assert api.connections == 1


@pytest.mark.e2e
def test_items_null_is_an_empty_list(api: FakeApi, certs: Certs, tmp_path: Path) -> None:
    """Go encodes an empty list's nil items as null; kubectl reads that as no items."""
    api.null_items = True
    kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, ca=certs.ca_pem)
    (statefulsets,) = [r for r in live.RESOURCES if r.plural == "statefulsets"]  # none stored
    read = live.read_cluster(str(kc), resources=(statefulsets,))
    assert (read.documents, read.warnings, read.requests) == ([], [], 1)
