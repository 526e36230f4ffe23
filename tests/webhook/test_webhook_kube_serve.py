"""`podgate serve --policies-from-cluster --authorize-with-api --namespaces-from-cluster` end to
end: a podgate subprocess on loopback whose Kubernetes API is the local HTTPS endpoint of
tests/kube_fake.py (policies and namespaces listed and watched, `use` asked with
SubjectAccessReviews), sent AdmissionReview v1 requests over HTTPS."""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kube_fake import NAMESPACES, POLICIES, FakeApi, Pki, running

pytestmark = pytest.mark.e2e

PODGATE = [sys.executable, "-c", "from podgate.cli.main import main; main()"]
SA = "system:serviceaccount:web:app"

RESTRICTED = {
    "metadata": {"name": "restricted"},
    "spec": {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "runAsUser": {"rule": "MustRunAsNonRoot"},
        "seLinux": {"rule": "RunAsAny"},
        "supplementalGroups": {"rule": "RunAsAny"},
        "fsGroup": {"rule": "RunAsAny"},
        "volumes": ["configMap", "secret", "emptyDir", "projected"],
    },
}


class Podgate:
    def __init__(self, process: subprocess.Popen[bytes], port: int, ca: Path) -> None:
        self.process = process
        self.port = port
        self.ctx = ssl.create_default_context(cafile=str(ca))
        self.log: Path | None = None

    def logs(self) -> list[dict[str, Any]]:
        assert self.log is not None
        # only whole lines: the server may be writing the last one while it is read
        lines = self.log.read_text().split("\n")[:-1]
        return [json.loads(line) for line in lines if line.strip()]

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=10)
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json"} if data else {}
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, json.loads(raw) if path.startswith(
                ("/mutate", "/validate")
            ) else raw
        finally:
            conn.close()

    def review(self, path: str, pod: dict[str, Any], user: str = "alice") -> dict[str, Any]:
        request = {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "name": pod["metadata"]["name"],
            "namespace": pod["metadata"]["namespace"],
            "operation": "CREATE",
            "userInfo": {"username": user, "uid": "u-1", "groups": ["system:authenticated"]},
            "object": pod,
            "oldObject": None,
            "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        }
        doc = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
        status, answer = self.request("POST", path + "?timeout=5s", doc)
        assert status == 200
        assert answer["response"]["uid"] == request["uid"]
        return answer["response"]  # type: ignore[no-any-return]


def pod(namespace: str = "web", **sc: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": namespace},
        "spec": {
            "serviceAccountName": "app",
            "containers": [{"name": "app", "image": "nginx", "securityContext": sc}],
        },
    }


def wait(cond: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def api(pki: Pki) -> Iterator[FakeApi]:
    with running(pki) as fake:
        fake.put(POLICIES, RESTRICTED)
        fake.put(NAMESPACES, {"metadata": {"name": "web"}})
        fake.put(NAMESPACES, {"metadata": {"name": "other"}})
        fake.put(
            NAMESPACES,
            {
                "metadata": {
                    "name": "strict",
                    "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
                }
            },
        )
        fake.grants.add((SA, "podgate.io", "web", "restricted"))
        yield fake


@pytest.fixture
def podgate(api: FakeApi, pki: Pki, tmp_path: Path) -> Iterator[Podgate]:
    config = tmp_path / "kubeconfig"
    config.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "fake",
                "clusters": [
                    {
                        "name": "fake",
                        "cluster": {"server": api.url, "certificate-authority": str(pki.ca)},
                    }
                ],
                "users": [{"name": "podgate", "user": {"token": "podgate-token"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "podgate"}}],
            }
        )
    )
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    with open(log, "wb") as out, open(tmp_path / "serve.err", "wb") as err:
        process = subprocess.Popen(
            [*PODGATE, "serve", "--tls-cert", str(pki.cert), "--tls-key", str(pki.key),
             "--listen", "127.0.0.1:0", "--kubeconfig", str(config), "--policies-from-cluster",
             "--authorize-with-api", "--namespaces-from-cluster", "--self-namespace", "podgate-system"],
            stdout=out, stderr=err, env=env,
        )  # fmt: skip
    try:
        port = 0

        def serving() -> bool:
            nonlocal port
            assert process.poll() is None, (tmp_path / "serve.err").read_text()
            for line in log.read_text().splitlines():
                record = json.loads(line)
                if record.get("msg") == "Serving":
                    port = record["port"]
                    return True
            return False

        wait(serving, 30)
        server = Podgate(process, port, pki.ca)
        server.log = log
        wait(lambda: server.request("GET", "/readyz")[0] == 200)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_policies_and_use_from_the_api(api: FakeApi, podgate: Podgate) -> None:
    assert set(api.tokens) == {"podgate-token"}
    mutated = podgate.review("/mutate", pod())
    assert mutated["allowed"] is True
    patch = json.loads(base64.b64decode(mutated["patch"]))
    assert {
        "op": "add",
        "path": "/metadata/annotations",
        "value": {"kubernetes.io/psp": "restricted"},
    } in patch
    spec_sars = [b["spec"] for b in api.sar_bodies]
    assert spec_sars[0]["user"] == SA
    assert spec_sars[0]["groups"] == ["system:serviceaccounts", "system:serviceaccounts:web"]
    assert {s["resourceAttributes"]["group"] for s in spec_sars} == {
        "policy",
        "extensions",
        "podgate.io",
    }
    sent = len(api.sar_bodies)
    again = podgate.review("/mutate", pod())
    assert again["allowed"] is True
    assert len(api.sar_bodies) == sent  # answered from the cache

    # the requesting user is asked about with its userInfo verbatim; nobody may use it in "other"
    denied = podgate.review("/validate", pod("other", runAsNonRoot=True))
    assert denied["allowed"] is False
    assert denied["status"]["message"] == (
        'pods "web-1" is forbidden: PodSecurityPolicy: unable to validate pod: []'
    )
    users = [
        b["spec"] for b in api.sar_bodies if b["spec"]["resourceAttributes"]["namespace"] == "other"
    ]
    alice = [s for s in users if s["user"] == "alice"]
    assert alice and alice[0]["uid"] == "u-1" and alice[0]["groups"] == ["system:authenticated"]


