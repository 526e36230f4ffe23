"""`podgate serve` end to end on loopback: a subprocess with a certificate from `podgate certs`,
real AdmissionReview v1 requests over HTTPS (shaped as kube-apiserver sends them), checked
against `podgate admit` and the Pod Security messages; certificate and policy reloads while
serving; malformed, oversized, slow and misrouted requests; health, readiness and metrics."""

from __future__ import annotations

import base64
import copy
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PODGATE = [sys.executable, "-c", "from podgate.cli.main import main; main()"]
RS_CONTROLLER = "system:serviceaccount:kube-system:replicaset-controller"
UID = "705ab4f5-6393-11e8-b7cc-42010a800002"


def run_podgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PODGATE, *args], capture_output=True, text=True, timeout=60, check=False
    )


def make_certs(out: Path) -> str:
    done = run_podgate("certs", "--self-signed", "--host", "localhost", "--host", "127.0.0.1",
                       "--host", "podgate.podgate", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    ca: Path
    log: Path

    def context(self, ca: Path | None = None) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(ca or self.ca))

    def conn(self, ca: Path | None = None) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context(ca), timeout=10
        )

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
        conn = self.conn()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def review(self, path: str, doc: dict[str, Any], query: str = "?timeout=10s") -> dict[str, Any]:
        status, headers, body = self.request(
            "POST", path + query, json.dumps(doc).encode(), {"Content-Type": "application/json"}
        )
        assert status == 200, body
        assert headers["content-type"] == "application/json"
        out = json.loads(body)
        assert out["apiVersion"] == "admission.k8s.io/v1" and out["kind"] == "AdmissionReview"
        return out["response"]

    def logs(self) -> list[dict[str, Any]]:
        # only whole lines: the server may be writing the last one while it is read
        lines = self.log.read_text().split("\n")[:-1]
        return [json.loads(line) for line in lines if line.strip()]


