"""Load on `podgate serve` over HTTPS on loopback: latency at fixed rates and the highest
sustained throughput of one server process, with its CPU time and resident memory.

    .venv/bin/python benchmarks/bench_webhook.py [--seconds 10] [--rates 200,500]
        [--connections 8] [--max-connections 32] [--clients 2]

The server runs as `podgate serve` (one worker process, logging each decision as a JSON line
to a file) with 5 PodSecurityPolicies, offline RBAC and namespaces with Pod Security labels.
The client is one asyncio process holding a pool of keep-alive TLS connections; it sends a
mix of typical reviews: the mutating call of a pod CREATE (PSP admit, JSON Patch), the
validating call of the mutated pod (PSP validate + PSS enforce/warn), a Deployment (PSS
warnings) and a privileged pod (denied); 3 reviews in 10 are denials.

* Fixed rates: open loop, one request every 1/rate seconds whatever the answers do; latency
  is measured from the scheduled send time (so a stall counts against the server).
* Throughput: closed loop with `--max-connections` connections from `--clients` processes
  for the same time (on a small machine the clients compete with the server for CPU).
* Reviews per core: answered reviews / the server's CPU seconds (user + system) in that
  phase, from /proc: the server's own cost, whatever the client costs the machine.
* Memory: the server's VmRSS after the load, and VmHWM (its peak).

Targets (issue 6): p99 <= 5 ms at 500 requests/s; >= 2,000 reviews/s per core; RSS <= 100 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PODGATE = [sys.executable, "-c", "from podgate.cli.main import main; main()"]
CLK_TCK = os.sysconf("SC_CLK_TCK")

EXTRA_POLICY = """\
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: nonroot-readonly
spec:
  privileged: false
  allowPrivilegeEscalation: false
  requiredDropCapabilities: [ALL]
  readOnlyRootFilesystem: true
  volumes: [configMap, secret, emptyDir, projected, downwardAPI, persistentVolumeClaim]
  hostNetwork: false
  hostIPC: false
  hostPID: false
  runAsUser: {rule: MustRunAsNonRoot}
  seLinux: {rule: RunAsAny}
  supplementalGroups: {rule: MustRunAs, ranges: [{min: 1, max: 65535}]}
  fsGroup: {rule: MustRunAs, ranges: [{min: 1, max: 65535}]}
"""


def setup(work: Path) -> list[str]:
    """Certificates, 5 policies, RBAC and namespaces; the serve command's arguments."""
    sys.path.insert(0, str(ROOT / "src"))
    from podgate.webhook.pki import self_signed, write_bundle

    write_bundle(self_signed(["127.0.0.1", "localhost"]), str(work / "tls"))
    policies = work / "policies"
    policies.mkdir()
    for f in (EXAMPLES / "policies").glob("*.yaml"):
        shutil.copy(f, policies)
    (policies / "nonroot-readonly.yaml").write_text(EXTRA_POLICY)
    baseline = yaml.safe_load((ROOT / "src" / "podgate" / "library" / "baseline.yaml").read_text())
    baseline["metadata"]["name"] = "baseline"
    (policies / "baseline.yaml").write_text(yaml.safe_dump(baseline))
    assert len(list(policies.glob("*.yaml"))) == 5
    return [
        "serve",
        "--tls-cert",
        str(work / "tls" / "tls.crt"),
        "--tls-key",
        str(work / "tls" / "tls.key"),
        "--listen",
        "127.0.0.1:0",
        "--policy",
        str(policies),
        "--rbac-from",
        str(EXAMPLES / "rbac"),
        "--namespaces-from",
        str(EXAMPLES / "cluster" / "namespaces.yaml"),
    ]


