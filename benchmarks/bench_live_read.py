"""A `scan --live` read through podgate's API client against the local HTTPS fake of the API
server (tests/kube_fake.py, on loopback): requests, TCP+TLS connections, wall time.

    python benchmarks/bench_live_read.py [--pods N] [--page-size P] [--repeat R] [--src DIR]

N pods (and one ReplicaSet and Deployment a ten pods) in 20 namespaces, listed 500 a page as
kubectl pages them, with the other twelve kinds the scan reads; the best of R reads is reported.
`--src` imports podgate from another checkout's src/ (to compare with an older client); the
fake always comes from this one. Connections are counted by the fake as it accepts them.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def objects(pods: int) -> dict[str, list[dict[str, Any]]]:
    spaces = [f"team-{i}" for i in range(20)]
    out: dict[str, list[dict[str, Any]]] = {
        "namespaces": [{"metadata": {"name": ns}} for ns in spaces],
        "serviceaccounts": [{"metadata": {"name": "default", "namespace": ns}} for ns in spaces],
        "pods": [],
        "replicasets": [],
        "deployments": [],
    }
    spec = {"containers": [{"name": "app", "image": "nginx", "securityContext": {}}]}
    for i in range(pods):
        ns, owner = spaces[i % 20], f"app-{i // 10}"
        ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{owner}-5d9"}
        out["pods"].append(
            {
                "metadata": {
                    "name": f"{owner}-5d9-{i}",
                    "namespace": ns,
                    "ownerReferences": [{**ref, "controller": True}],
                },
                "spec": spec,
            }
        )
        if i % 10 == 0:
            template = {"metadata": {"labels": {"app": owner}}, "spec": spec}
            workload = {"selector": {"matchLabels": {"app": owner}}, "template": template}
            out["deployments"].append(
                {"metadata": {"name": owner, "namespace": ns}, "spec": workload}
            )
            out["replicasets"].append(
                {"metadata": {"name": f"{owner}-5d9", "namespace": ns}, "spec": workload}
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(args.src.resolve()))
    live = importlib.import_module("podgate.io.live")
    from tests.kube_fake import FakeApi, make_pki

    with tempfile.TemporaryDirectory() as tmp:
        pki = make_pki(Path(tmp))
        api = FakeApi(pki, accept_tokens={"bench"})
        api.load(objects(args.pods))
        api.start()
        kubeconfig = Path(tmp, "kubeconfig")
        ca = base64.b64encode(pki.ca.read_bytes()).decode()
        kubeconfig.write_text(
            "current-context: bench\n"
            f"clusters: [{{name: c, cluster: {{server: '{api.url}', "
            f"certificate-authority-data: {ca}}}}}]\n"
            "users: [{name: u, user: {token: bench}}]\n"
            "contexts: [{name: bench, context: {cluster: c, user: u}}]\n"
        )
        best = float("inf")
        try:
            for _ in range(args.repeat):
                before, sent = api.connections, len(api.requests)
                started = time.perf_counter()
                read = live.read_cluster(str(kubeconfig), page_size=args.page_size)
                best = min(best, time.perf_counter() - started)
                connections, requests = api.connections - before, len(api.requests) - sent
        finally:
            api.stop()
    print(f"command: python benchmarks/bench_live_read.py --pods {args.pods} "
          f"--page-size {args.page_size} --repeat {args.repeat} --src {args.src}")  # fmt: skip
    print(f"podgate from {Path(live.__file__).resolve().parents[2]}")
    print(f"objects read: {len(read.documents)}  requests: {requests}  connections: {connections}")
    print(f"best of {args.repeat}: {best * 1000:.1f} ms")


if __name__ == "__main__":
    main()