def start_server(
    tmp: Path, *args: str, cert_dir: Path, env: dict[str, str] | None = None
) -> Server:
    log = tmp / "serve.log"
    err = tmp / "serve.err"
    with open(log, "wb") as out, open(err, "wb") as errout:
        process = subprocess.Popen(
            [*PODGATE, "serve", "--tls-cert", str(cert_dir / "tls.crt"),
             "--tls-key", str(cert_dir / "tls.key"), "--listen", "127.0.0.1:0", *args],
            stdout=out, stderr=errout,
            env={**os.environ, "POD_NAMESPACE": "podgate-system"} if env is None else env,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            record = json.loads(line)
            if record["msg"] == "Serving":
                server = Server(process, record["port"], cert_dir / "ca.crt", log)
                _wait_ready(server)
                return server
        if process.poll() is not None:
            raise AssertionError(f"podgate serve exited {process.returncode}: {err.read_text()}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError("podgate serve did not start")


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if server.request("GET", "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("podgate serve did not become ready")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("webhook")
    make_certs(tmp / "tls")
    s = start_server(
        tmp, "--policy", str(EXAMPLES / "policies"), "--rbac-from", str(EXAMPLES / "rbac"),
        "--namespaces-from", str(EXAMPLES / "cluster" / "namespaces.yaml"), "-v",
        "--header-timeout", "1", cert_dir=tmp / "tls",
    )  # fmt: skip
    yield s
    stop(s)


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / "pods" / name).read_text())


def review(obj: dict[str, Any] | None, *, operation: str = "CREATE", namespace: str = "shop",
           old: dict[str, Any] | None = None, subresource: str = "", user: str = RS_CONTROLLER,
           groups: tuple[str, ...] = ("system:serviceaccounts", "system:serviceaccounts:kube-system",
                                      "system:authenticated"),
           resource: tuple[str, str, str] = ("", "v1", "pods"), kind: str = "Pod",
           dry_run: bool = False, uid: str = UID) -> dict[str, Any]:  # fmt: skip
    """An AdmissionReview as kube-apiserver sends it."""
    group, version, plural = resource
    name = (obj or old or {}).get("metadata", {}).get("name", "")
    request: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": plural},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": plural},
        "name": name,
        "namespace": namespace,
        "operation": operation,
        "userInfo": {
            "username": user,
            "uid": "3f0e1c2a-9d8b-4c7e-a6f5-1b2c3d4e5f60",
            "groups": list(groups),
            "extra": {"authentication.kubernetes.io/pod-name": ["kube-controller-manager-cp"]},
        },
        "object": obj,
        "oldObject": old,
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1",
                    "kind": "CreateOptions" if operation == "CREATE" else "UpdateOptions"},
    }  # fmt: skip
    if subresource:
        request["subResource"] = request["requestSubResource"] = subresource
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def apply_patch(pod: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    assert response["patchType"] == "JSONPatch"
    return jsonpatch.apply_patch(pod, json.loads(base64.b64decode(response["patch"])))


def podgate_admit(tmp: Path, pod: dict[str, Any], *extra: str) -> dict[str, Any]:
    path = tmp / "pod.yaml"
    path.write_text(yaml.safe_dump(pod))
    done = run_podgate("admit", str(path), "--policy", str(EXAMPLES / "policies"),
                       "--rbac", str(EXAMPLES / "rbac"), "-o", "json", *extra)  # fmt: skip
    return json.loads(done.stdout)


# -- decisions -------------------------------------------------------------------------------------


def test_create_mutates_as_podgate_admit_and_then_validates(server: Server, tmp_path: Path) -> None:
    pod = load("web.yaml")
    r = server.review("/mutate", review(pod))
    assert r["uid"] == UID and r["allowed"] is True
    assert r["auditAnnotations"] == {"admit-policy": "restricted"}
    admitted = apply_patch(pod, r)
    expected = podgate_admit(tmp_path, pod, "--user", RS_CONTROLLER)
    assert expected["policy"] == "restricted"
    # with the field of the seccomp annotation PSP wrote, as PSP's API servers copied it
    # (clusters from 1.27 no longer do, and kubelets from 1.25 ignore the annotation)
    from podgate.k8s.prepare import prepare_for_create

    assert admitted == prepare_for_create(expected["object"], 26)[0]
    v = server.review("/validate", review(admitted))
    assert v["allowed"] is True
    assert "patch" not in v and "patchType" not in v
    assert v["auditAnnotations"] == {
        "validate-policy": "restricted",
        "enforce-policy": "baseline:v1.30",
    }
    # namespace shop warns at restricted: the mutated pod still lacks runAsNonRoot (its
    # seccompProfile field is the one /mutate wrote with PSP's annotation)
    assert v["warnings"] == [
        'would violate PodSecurity "restricted:latest": runAsNonRoot != true (pod or container '
        '"web" must set securityContext.runAsNonRoot=true)'
    ]


def test_psp_denial_is_podgate_admits_message(server: Server, tmp_path: Path) -> None:
    pod = load("debug.yaml")
    r = server.review("/mutate", review(pod, user="alice", groups=("devs", "system:authenticated")))
    expected = podgate_admit(tmp_path, pod, "--user", "alice", "--group", "devs")
    assert r["allowed"] is False
    assert r["status"]["code"] == 403 and r["status"]["reason"] == "Forbidden"
    assert r["status"]["message"] == f'pods "debug-shell" is forbidden: {expected["message"]}'


def test_pss_denial_names_the_namespace_level(server: Server) -> None:
    r = server.review("/validate", review(load("debug.yaml")))
    assert r["allowed"] is False and r["status"]["code"] == 403
    assert r["status"]["message"] == (
        'pods "debug-shell" is forbidden: violates PodSecurity "baseline:v1.30": host namespaces '
        '(hostNetwork=true, hostPID=true), hostPath volumes (volume "host"), privileged '
        '(container "shell" must not set securityContext.privileged=true)'
    )
    assert "warnings" not in r
    assert r["auditAnnotations"] == {"enforce-policy": "baseline:v1.30"}


def test_update_validates_with_the_hint(server: Server) -> None:
    pod = load("web.yaml")
    admitted = apply_patch(pod, server.review("/mutate", review(pod)))
    new = copy.deepcopy(admitted)
    new["spec"]["containers"][0]["image"] = "registry.example.com/shop/web:2.4.2"
    assert server.review("/mutate", review(new, operation="UPDATE", old=admitted)) == {
        "uid": UID, "allowed": True
    }  # fmt: skip
    v = server.review("/validate", review(new, operation="UPDATE", old=admitted))
    assert v["allowed"] is True and v["auditAnnotations"]["validate-policy"] == "restricted"
    gc = copy.deepcopy(pod)
    gc["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                          "name": "web-7d9c8b6f5", "uid": "1", "controller": True}]  # fmt: skip
    skipped = server.review("/validate", review(gc, operation="UPDATE", old=pod))
    assert skipped["allowed"] is True and "validate-policy" not in skipped.get(
        "auditAnnotations", {}
    )


def test_ephemeral_containers_are_checked_by_pss(server: Server) -> None:
    old = load("web.yaml")
    old["metadata"]["namespace"] = "batch"
    new = copy.deepcopy(old)
    new["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox", "stdin": True,
                                           "securityContext": {"privileged": True}}]  # fmt: skip
    r = server.review("/validate", review(new, operation="UPDATE", old=old, namespace="batch",
                                          subresource="ephemeralcontainers"))  # fmt: skip
    assert r["allowed"] is False
    assert r["status"]["message"].startswith(
        'pods "web-7d9c8b6f5-x2k4q" is forbidden: violates PodSecurity "restricted:latest": '
        'privileged (container "debugger" must not set securityContext.privileged=true)'
    )


def test_workloads_get_warnings_only_and_dry_run_the_same_answer(server: Server) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "debug", "namespace": "batch"},
                  "spec": {"template": {"metadata": {}, "spec": load("debug.yaml")["spec"]}}}  # fmt: skip
    doc = review(deployment, namespace="batch", resource=("apps", "v1", "deployments"),
                 kind="Deployment", user="bob")  # fmt: skip
    r = server.review("/validate", doc)
    assert r["allowed"] is True
    assert r["warnings"][0].startswith(
        'would violate PodSecurity "restricted:latest": host namespaces'
    )
    doc["request"]["dryRun"] = True
    assert server.review("/validate", doc) == r


