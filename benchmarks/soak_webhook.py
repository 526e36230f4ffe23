"""Soak `podgate serve` under a steady load mixed with attacks, on loopback, and check every
valid answer against the engine run in this process (issue 10, "Prove it").

    python benchmarks/soak_webhook.py --minutes 10

One real server (`podgate serve`, a certificate from `podgate certs`, the example
PodSecurityPolicies, a namespaces file with Pod Security labels), and for `--minutes`:

* valid reviews at a steady rate, as the API server sends them: pod CREATEs (`/mutate`, the
  patch applied, then `/validate`), pod UPDATEs, and UPDATEs of `pods/ephemeralcontainers`
  adding a debugger (privileged or not), from several keep-alive connections; a 429 is
  retried after its Retry-After and a dropped idle connection once, as client-go does;
* malformed bodies, slow bodies (a valid review sent in pieces over seconds), half-sent
  bodies, oversized bodies, idle TCP and idle TLS connections, reviews with unique resource
  and subresource names (a metric-label flood), and every few seconds the policy and
  namespace files rewritten (same content, new inode: a reload).

The oracle: for every valid review, the final verdict (mutate and validate) the engine gives in
this process: PodSecurityPolicy `review()` on the pod (an ephemeral-container update judged as
a pod UPDATE, as `podgate admit new --old old --operation UPDATE` does) and the Pod Security
Standards `evaluate()` at the namespace's enforce level. A wrong allow is a review the webhook
allowed that the engine denies. Everything is bounded: loopback only, the duration, the
connection counts and the rates below. Prints the figures and the command."""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import http.client
import json
import os
import random
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonpatch

from podgate.io.policies import load_policies
from podgate.k8s.identity import UserInfo
from podgate.psp import Request, review
from podgate.pss import LATEST, evaluate, parse_level
from podgate.pss.admission import is_significant_pod_update
from podgate.webhook.files import compile_policies

ROOT = Path(__file__).resolve().parents[1]
PODGATE = [sys.executable, "-c", "from podgate.cli.main import main; main()"]
NAMESPACES = {  # name: Pod Security enforce level ("" = unlabelled: privileged)
    "soak-restricted": "restricted",
    "soak-baseline": "baseline",
    "soak-privileged": "privileged",
    "soak-plain": "",
}
USER = UserInfo("alice", ("system:authenticated",))
MiB = 1024 * 1024
WRONG_TYPES = (
    b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",'
    b'"request":{"uid":"x","operation":"CREATE","object":[]}}'
)


