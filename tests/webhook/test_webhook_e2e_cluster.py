"""`podgate serve` with its cluster-backed sources (`--policies-from-cluster`,
`--authorize-with-api`, `--namespaces-from-cluster`) against the local HTTPS endpoint of
`tests/kube_fake.py` that speaks those API calls (no real API server runs here): the
wiring of `podgate serve` to `webhook/kube.py`, end to end over HTTPS on both sides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.kube_fake import NAMESPACES, POLICIES, FakeApi, make_pki, wait_for
from tests.webhook.test_webhook_e2e import (
    EXAMPLES,
    Server,
    load,
    make_certs,
    review,
    start_server,
    stop,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def api(tmp_path: Path) -> Iterator[FakeApi]:
    (tmp_path / "api").mkdir()
    fake = FakeApi(make_pki(tmp_path / "api")).start()
    yield fake
    fake.stop()


def kubeconfig(tmp_path: Path, api: FakeApi) -> Path:
    (tmp_path / "token").write_text("webhook-token")
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "fake",
                "clusters": [
                    {
                        "name": "fake",
                        "cluster": {
                            "server": api.url,
                            "certificate-authority": str(tmp_path / "api" / "ca.crt"),
                        },
                    }
                ],
                "users": [{"name": "podgate", "user": {"tokenFile": "token"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "podgate"}}],
            }
        )
    )
    return path


def test_serve_with_the_cluster_sources(tmp_path: Path, api: FakeApi) -> None:
    policy = yaml.safe_load((EXAMPLES / "policies" / "restricted.yaml").read_text())
    api.put(POLICIES, policy)
    api.put(NAMESPACES, {"metadata": {"name": "shop"}})
    # the pod's service account may use it through its namespace's group
    api.grants.add(("system:serviceaccounts:shop", "policy", "shop", "restricted"))
    make_certs(tmp_path / "tls")
    s: Server = start_server(
        tmp_path,
        "--policies-from-cluster",
        "--authorize-with-api",
        "--namespaces-from-cluster",
        "--kubeconfig",
        str(kubeconfig(tmp_path, api)),
        cert_dir=tmp_path / "tls",
    )
    try:
        r = s.review("/mutate", review(load("web.yaml"), user="alice", groups=("devs",)))
        assert r["allowed"] is True
        assert r["auditAnnotations"] == {"admit-policy": "restricted"}
        first = api.sar_bodies[0]["spec"]
        assert first["user"] == "system:serviceaccount:shop:web"
        assert first["groups"] == ["system:serviceaccounts", "system:serviceaccounts:shop"]
        assert first["resourceAttributes"]["verb"] == "use"

        # a namespace label set through the API applies to the next review
        assert s.review("/validate", review(load("debug.yaml")))["status"]["message"].startswith(
            'pods "debug-shell" is forbidden: PodSecurityPolicy: unable to validate pod: ['
        )
        api.put(
            NAMESPACES,
            {
                "metadata": {
                    "name": "shop",
                    "labels": {"pod-security.kubernetes.io/enforce": "baseline"},
                }
            },
        )

        def pss_denies() -> bool:
            r = s.review("/validate", review(load("debug.yaml")))
            return str(r.get("status", {}).get("message", "")).startswith(
                'pods "debug-shell" is forbidden: violates PodSecurity "baseline:latest": '
            )

        wait_for(pss_denies, timeout=10)

        # a policy deleted through the API is gone for the next review
        api.delete(POLICIES, "restricted")
        wait_for(
            lambda: (
                s.review("/mutate", review(load("web.yaml"))).get("status", {}).get("message")
                == 'pods "web-7d9c8b6f5-x2k4q" is forbidden: PodSecurityPolicy: no providers '
                "available to validate pod request"
            ),
            timeout=10,
        )
    finally:
        stop(s)