def test_exempt_namespaces(server: Server) -> None:
    for ns in ("kube-system", "podgate-system"):
        r = server.review("/validate", review(load("debug.yaml"), namespace=ns))
        assert r == {"uid": UID, "allowed": True, "auditAnnotations": {"exempt": "namespace"}}


# -- requests podgate cannot understand ------------------------------------------------------------


def test_malformed_json_and_missing_uid_are_denied_in_an_admission_review(server: Server) -> None:
    r = server.review("/validate", {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                    "request": {"operation": "CREATE"}})  # fmt: skip
    assert r["uid"] == "" and r["allowed"] is False and r["status"]["code"] == 400
    assert r["status"]["message"] == "podgate: bad AdmissionReview: request.uid: missing"
    status, _, body = server.request(
        "POST", "/mutate", b'{"apiVersion": ', {"Content-Type": "application/json"}
    )
    assert status == 200
    out = json.loads(body)["response"]
    assert out["uid"] == "" and out["allowed"] is False
    assert out["status"]["message"].startswith("podgate: the body is not JSON: ")


def test_http_hygiene(server: Server) -> None:
    assert server.request("POST", "/validate", b"{}", {"Content-Type": "text/plain"})[0] == 400
    status, _, body = server.request("POST", "/validate", b"", {"Content-Type": "application/json"})
    assert (status, body) == (400, b"request body is empty\n")
    status, _headers, body = server.request(
        "POST", "/validate", b" " * (3 * 1024 * 1024 + 1), {"Content-Type": "application/json"}
    )
    assert status == 413 and body == b"request entity is too large; limit is 3145728 bytes\n"
    # without a Content-Length (chunked), the cap is applied while reading
    conn = server.conn()
    chunks = (b" " * 65536 for _ in range(60))
    conn.request("POST", "/validate", body=chunks, headers={"Content-Type": "application/json"},
                 encode_chunked=True)  # fmt: skip
    assert conn.getresponse().status == 413
    conn.close()
    assert server.request("GET", "/nothing")[0] == 404
    assert server.request("GET", "/validate")[0] == 405


def test_a_stalled_body_is_answered_at_the_deadline_and_closed(server: Server) -> None:
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    tls = server.context().wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(b"POST /validate?timeout=1s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5000\r\n\r\n{\"apiVersion\": ")  # fmt: skip
    started = time.monotonic()
    # meanwhile other requests are answered at once
    assert server.request("GET", "/healthz")[0] == 200
    assert time.monotonic() - started < 0.85  # well before the stalled one is answered (0.9 s)
    data = b""
    while chunk := tls.recv(65536):  # the server closes the connection after answering
        data += chunk
    elapsed = time.monotonic() - started
    tls.close()
    assert 0.8 < elapsed < 3
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"connection: close" in head.lower()
    response = json.loads(body)["response"]
    assert response["allowed"] is False
    assert response["status"]["message"] == "podgate: the request body did not arrive within 0.9s"