# -- the server ------------------------------------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    context: ssl.SSLContext
    log: Path

    def rss(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0


def write_inputs(work: Path) -> tuple[Path, Path]:
    policies = work / "policies"
    policies.mkdir(exist_ok=True)
    for f in sorted((ROOT / "examples" / "policies").glob("*.yaml")):
        tmp = policies / f".{f.name}.tmp"
        tmp.write_bytes(f.read_bytes())
        os.replace(tmp, policies / f.name)
    items = []
    for name, level in NAMESPACES.items():
        labels = {"kubernetes.io/metadata.name": name}
        if level:
            labels["pod-security.kubernetes.io/enforce"] = level
        items.append({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": {"name": name, "labels": labels}})  # fmt: skip
    namespaces = work / "namespaces.json"
    tmp = work / ".namespaces.json.tmp"
    tmp.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    os.replace(tmp, namespaces)
    return policies, namespaces


def start(work: Path) -> Served:
    certs = work / "tls"
    done = subprocess.run(
        [*PODGATE, "certs", "--self-signed", "--host", "localhost", "--host", "127.0.0.1",
         "--out", str(certs)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"podgate certs failed: {done.stderr}")
    policies, namespaces = write_inputs(work)
    log = work / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*PODGATE, "serve", "--tls-cert", str(certs / "tls.crt"), "--tls-key",
             str(certs / "tls.key"), "--listen", "127.0.0.1:0", "--policy", str(policies),
             "--namespaces-from", str(namespaces), "--reload-interval", "1",
             "--self-namespace", "podgate-system"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if record.get("msg") == "Serving":
                    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
                    return Served(process, record["port"], context, log)
        if process.poll() is not None:
            raise SystemExit(f"podgate serve exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    process.kill()
    raise SystemExit("podgate serve did not start")


# -- requests --------------------------------------------------------------------------------------


def container(rng: random.Random, name: str) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": "registry.example/app:1"}
    kind = rng.choice(["restricted", "restricted", "bare", "privileged", "root", "caps"])
    if kind == "restricted":
        c["securityContext"] = {
            "runAsNonRoot": True, "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
        }  # fmt: skip
    elif kind == "privileged":
        c["securityContext"] = {"privileged": True}
    elif kind == "root":
        c["securityContext"] = {"runAsUser": 0}
    elif kind == "caps":
        c["securityContext"] = {"capabilities": {"add": [rng.choice(["NET_ADMIN", "IPC_LOCK"])]}}
    return c


def make_pod(rng: random.Random, namespace: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [container(rng, f"c{i}") for i in range(rng.randint(1, 2))],
        "serviceAccountName": "default",
    }
    roll = rng.random()
    if roll < 0.1:
        spec["hostNetwork"] = True
    elif roll < 0.2:
        spec["volumes"] = [{"name": "h", "hostPath": {"path": "/var/log"}}]
    elif roll < 0.3:
        spec["securityContext"] = {"runAsNonRoot": True, "runAsUser": 1000, "fsGroup": 2000}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"p-{rng.randrange(10**9)}", "namespace": namespace,
                     "uid": str(uuid.UUID(int=rng.getrandbits(128)))},
        "spec": spec,
    }  # fmt: skip


def admission_review(
    operation: str,
    pod: dict[str, Any],
    old: dict[str, Any] | None = None,
    subresource: str = "",
    resource: str = "pods",
) -> dict[str, Any]:
    meta = pod["metadata"]
    request: dict[str, Any] = {
        "uid": str(uuid.uuid4()),
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": resource},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": {"group": "", "version": "v1", "resource": resource},
        "name": meta["name"],
        "namespace": meta["namespace"],
        "operation": operation,
        "userInfo": {"username": USER.name, "groups": list(USER.groups)},
        "object": pod,
        "oldObject": old,
        "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1",
                    "kind": "CreateOptions" if operation == "CREATE" else "UpdateOptions"},
    }  # fmt: skip
    if subresource:
        request["subResource"] = subresource
        request["requestSubResource"] = subresource
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


class Oracle:
    """The engine in this process, on the same requests."""

    def __init__(self, policies: Path) -> None:
        self.policies = compile_policies(load_policies([str(policies)], max_bytes=64 * MiB))

    def _pss_allows(self, namespace: str, pod: dict[str, Any], old: dict[str, Any] | None) -> bool:
        level = NAMESPACES[namespace] or "privileged"
        if old is not None and not is_significant_pod_update(pod, old):
            return True
        return not evaluate(parse_level(level), LATEST, pod.get("metadata", {}), pod["spec"])

    def create(self, pod: dict[str, Any]) -> bool:
        ns = pod["metadata"]["namespace"]
        decision = review(self.policies, Request("CREATE", pod, ns, USER))
        return decision.allowed and self._pss_allows(ns, decision.object, None)

    def update(self, pod: dict[str, Any], old: dict[str, Any]) -> bool:
        ns = pod["metadata"]["namespace"]
        decision = review(self.policies, Request("UPDATE", pod, ns, USER, old))
        return decision.allowed and self._pss_allows(ns, pod, old)


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def get(self, key: str) -> int:
        return self.counts.get(key, 0)


class Client:
    """One keep-alive HTTPS connection, used as client-go uses one: a 429 with Retry-After is
    retried after it (within the 10 s timeout), a connection the server dropped while idle is
    replaced once."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.conn: http.client.HTTPSConnection | None = None

    def post(self, path: str, doc: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        body = json.dumps(doc).encode()
        deadline = time.monotonic() + 10
        reconnected = False
        while True:
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.served.port, context=self.served.context, timeout=15
                )
            try:
                self.conn.request("POST", path + "?timeout=10s", body,
                                  {"Content-Type": "application/json"})  # fmt: skip
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    ssl.SSLError) as e:  # fmt: skip
                self.close()
                if reconnected:
                    raise ConnectionError(str(e)) from e
                reconnected = True
                continue
            if resp.getheader("connection", "").lower() == "close":
                self.close()
            if resp.status == 429 and time.monotonic() < deadline:
                time.sleep(float(resp.getheader("retry-after", "1")))
                continue
            if resp.status != 200:
                return resp.status, None
            return 200, json.loads(data)["response"]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def valid_worker(served: Served, oracle: Oracle, tally: Tally, stop: threading.Event,
                 seed: int, rate: float) -> None:  # fmt: skip
    rng = random.Random(seed)
    client = Client(served)
    next_at = time.monotonic()
    while not stop.is_set():
        next_at += 1 / rate
        delay = next_at - time.monotonic()
        if delay > 0 and stop.wait(delay):
            break
        ns = rng.choice(list(NAMESPACES))
        kind = rng.choice(["create", "create", "update", "ephemeral"])
        try:
            one_review(kind, client, oracle, tally, rng, ns)
        except Exception as e:  # noqa: BLE001 - counted: a valid review not answered
            tally.add("sent")
            tally.add("unanswered")
            with tally.lock:
                if len(tally.examples) < 10:
                    tally.examples.append(f"{kind}: {type(e).__name__}: {e}")
    client.close()


def timed(tally: Tally, call: Callable[[], tuple[int, dict[str, Any] | None]], uid: str) -> Any:
    started = time.monotonic()
    status, response = call()
    elapsed = time.monotonic() - started
    tally.add("sent")
    if status != 200 or response is None or response.get("uid") != uid:
        tally.add("unanswered")
        return None
    tally.add("answered")
    with tally.lock:
        tally.latencies.append(elapsed)
    return response


def one_review(kind: str, client: Client, oracle: Oracle, tally: Tally, rng: random.Random,
               ns: str) -> None:  # fmt: skip
    pod = make_pod(rng, ns)
    if kind == "create":
        doc = admission_review("CREATE", pod)
        mutated = timed(tally, lambda: client.post("/mutate", doc), doc["request"]["uid"])
        if mutated is None:
            return
        final = pod
        if mutated["allowed"] and "patch" in mutated:
            ops = json.loads(base64.b64decode(mutated["patch"]))
            final = jsonpatch.apply_patch(pod, ops)
        allowed = mutated["allowed"]
        if allowed:
            doc = admission_review("CREATE", final)
            validated = timed(tally, lambda: client.post("/validate", doc), doc["request"]["uid"])
            if validated is None:
                return
            allowed = validated["allowed"]
        expected = oracle.create(pod)
    else:
        old = make_pod(rng, ns) if kind == "update" else pod
        old["metadata"] = pod["metadata"]
        if kind == "update":
            new = copy.deepcopy(old)
            new["metadata"]["labels"] = {"rev": str(rng.randrange(100))}
            if rng.random() < 0.5:
                new["spec"]["containers"][0]["image"] = "registry.example/app:2"
            sub = ""
        else:  # kubectl debug: an ephemeral container through the subresource
            new = copy.deepcopy(old)
            debugger: dict[str, Any] = {"name": "debugger", "image": "busybox",
                                        "targetContainerName": "c0"}  # fmt: skip
            if rng.random() < 0.5:
                debugger["securityContext"] = {"privileged": True}
            else:
                debugger["securityContext"] = container(rng, "x").get("securityContext", {})
            new["spec"]["ephemeralContainers"] = [debugger]
            sub = "ephemeralcontainers"
        doc = admission_review("UPDATE", new, old, subresource=sub)
        validated = timed(tally, lambda: client.post("/validate", doc), doc["request"]["uid"])
        if validated is None:
            return
        allowed = validated["allowed"]
        expected = oracle.update(new, old)
    tally.add(f"valid {kind}")
    if allowed and not expected:
        tally.add("wrong allows")
        with tally.lock:
            if len(tally.examples) < 10:
                tally.examples.append(f"wrong allow: {kind} in {ns}: {json.dumps(pod)[:300]}")
    elif expected and not allowed:
        tally.add("wrong denials")


# -- attacks ---------------------------------------------------------------------------------------


def raw_tls(served: Served) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    return served.context.wrap_socket(raw, server_hostname="localhost")


def head(length: int, path: str = "/validate") -> bytes:
    return (f"POST {path}?timeout=10s HTTP/1.1\r\nHost: podgate\r\nContent-Type: "
            f"application/json\r\nContent-Length: {length}\r\n\r\n").encode()  # fmt: skip


def status_of(conn: ssl.SSLSocket, timeout: float = 15) -> int:
    conn.settimeout(timeout)
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def attack_worker(served: Served, tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(served)
    while not stop.wait(rng.uniform(0.1, 0.4)):
        what = rng.choice(["malformed", "slow", "half", "oversized", "labels"])
        tally.add(f"attack {what}")
        try:
            if what == "malformed":
                body = rng.choice([b"{", b"[]", b'{"apiVersion": 1}', os.urandom(64), WRONG_TYPES])
                conn = raw_tls(served)
                conn.sendall(head(len(body)) + body)
                if status_of(conn) not in (200, 400):
                    tally.add("attack unexpected answers")
                conn.close()
            elif what == "slow":  # a valid review sent over ~3 s
                doc = admission_review("CREATE", make_pod(rng, "soak-restricted"))
                body = json.dumps(doc).encode()
                conn = raw_tls(served)
                conn.sendall(head(len(body)))
                step = max(1, len(body) // 6)
                for i in range(0, len(body), step):
                    if stop.wait(0.5):
                        break
                    conn.sendall(body[i : i + step])
                if not stop.is_set() and status_of(conn) != 200:
                    tally.add("attack unexpected answers")
                conn.close()
            elif what == "half":
                conn = raw_tls(served)
                conn.sendall(head(3 * MiB))
                conn.settimeout(0.5)
                with contextlib.suppress(OSError):
                    conn.sendall(b" " * rng.randrange(1, 2 * MiB))
                stop.wait(rng.uniform(0.5, 3))
                conn.close()
            elif what == "oversized":
                conn = raw_tls(served)
                conn.sendall(head(4 * MiB))
                if status_of(conn) != 413:
                    tally.add("attack unexpected answers")
                conn.close()
            else:  # unique metric labels: not pods, allowed unevaluated
                doc = admission_review("CREATE", make_pod(rng, "soak-plain"),
                                       resource=f"r{uuid.uuid4().hex}" * 100,
                                       subresource=f"s{uuid.uuid4().hex}")  # fmt: skip
                status, _ = client.post("/validate", doc)
                if status != 200:
                    tally.add("attack unexpected answers")
        except OSError:
            tally.add("attack connection errors")
    client.close()


def idle_worker(served: Served, tally: Tally, stop: threading.Event, plain: int, tls: int) -> None:
    """Keeps `plain` TCP connections that never start TLS and `tls` TLS connections that never
    send a request open, reopening what the server closes."""
    held: list[socket.socket] = []
    while not stop.wait(1.0):
        alive = []
        for s in held:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    s.close()
                    continue
            except (BlockingIOError, ssl.SSLWantReadError):
                pass
            except OSError:
                s.close()
                continue
            alive.append(s)
        held = alive
        plains = sum(1 for s in held if not isinstance(s, ssl.SSLSocket))
        try:
            for _ in range(plain - plains):
                held.append(socket.create_connection(("127.0.0.1", served.port), timeout=5))
                tally.add("idle tcp opened")
            for _ in range(tls - (len(held) - plain)):
                held.append(raw_tls(served))
                tally.add("idle tls opened")
        except OSError:
            tally.add("idle connection errors")
    for s in held:
        s.close()


def reload_worker(work: Path, tally: Tally, stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        write_inputs(work)
        tally.add("file rewrites")


# -- the run ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--rate", type=float, default=6.0, help="valid reviews per second per worker"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="podgate-soak-"))
    served = start(work)
    try:
        run(args, work, served)
    finally:
        if served.process.poll() is None:
            served.process.terminate()
            try:
                served.process.wait(20)
            except subprocess.TimeoutExpired:
                served.process.kill()
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path, served: Served) -> None:
    oracle = Oracle(work / "policies")
    tally = Tally()
    stop = threading.Event()
    time.sleep(2)
    rss_start = served.rss()
    peak = [rss_start]

    def sample() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], served.rss())

    threads = [threading.Thread(target=sample, daemon=True)]
    threads += [threading.Thread(target=valid_worker, args=(served, oracle, tally, stop,
                                 args.seed * 100 + i, args.rate), daemon=True)
                for i in range(args.workers)]  # fmt: skip
    threads += [threading.Thread(target=attack_worker, args=(served, tally, stop,
                                 args.seed * 1000 + i), daemon=True) for i in range(3)]  # fmt: skip
    threads.append(threading.Thread(target=idle_worker, args=(served, tally, stop, 40, 20),
                                    daemon=True))  # fmt: skip
    threads.append(threading.Thread(target=reload_worker, args=(work, tally, stop, 3.0),
                                    daemon=True))  # fmt: skip
    started = time.monotonic()
    for t in threads:
        t.start()
    try:
        while time.monotonic() - started < args.minutes * 60:
            time.sleep(min(10.0, args.minutes * 60 - (time.monotonic() - started)))
            answered, sent = tally.get("answered"), tally.get("sent")
            print(f"  {time.monotonic() - started:6.0f} s: {answered}/{sent} answered, "
                  f"{tally.get('wrong allows')} wrong allows, RSS {served.rss() / MiB:.0f} MiB",
                  flush=True)  # fmt: skip
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    peak[0] = max(peak[0], served.rss())
    # the load is over: memory should come back (the server trims every reload interval)
    settle = time.monotonic() + 20
    while time.monotonic() < settle and served.rss() - rss_start > 8 * MiB:
        time.sleep(0.5)
    rss_end = served.rss()
    reloads = sum(1 for line in served.log.read_text().splitlines() if '"Reloaded source"' in line)

    lat = sorted(tally.latencies)
    sent, answered = tally.get("sent"), tally.get("answered")
    valid = sum(v for k, v in tally.counts.items() if k.startswith("valid "))
    print()
    print(f"duration                         {args.minutes:g} min")
    print(f"valid reviews (HTTP calls)       {answered}/{sent} answered "
          f"({100 * answered / max(sent, 1):.3f}%)")  # fmt: skip
    print(f"valid requests judged            {valid} ("
          + ", ".join(f"{k[6:]} {v}" for k, v in sorted(tally.counts.items())
                      if k.startswith("valid "))
          + ")")  # fmt: skip
    print(f"wrong allows (vs in-process)     {tally.get('wrong allows')}")
    print(f"wrong denials (vs in-process)    {tally.get('wrong denials')}")
    if lat:
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"latency of valid reviews         p50 {statistics.median(lat) * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms")  # fmt: skip
    print(f"RSS                              start {rss_start / MiB:.1f} MiB, peak "
          f"{peak[0] / MiB:.1f} MiB, end {rss_end / MiB:.1f} MiB "
          f"(end - start {(rss_end - rss_start) / MiB:+.1f} MiB)")  # fmt: skip
    print(
        f"reloads                          {reloads} (file rewrites {tally.get('file rewrites')})"
    )
    attacks = {k[7:]: v for k, v in tally.counts.items() if k.startswith("attack ")}
    print(f"attacks                          {attacks}")
    print(f"idle connections opened          tcp {tally.get('idle tcp opened')}, "
          f"tls {tally.get('idle tls opened')}, "
          f"errors {tally.get('idle connection errors')}")  # fmt: skip
    for example in tally.examples:
        print(f"  e.g. {example}")
    goals = (
        sent > 0
        and answered == sent
        and tally.get("wrong allows") == 0
        and rss_end - rss_start <= 60 * MiB
        and rss_end < 160 * MiB
    )
    print(f"goals (100% answered, 0 wrong allows, end within 60 MiB of start and < 160 MiB): "
          f"{'met' if goals else 'NOT met'}")  # fmt: skip
    print(f"command: python benchmarks/soak_webhook.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