def review(
    path: str,
    obj: dict[str, Any],
    namespace: str,
    resource: tuple[str, str, str],
    kind: str,
    uid: int,
    user: str,
) -> bytes:
    group, version, plural = resource
    doc = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": f"00000000-0000-4000-8000-{uid:012d}",
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": plural},
            "requestKind": {"group": group, "version": version, "kind": kind},
            "requestResource": {"group": group, "version": version, "resource": plural},
            "name": obj["metadata"]["name"],
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {
                "username": user,
                "uid": "3f0e1c2a",
                "groups": [
                    "system:serviceaccounts",
                    "system:serviceaccounts:kube-system",
                    "system:authenticated",
                ],
            },
            "object": obj,
            "oldObject": None,
            "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    }
    body = json.dumps(doc).encode()
    head = (
        f"POST {path}?timeout=10s HTTP/1.1\r\nHost: podgate.podgate.svc:443\r\n"
        f"Content-Type: application/json\r\nAccept: application/json, */*\r\n"
        f"User-Agent: kube-apiserver-admission\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def mutated(port: int, ctx: ssl.SSLContext, request: bytes) -> dict[str, Any]:
    """The pod as the API server stores it after podgate's mutating call."""
    import http.client

    import jsonpatch

    _head, body = request.split(b"\r\n\r\n", 1)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    conn.request("POST", "/mutate", body, {"Content-Type": "application/json"})
    response = json.loads(conn.getresponse().read())["response"]
    conn.close()
    patch = json.loads(base64.b64decode(response["patch"]))
    return jsonpatch.apply_patch(json.loads(body)["request"]["object"], patch)


def requests(port: int, ctx: ssl.SSLContext) -> list[bytes]:
    """The request mix, in the order it is sent round robin."""
    web = yaml.safe_load((EXAMPLES / "pods" / "web.yaml").read_text())
    debug = yaml.safe_load((EXAMPLES / "pods" / "debug.yaml").read_text())
    db = yaml.safe_load((EXAMPLES / "pods" / "postgres-0.yaml").read_text())
    rs = "system:serviceaccount:kube-system:replicaset-controller"
    admitted = mutated(port, ctx, review("/mutate", web, "shop", ("", "v1", "pods"), "Pod", 0, rs))
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": web["spec"]},
        },
    }
    pod = ("", "v1", "pods")
    db_ns = db["metadata"].get("namespace", "shop")
    return [
        review("/mutate", web, "shop", pod, "Pod", 1, rs),
        review("/validate", admitted, "shop", pod, "Pod", 2, rs),
        review("/mutate", db, db_ns, pod, "Pod", 3, rs),
        review("/validate", admitted, "batch", pod, "Pod", 4, rs),
        review("/mutate", web, "shop", pod, "Pod", 5, "alice"),
        review("/validate", admitted, "shop", pod, "Pod", 6, rs),
        review(
            "/validate",
            deployment,
            "shop",
            ("apps", "v1", "deployments"),
            "Deployment",
            7,
            "system:serviceaccount:kube-system:deployment-controller",
        ),
        review("/mutate", debug, "shop", pod, "Pod", 8, "bob"),
        review("/validate", debug, "shop", pod, "Pod", 9, "bob"),
        review("/mutate", web, "batch", pod, "Pod", 10, rs),
    ]


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def call(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length)
        if status != 200 or b'"uid":"00000000-0000-4000-8000-' not in body:
            raise RuntimeError(f"bad answer {status}: {body[:200]!r}")
        return status


async def connect(port: int, ctx: ssl.SSLContext) -> Conn:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
    )
    return Conn(reader, writer)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def memory(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


async def fixed_rate(
    port: int, ctx: ssl.SSLContext, mix: list[bytes], rate: float, seconds: float, connections: int
) -> list[float]:
    """Open loop: request i is due at start + i/rate; latency from the due time."""
    pool: asyncio.Queue[Conn] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await connect(port, ctx))
    latencies: list[float] = []
    n = int(rate * seconds)
    start = time.perf_counter() + 0.05
    loop = asyncio.get_running_loop()

    async def one(i: int) -> None:
        due = start + i / rate
        conn = await pool.get()
        await conn.call(mix[i % len(mix)])
        latencies.append(time.perf_counter() - due)
        pool.put_nowait(conn)

    tasks = []
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(one(i)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().writer.close()
    return latencies


async def saturate(
    port: int, ctx: ssl.SSLContext, mix: list[bytes], seconds: float, connections: int
) -> tuple[int, float, list[float]]:
    """Closed loop: each connection sends its next request as soon as it has an answer."""
    conns = [await connect(port, ctx) for _ in range(connections)]
    stop = time.perf_counter() + seconds
    latencies: list[float] = []

    async def worker(k: int, conn: Conn) -> None:
        i = k
        while time.perf_counter() < stop:
            t = time.perf_counter()
            await conn.call(mix[i % len(mix)])
            latencies.append(time.perf_counter() - t)
            i += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(k, c) for k, c in enumerate(conns)))
    elapsed = time.perf_counter() - started
    for c in conns:
        c.writer.close()
    return len(latencies), elapsed, latencies


def _client(
    port: int, ca: str, mix: list[bytes], seconds: float, connections: int
) -> tuple[int, float, list[float]]:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    ctx = ssl.create_default_context(cafile=ca)
    return asyncio.run(saturate(port, ctx, mix, seconds, connections))