@pytest.mark.parametrize(
    "sent", [b"", b"POST /validate HTTP/1.1\r\nHost: x\r\n", b"GET /healthz HTTP/1.1\r\n"]
)
def test_incomplete_headers_are_cut_off(server: Server, sent: bytes) -> None:
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    tls = server.context().wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(sent)
    started = time.monotonic()
    assert tls.recv(1024) == b""  # closed by the server, with nothing said
    assert 0.8 < time.monotonic() - started < 3
    tls.close()


def test_tls_1_2_and_newer_only(server: Server) -> None:
    from podgate.webhook.tls import server_context

    ctx = server.context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() == "TLSv1.2"
        assert tls.selected_alpn_protocol() is None  # the client offered none
    served = server_context(str(server.ca.parent / "tls.crt"), str(server.ca.parent / "tls.key"))
    assert served.minimum_version == ssl.TLSVersion.TLSv1_2


# -- health, readiness, metrics, logs --------------------------------------------------------------


def test_health_readiness_metrics_and_logs(server: Server) -> None:
    server.review("/validate", review(load("debug.yaml"), uid="metrics-probe"))
    assert server.request("GET", "/healthz")[:3:2] == (200, b"ok\n")
    assert server.request("GET", "/readyz")[:3:2] == (200, b"ok\n")
    status, headers, body = server.request("GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    text = body.decode()
    for line in (
        'podgate_policies{status="usable"} 3.0',
        'podgate_build_info{version="0.1.0"} 1.0',
        "podgate_ready 1.0",
    ):
        assert line in text
    assert (
        'podgate_admission_requests_total{allowed="false",dry_run="false",operation="create",resource="pods",subresource="",webhook="validate"}'
        in text
    )
    assert (
        'podgate_policy_evaluations_total{decision="deny",engine="pss",mode="enforce",operation="create",policy="baseline:v1.30"}'
        in text
    )
    assert "podgate_admission_duration_seconds_bucket{" in text
    expiry = next(
        float(x.split()[-1])
        for x in text.splitlines()
        if x.startswith("podgate_certificate_expiry_timestamp_seconds ")
    )
    assert 360 * 86400 < expiry - time.time() < 366 * 86400
    assert "debug-shell" not in text and "alice" not in text  # no object or user names in labels
    record = next(r for r in server.logs() if r.get("uid") == "metrics-probe")
    assert record["msg"] == "Denied pod"
    assert record["pod"] == {"name": "debug-shell", "namespace": "shop"}
    assert record["user"] == RS_CONTROLLER and record["dryRun"] is False
    assert record["allowed"] is False and record["mode"] == "enforce"
    assert {"ts", "operation", "kind", "policy", "latency"} <= record.keys()
    assert "object" not in record and "spec" not in json.dumps(record)


# -- reloads while serving -------------------------------------------------------------------------


def _kubelet_dir(root: Path, version: str, src: Path) -> None:
    """Publish src's files as kubelet does a Secret volume: ..data -> ..<version>, swapped."""
    target = root / f"..{version}"
    shutil.copytree(src, target)
    tmp_link = root / "..data_tmp"
    tmp_link.symlink_to(target.name)
    os.replace(tmp_link, root / "..data")
    for name in ("tls.crt", "tls.key", "ca.crt"):
        if not (root / name).is_symlink():
            (root / name).symlink_to(f"..data/{name}")


def _served_cert(port: int) -> bytes:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ctx.wrap_socket(raw) as tls,
    ):
        cert = tls.getpeercert(binary_form=True)
    assert cert is not None
    return cert


