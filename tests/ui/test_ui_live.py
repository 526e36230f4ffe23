"""`podgate ui --live --allow-changes`: a previewed change applied to an API server, a
server-side dry run of every call first, one JSON audit line per call. No real API server runs
here: this is the repository's local HTTPS fake of it (tests/kube_fake.py, which
answers merge patches, server-side apply and deletes, honouring dryRun=All)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.kube_fake import NAMESPACES, FakeApi, make_pki
from tests.kube_fake import running as fake_api
from tests.ui_server import EXAMPLE, Server, running

pytestmark = pytest.mark.e2e

SHOP = {
    "metadata": {
        "name": "shop",
        "labels": {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "v1.30",
        },
    }
}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[FakeApi, Path]]:
    pki = make_pki(tmp_path)
    with fake_api(pki) as api:
        api.put(NAMESPACES, SHOP)
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "fake",
                            "cluster": {"server": api.url, "certificate-authority": str(pki.ca)},
                        }
                    ],
                    "users": [{"name": "ui", "user": {"token": "ui-token"}}],
                    "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "ui"}}],
                    "current-context": "fake",
                }
            )
        )
        yield api, kubeconfig


def _apply(server: Server, form: dict[str, str]) -> tuple[int, str]:
    cookie = server.session_cookie()
    host = f"127.0.0.1:{server.port}"
    _, _, page = server.request("GET", "/exceptions", headers={"Host": host, "Cookie": cookie})
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    status, _, body = server.request(
        "POST",
        "/apply",
        headers={
            "Host": host,
            "Cookie": cookie,
            "Origin": f"http://{host}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=urlencode({**form, "csrf": csrf}),
    )
    return status, body


def _audit_lines(server: Server, n: int) -> list[dict[str, object]]:
    assert server.process.stdout is not None
    return [json.loads(server.process.stdout.readline()) for _ in range(n)]


def test_a_label_change_is_dry_run_then_applied_with_one_audit_line_per_call(
    cluster: tuple[FakeApi, Path],
) -> None:
    api, kubeconfig = cluster
    with running(*EXAMPLE, "--live", "--kubeconfig", str(kubeconfig), "--allow-changes") as ui:
        status, page = _apply(ui, {"action": "label", "namespace": "shop", "enforce": "restricted"})
        assert status == 200, page
        audit = _audit_lines(ui, 2)
    writes = [(w["method"], w["path"], w["dryRun"]) for w in api.writes]
    assert writes == [
        ("PATCH", "/api/v1/namespaces/shop", True),
        ("PATCH", "/api/v1/namespaces/shop", False),
    ]
    assert api.writes[0]["type"] == "application/merge-patch+json"
    labels = api.get(NAMESPACES, "shop")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert "pod-security.kubernetes.io/enforce-version" not in labels
    assert [(a["dryRun"], a["result"], a["call"]) for a in audit] == [
        (True, "ok", "label Namespace shop"),
        (False, "ok", "label Namespace shop"),
    ]
    assert all(a["action"] == "label-namespace" and "identity" in a for a in audit)


def test_a_binding_is_server_side_applied_after_both_dry_runs(
    cluster: tuple[FakeApi, Path],
) -> None:
    api, kubeconfig = cluster
    with running(*EXAMPLE, "--live", "--kubeconfig", str(kubeconfig), "--allow-changes") as ui:
        status, _ = _apply(
            ui,
            {
                "action": "bind",
                "policy": "db-ipc-lock",
                "namespace": "shop",
                "serviceaccount": "web",
            },
        )
        assert status == 200
        _audit_lines(ui, 4)
    assert [w["dryRun"] for w in api.writes] == [True, True, False, False]
    role = "/apis/rbac.authorization.k8s.io/v1/clusterroles/podgate:use:db-ipc-lock"
    binding = "/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings/podgate:use:db-ipc-lock:web"
    assert set(api.applied) == {role, binding}
    assert api.applied[binding]["subjects"] == [
        {"kind": "ServiceAccount", "name": "web", "namespace": "shop"}
    ]


def test_a_refused_dry_run_applies_nothing(cluster: tuple[FakeApi, Path]) -> None:
    api, kubeconfig = cluster
    api.refuse_writes["/api/v1/namespaces/shop"] = (403, 'namespaces "shop" is forbidden')
    with running(*EXAMPLE, "--live", "--kubeconfig", str(kubeconfig), "--allow-changes") as ui:
        status, page = _apply(ui, {"action": "label", "namespace": "shop", "enforce": "restricted"})
        assert status == 200
        (audit,) = _audit_lines(ui, 1)
    assert [w["dryRun"] for w in api.writes] == [True]  # no write for real
    assert audit["result"] == "failed" and "forbidden" in str(audit["error"])
    assert "failed" in page
    assert (
        api.get(NAMESPACES, "shop")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "baseline"
    )