def saturate_from(
    clients: int, port: int, ca: Path, mix: list[bytes], seconds: float, connections: int
) -> tuple[int, float, list[float]]:
    """`saturate` from several client processes at once (one Python client cannot keep a
    server busy); connections are shared out among them."""
    from concurrent.futures import ProcessPoolExecutor

    share = max(1, connections // clients)
    with ProcessPoolExecutor(clients) as pool:
        futures = [pool.submit(_client, port, str(ca), mix, seconds, share) for _ in range(clients)]
        results = [f.result() for f in futures]
    n = sum(r[0] for r in results)
    elapsed = max(r[1] for r in results)
    return n, elapsed, [x for r in results for x in r[2]]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", default="200,500")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-connections", type=int, default=32)
    parser.add_argument("--clients", type=int, default=2, help="client processes when saturating")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    work = Path(tempfile.mkdtemp(prefix="podgate-bench-webhook-"))
    log = open(work / "serve.log", "wb")  # noqa: SIM115 - open for the server's lifetime
    process = subprocess.Popen([*PODGATE, *setup(work)], stdout=log, stderr=subprocess.STDOUT)
    try:
        port = 0
        for _ in range(300):
            lines = (work / "serve.log").read_text().splitlines()
            if lines and json.loads(lines[0]).get("msg") == "Serving":
                port = json.loads(lines[0])["port"]
                break
            if process.poll() is not None:
                raise SystemExit(f"podgate serve exited: {(work / 'serve.log').read_text()}")
            time.sleep(0.05)
        ctx = ssl.create_default_context(cafile=str(work / "tls" / "ca.crt"))
        mix = requests(port, ctx)
        rss_idle = memory(process.pid)["VmRSS"]
        asyncio.run(saturate(port, ctx, mix, 1.0, 4))  # warm up
        print(
            f"podgate serve: 1 worker process, pid {process.pid}; "
            f"Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs ({platform.machine()}); {len(mix)} request kinds; "
            f"idle RSS {rss_idle / 2**20:.1f} MiB"
        )
        phases: list[tuple[str, float, float]] = []
        for rate in (float(r) for r in args.rates.split(",")):
            t0 = time.time()
            cpu0 = cpu_seconds(process.pid)
            lat = asyncio.run(fixed_rate(port, ctx, mix, rate, args.seconds, args.connections))
            cpu = cpu_seconds(process.pid) - cpu0
            mem = memory(process.pid)
            phases.append((f"rate {rate:g}/s", t0, time.time()))
            print(
                f"rate {rate:>6g}/s  {len(lat)} reviews  p50 {pct(lat, 50) * 1e3:6.2f} ms  "
                f"p99 {pct(lat, 99) * 1e3:6.2f} ms  max {max(lat) * 1e3:6.2f} ms  "
                f"server CPU {100 * cpu / args.seconds:5.1f}%  RSS {mem['VmRSS'] / 2**20:.1f} MiB"
            )
        cpu0 = cpu_seconds(process.pid)
        t0 = time.time()
        n, elapsed, lat = saturate_from(
            args.clients, port, work / "tls" / "ca.crt", mix, args.seconds, args.max_connections
        )
        cpu = cpu_seconds(process.pid) - cpu0
        phases.append(("saturated", t0, time.time()))
        mem = memory(process.pid)
        print(
            f"saturated ({args.clients} client processes, {args.max_connections} connections): "
            f"{n / elapsed:7.0f} reviews/s  "
            f"p50 {statistics.median(lat) * 1e3:.2f} ms  p99 {pct(lat, 99) * 1e3:.2f} ms  "
            f"server CPU {cpu:.2f} s = {100 * cpu / elapsed:.0f}% of a core  "
            f"-> {n / cpu:7.0f} reviews per CPU-second"
        )
        print(
            f"memory: RSS {mem['VmRSS'] / 2**20:.1f} MiB now, peak {mem['VmHWM'] / 2**20:.1f} MiB"
        )
        lines = (work / "serve.log").read_text().splitlines()
        decisions = [json.loads(x) for x in lines if '"uid"' in x]
        denied = sum(1 for d in decisions if not d.get("allowed"))
        print(f"log: {len(decisions)} decision lines, {denied} denials (the mix has 3 in 10)")
        for name, t0, t1 in phases:  # from the server's own `latency` log field
            inside = [d["latency"] for d in decisions if t0 <= d["ts"] <= t1]
            print(
                f"  in-server latency, {name}: p50 {pct(inside, 50) * 1e3:.2f} ms  "
                f"p99 {pct(inside, 99) * 1e3:.2f} ms"
            )
        assert abs(denied / len(decisions) - 0.3) < 0.05, "the request mix is not what it says"
        print("command: .venv/bin/python benchmarks/bench_webhook.py " + " ".join(sys.argv[1:]))
    finally:
        process.terminate()
        process.wait(10)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