def _pem_der(path: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(path.read_text())


def _wait(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_certificate_and_policies_reload_while_serving(tmp_path: Path) -> None:
    make_certs(tmp_path / "v1")
    make_certs(tmp_path / "v2")
    secret = tmp_path / "secret"
    secret.mkdir()
    _kubelet_dir(secret, "v1", tmp_path / "v1")
    policies = tmp_path / "policies"
    policies.mkdir()
    shutil.copy(EXAMPLES / "policies" / "restricted.yaml", policies)
    s = start_server(
        tmp_path, "--policy", str(policies), "--reload-interval", "0.1", cert_dir=secret
    )
    try:
        assert _served_cert(s.port) == _pem_der(tmp_path / "v1" / "tls.crt")
        keep = s.conn()  # a connection opened before the swap keeps working
        keep.request("GET", "/healthz")
        assert keep.getresponse().read() == b"ok\n"

        _kubelet_dir(secret, "v2", tmp_path / "v2")
        _wait(lambda: _served_cert(s.port) == _pem_der(tmp_path / "v2" / "tls.crt"))
        fresh = s.conn(tmp_path / "v2" / "ca.crt")  # verifies against the new CA only
        fresh.request("GET", "/readyz")
        assert fresh.getresponse().status == 200
        fresh.close()
        keep.request("GET", "/healthz")
        assert keep.getresponse().status == 200
        keep.close()

        # a broken pair is refused and the last good one kept
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "tls.crt").write_bytes((tmp_path / "v1" / "tls.crt").read_bytes())
        (bad / "tls.key").write_bytes((tmp_path / "v2" / "tls.key").read_bytes())
        (bad / "ca.crt").write_bytes(b"")
        _kubelet_dir(secret, "bad", bad)
        _wait(
            lambda: any(
                r["msg"] == "Failed to reload certificate, kept the old one" for r in s.logs()
            )
        )
        assert _served_cert(s.port) == _pem_der(tmp_path / "v2" / "tls.crt")
        assert any(r["msg"] == "Reloaded certificate" for r in s.logs())

        # policies: a broken file keeps the last good set, a good change is used
        s.ca = tmp_path / "v2" / "ca.crt"
        privileged_pod = load("debug.yaml")
        assert s.review("/mutate", review(privileged_pod))["allowed"] is False
        (policies / "broken.yaml").write_text(
            "kind: PodSecurityPolicy\napiVersion: policy/v1beta1\nmetadata: {name: b}\nspec: [\n"
        )
        _wait(lambda: any(r["msg"].startswith("Failed to reload source") for r in s.logs()))
        assert s.review("/mutate", review(privileged_pod))["allowed"] is False
        (policies / "broken.yaml").unlink()
        shutil.copy(EXAMPLES / "policies" / "privileged.yaml", policies)
        _wait(lambda: s.review("/mutate", review(privileged_pod))["allowed"] is True)
        assert s.review("/mutate", review(privileged_pod))["auditAnnotations"] == {
            "admit-policy": "privileged"
        }
        metrics = s.request("GET", "/metrics")[2].decode()
        assert 'podgate_reloads_total{result="ok",source="certificate"} 1.0' in metrics
        assert 'podgate_reloads_total{result="error",source="certificate"} 1.0' in metrics
    finally:
        stop(s)


def test_serve_refuses_to_start_on_bad_input(tmp_path: Path) -> None:
    make_certs(tmp_path / "tls")
    done = run_podgate("serve", "--tls-cert", str(tmp_path / "tls" / "tls.crt"),
                       "--tls-key", str(tmp_path / "tls" / "ca.crt"), "--pss")  # fmt: skip
    assert done.returncode == 2 and done.stderr.startswith("podgate: error: cannot load")
    done = run_podgate("serve", "--tls-cert", str(tmp_path / "tls" / "tls.crt"),
                       "--tls-key", str(tmp_path / "tls" / "tls.key"))  # fmt: skip
    assert done.returncode == 2 and "nothing to enforce" in done.stderr


def test_certs_writes_the_files_and_prints_the_ca_bundle(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    bundle = make_certs(tmp_path)
    assert base64.b64decode(bundle) == (tmp_path / "ca.crt").read_bytes()
    assert (tmp_path / "tls.key").stat().st_mode & 0o777 == 0o600
    leaf = x509.load_pem_x509_certificate((tmp_path / "tls.crt").read_bytes())
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [
        "localhost", "podgate.podgate", "podgate.podgate.svc", "podgate.podgate.svc.cluster.local"
    ]  # fmt: skip
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    days = (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days
    assert days == 365 and (ca.not_valid_after_utc - ca.not_valid_before_utc).days == 3650
    leaf.verify_directly_issued_by(ca)