def test_a_disabled_policy_stops_admitting(api: FakeApi, podgate: Podgate) -> None:
    assert (
        podgate.review("/validate", pod(runAsNonRoot=True, allowPrivilegeEscalation=False))[
            "allowed"
        ]
        is True
    )
    api.put(
        POLICIES,
        {
            **RESTRICTED,
            "metadata": {"name": "restricted", "annotations": {"podgate.io/disabled": "true"}},
        },
    )
    wait(
        lambda: (
            podgate.review("/validate", pod(runAsNonRoot=True, allowPrivilegeEscalation=False))[
                "allowed"
            ]
            is False
        )
    )
    api.put(POLICIES, RESTRICTED)
    wait(
        lambda: (
            podgate.review("/validate", pod(runAsNonRoot=True, allowPrivilegeEscalation=False))[
                "allowed"
            ]
            is True
        )
    )


def test_namespace_labels_from_the_api(api: FakeApi, podgate: Podgate) -> None:
    api.grants.add(("system:serviceaccount:strict:app", "podgate.io", "strict", "restricted"))
    answer = podgate.review(
        "/validate", pod("strict", runAsNonRoot=True, allowPrivilegeEscalation=False)
    )
    assert answer["allowed"] is False
    assert 'violates PodSecurity "restricted:latest"' in answer["status"]["message"]
    api.put(
        NAMESPACES,
        {
            "metadata": {
                "name": "strict",
                "labels": {"pod-security.kubernetes.io/enforce": "privileged"},
            }
        },
    )
    wait(
        lambda: (
            podgate.review(
                "/validate", pod("strict", runAsNonRoot=True, allowPrivilegeEscalation=False)
            )["allowed"]
            is True
        )
    )


def test_api_source_lines_reach_the_json_log_with_their_fields(
    api: FakeApi, podgate: Podgate
) -> None:
    wait(lambda: any(r["msg"] == "Loaded policies" for r in podgate.logs()))
    loaded = [r for r in podgate.logs() if r["msg"] == "Loaded policies"]
    assert loaded and loaded[0]["policies"] == ["restricted"]  # an info line, not lost
    assert loaded[0]["logger"] == "podgate.webhook.kube" and loaded[0]["v"] == 0
    api.sar_status = 500
    denied = podgate.review("/validate", pod("other", runAsNonRoot=True))
    assert denied["allowed"] is False
    wait(lambda: any(r["msg"] == "SubjectAccessReview failed" for r in podgate.logs()))
    failed = next(r for r in podgate.logs() if r["msg"] == "SubjectAccessReview failed")
    assert failed["level"] == "warning"
    assert failed["err"].startswith("SubjectAccessReview: ")  # the warning keeps its err
    assert "500" in failed["err"]
