"""Coverage-guided fuzzing (atheris, libFuzzer) of the webhook's AdmissionReview decoder and of
the YAML/JSON loader, for a bounded time; not part of the test suite.

    pip install 'podgate[fuzz]'          # atheris
    python benchmarks/fuzz_webhook.py --minutes 20 --runs 1000000

Two targets, each in a child process of its own (libFuzzer exits the process when done), with
the inputs split between them (`--loader-share`):

* `review`: the bytes drive either a raw body (decoded as the webhook decodes it: orjson, then
  `review.decide`) or, more often, structural mutations of valid AdmissionReviews (pod CREATE
  and UPDATE to /mutate and /validate, `pods/ephemeralcontainers` updates): values set,
  retyped or deleted anywhere in the document, privileged settings added, operations,
  namespaces and subresources changed. Every answer is checked: it must serialize, carry the
  request's uid (or ""), a boolean `allowed`, a status on a denial and a patch only with its
  type. The oracle for wrong allows: when the webhook allows a pod CREATE or UPDATE of a
  namespace it judges, the engine run directly (PodSecurityPolicy `admit_phase` on /mutate,
  `validate_phase` on /validate; the Pod Security Standards `evaluate` at the namespace's
  enforce level, on /validate, when the update is significant) must allow it too.
* `loader`: the bytes as a .yaml or .json file through `load_documents`, then through the
  webhook's namespace and policy sources' parsing. `LoadError`/`PodgateError` is the expected
  refusal; anything else is a crash.

A crash is any other exception, an internal error that `decide` caught (answered as a failure,
but a bug all the same) or an answer of the wrong shape; crashing inputs are written to
`--crashes DIR`. Prints inputs tried, crashes and wrong allows per target, and the command."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STATS_EVERY = 2000


def _need_atheris() -> Any:
    try:
        import atheris
    except ImportError:
        sys.stderr.write(
            "fuzz_webhook.py needs atheris (a coverage-guided fuzzer, on PyPI): "
            "pip install 'podgate[fuzz]' (or pip install atheris), then run it again\n"
        )
        raise SystemExit(2) from None
    return atheris


# -- the review target -----------------------------------------------------------------------------


def _seeds() -> list[dict[str, Any]]:
    restricted_sc = {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }

    def pod(ns: str, sc: dict[str, Any] | None) -> dict[str, Any]:
        c: dict[str, Any] = {"name": "app", "image": "nginx"}
        if sc is not None:
            c["securityContext"] = dict(sc)
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
            "spec": {"containers": [c], "serviceAccountName": "default"},
        }

    def review(op: str, new: dict[str, Any], old: dict[str, Any] | None, sub: str = "") -> Any:
        request: dict[str, Any] = {
            "uid": "0f7a2b4c-1111-2222-3333-444455556666",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "web",
            "namespace": new["metadata"]["namespace"],
            "operation": op,
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": new,
            "oldObject": old,
        }
        if sub:
            request["subResource"] = sub
        return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}

    out = []
    for ns in ("fz-restricted", "fz-baseline", "fz-plain"):
        for sc in (restricted_sc, None, {"privileged": True}):
            p = pod(ns, sc)
            out.append(review("CREATE", p, None))
            out.append(review("UPDATE", {**p, "metadata": {**p["metadata"], "labels": {}}}, p))
            debug = json.loads(json.dumps(p))
            debug["spec"]["ephemeralContainers"] = [
                {"name": "dbg", "image": "busybox", "securityContext": {"privileged": True}}
            ]
            out.append(review("UPDATE", debug, p, "ephemeralcontainers"))
    return out


NAMESPACES = {"fz-restricted": "restricted", "fz-baseline": "baseline", "fz-plain": ""}
VALUES: list[Any] = [
    None, True, False, 0, -1, 2**63, 1.5, "", "x", "0", "privileged", "restricted", "Pod",
    "CREATE", "UPDATE", "DELETE", "CONNECT", "pods", "ephemeralcontainers", "status", "exec",
    [], [None], [{}], {}, {"privileged": True}, {"runAsUser": 0}, {"type": "Unconfined"},
    {"add": ["SYS_ADMIN"]}, {"path": "/"}, "kube-system", "podgate-system", "fz-restricted",
    "fz-baseline", "fz-plain", "unknown-ns", "apps", "v1", "Unconfined", "localhost/x",
    "a" * 300, "\u0000", "\ud7ff",
]  # fmt: skip
KEYS = [
    "privileged", "hostNetwork", "hostPID", "hostIPC", "runAsUser", "runAsNonRoot",
    "securityContext", "capabilities", "add", "drop", "volumes", "hostPath", "seccompProfile",
    "type", "containers", "initContainers", "ephemeralContainers", "allowPrivilegeEscalation",
    "procMount", "appArmorProfile", "sysctls", "hostPort", "ports", "windowsOptions",
    "hostProcess", "operation", "subResource", "namespace", "kind", "resource", "group",
    "uid", "object", "oldObject", "dryRun", "userInfo", "username", "groups", "annotations",
    "kubernetes.io/psp", "metadata", "spec", "name", "image", "runtimeClassName",
]  # fmt: skip


def _containers(doc: Any) -> list[Any]:
    """Every dict/list inside `doc` (the places a mutation can touch)."""
    out: list[Any] = []
    stack = [doc]
    while stack and len(out) < 400:
        node = stack.pop()
        if isinstance(node, dict):
            out.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            out.append(node)
            stack.extend(node)
    return out


def _mutate(doc: Any, fdp: Any) -> None:
    for _ in range(fdp.ConsumeIntInRange(1, 6)):
        places = _containers(doc)
        if not places:
            return
        place = places[fdp.ConsumeIntInRange(0, len(places) - 1)]
        action = fdp.ConsumeIntInRange(0, 4)
        if action == 0:  # a copy: the document must stay a tree
            value: Any = json.loads(json.dumps(VALUES[fdp.ConsumeIntInRange(0, len(VALUES) - 1)]))
        elif action == 1:
            value = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
        elif action == 2:
            value = fdp.ConsumeInt(4)
        elif action == 3:  # a copy of another place (a container list elsewhere, ...)
            other = places[fdp.ConsumeIntInRange(0, len(places) - 1)]
            value = json.loads(json.dumps(other)) if other is not place else {}
        else:
            value = None
        if isinstance(place, dict):
            if place and fdp.ConsumeBool():
                keys = list(place)
                key = keys[fdp.ConsumeIntInRange(0, len(keys) - 1)]
            else:
                key = KEYS[fdp.ConsumeIntInRange(0, len(KEYS) - 1)]
            if action == 4 and key in place:
                del place[key]
            else:
                place[key] = value
        elif place and fdp.ConsumeBool():
            place[fdp.ConsumeIntInRange(0, len(place) - 1)] = value
        else:
            place.append(value)


class ReviewTarget:
    def __init__(self) -> None:
        from podgate.io.policies import load_policies
        from podgate.psp import admit_phase, validate_phase
        from podgate.pss import LATEST, evaluate, parse_level
        from podgate.pss.admission import IGNORED_POD_SUBRESOURCES, is_significant_pod_update
        from podgate.webhook.files import compile_policies
        from podgate.webhook.limits import clip_response
        from podgate.webhook.review import Settings, Sources, decide

        self.seeds = [json.dumps(s).encode() for s in _seeds()]
        policies = compile_policies(
            load_policies([str(ROOT / "examples" / "policies")], max_bytes=1 << 26)
        )

        class Policies:
            def current(self) -> Any:
                return policies

        class Namespaces:
            def labels(self, name: str) -> Any:
                if name not in NAMESPACES:
                    return None
                level = NAMESPACES[name]
                return {"pod-security.kubernetes.io/enforce": level} if level else {}

            def ready(self) -> bool:
                return True

        self.policies = policies
        self.settings = Settings(psp=True, pss=True)
        self.sources = Sources(Policies(), None, Namespaces())  # type: ignore[arg-type]
        self.decide = decide
        self.clip = clip_response
        self.admit_phase, self.validate_phase = admit_phase, validate_phase
        self.evaluate, self.parse_level, self.latest = evaluate, parse_level, LATEST
        self.ignored, self.significant = IGNORED_POD_SUBRESOURCES, is_significant_pod_update

    def one(self, data: bytes, fdp: Any) -> tuple[bool, bool]:
        """(crashed, wrong allow) for one input."""
        import orjson

        if fdp.ConsumeIntInRange(0, 7) == 0:
            body = fdp.ConsumeBytes(fdp.remaining_bytes())
        else:
            doc = json.loads(self.seeds[fdp.ConsumeIntInRange(0, len(self.seeds) - 1)])
            _mutate(doc, fdp)
            try:
                body = orjson.dumps(doc)
            except TypeError:  # nested past orjson's 255 levels: the server's decoder refuses it
                return False, False
        webhook = "mutate" if fdp.ConsumeBool() else "validate"
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return False, False  # the app answers that itself (a failure response)
        outcome = self.decide(webhook, doc, self.settings, self.sources)
        if ("decide", True) in outcome.errors:  # decide caught an exception: a bug all the same
            raise AssertionError(outcome.response["status"]["message"])
        response = self.clip(outcome.response)
        orjson.dumps({"response": response})
        self._check_shape(doc, response)
        if response.get("allowed") is True and not self._engine_allows(webhook, doc):
            return False, True
        return False, False

    def _check_shape(self, doc: Any, response: dict[str, Any]) -> None:
        from podgate.webhook.review import uid_of

        if response.get("uid") != uid_of(doc):
            raise AssertionError("uid not echoed")
        if not isinstance(response.get("allowed"), bool):
            raise AssertionError("allowed is not a boolean")
        if response["allowed"] is False and not isinstance(response.get("status"), dict):
            raise AssertionError("a denial without a status")
        if ("patch" in response) != ("patchType" in response):
            raise AssertionError("patch without patchType")

    def _engine_allows(self, webhook: str, doc: Any) -> bool:
        """False when the engine, run directly, denies a request the webhook judged."""
        request = doc.get("request") if isinstance(doc, dict) else None
        if not isinstance(request, dict):
            return True
        resource = request.get("resource")
        if not isinstance(resource, dict) or resource.get("resource") != "pods":
            return True
        if resource.get("group") not in (None, ""):
            return True
        op, ns = request.get("operation"), request.get("namespace")
        sub = request.get("subResource") or ""
        if op not in ("CREATE", "UPDATE") or ns not in NAMESPACES or sub in self.ignored:
            return True
        if webhook == "mutate" and (op != "CREATE" or sub):
            return True
        pod, old = request.get("object"), request.get("oldObject")
        if not isinstance(pod, dict):
            return True  # the webhook must have refused it; its shape check is tested elsewhere
        from podgate.k8s.identity import UserInfo

        user_info = request.get("userInfo") if isinstance(request.get("userInfo"), dict) else {}
        name = user_info.get("username") if isinstance(user_info, dict) else None
        groups = user_info.get("groups") if isinstance(user_info, dict) else None
        user = UserInfo(name, tuple(groups or ())) if isinstance(name, str) and name else None
        if op == "UPDATE" and sub == "" and isinstance(old, dict):
            from podgate.psp.admission import _only_gc_fields_changed

            if _only_gc_fields_changed(pod, old):
                return True
        if webhook == "mutate":
            return bool(self.admit_phase(self.policies, pod, ns, user, None).allowed)
        if not self.validate_phase(self.policies, pod, ns, user, None).allowed:
            return False
        level = NAMESPACES[ns] or "privileged"
        if op == "UPDATE" and isinstance(old, dict) and not self.significant(pod, old):
            return True
        meta = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
        spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
        return not self.evaluate(self.parse_level(level), self.latest, meta, spec)


# -- the loader target -----------------------------------------------------------------------------


class LoaderTarget:
    def __init__(self) -> None:
        from podgate.errors import PodgateError
        from podgate.io.loader import load_documents
        from podgate.webhook import files

        self.expected = (PodgateError,)
        self.load = load_documents
        self.files = files
        self.dir = Path(tempfile.mkdtemp(prefix="podgate-fuzz-", dir="/dev/shm"))
        seeds = []
        for sub in ("cluster", "policies", "rbac", "pods"):
            seeds += sorted((ROOT / "examples" / sub).glob("*.yaml"))
        self.seeds = [p.read_bytes() for p in seeds]

    def one(self, data: bytes, fdp: Any) -> tuple[bool, bool]:
        suffix = ".json" if fdp.ConsumeBool() else ".yaml"
        if fdp.ConsumeIntInRange(0, 3) == 0:
            raw = fdp.ConsumeBytes(fdp.remaining_bytes())
        else:  # a valid file with bytes spliced in
            seed = self.seeds[fdp.ConsumeIntInRange(0, len(self.seeds) - 1)]
            at = fdp.ConsumeIntInRange(0, len(seed))
            cut = fdp.ConsumeIntInRange(0, 64)
            raw = seed[:at] + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 256)) + seed[at + cut :]
        path = self.dir / f"input{suffix}"
        path.write_bytes(raw)
        try:
            docs = self.load([str(path)], max_bytes=1 << 20)
            self.files._namespace_labels(docs)
            self.files.compile_policies(d for d in docs if d.obj.get("kind") == "PodSecurityPolicy")
        except self.expected:
            pass
        return False, False


# -- running ---------------------------------------------------------------------------------------


def child(target_name: str, stats: Path, crashes: Path, libfuzzer_args: list[str]) -> None:
    atheris = _need_atheris()
    with atheris.instrument_imports(include=["podgate"]):
        import podgate.io.loader
        import podgate.psp
        import podgate.pss
        import podgate.webhook.files
        import podgate.webhook.review  # noqa: F401

    target = ReviewTarget() if target_name == "review" else LoaderTarget()
    counts = {"inputs": 0, "crashes": 0, "wrong_allows": 0}
    crashes.mkdir(parents=True, exist_ok=True)

    def save(kind: str, data: bytes, detail: str) -> None:
        name = f"{target_name}-{kind}-{counts['inputs']}"
        (crashes / name).write_bytes(data)
        (crashes / f"{name}.txt").write_text(detail)

    def test_one_input(data: bytes) -> None:
        counts["inputs"] += 1
        fdp = atheris.FuzzedDataProvider(data)
        try:
            _, wrong = target.one(data, fdp)
        except Exception:  # noqa: BLE001 - a crash: record it and go on
            counts["crashes"] += 1
            if counts["crashes"] <= 50:
                save("crash", data, traceback.format_exc())
        else:
            if wrong:
                counts["wrong_allows"] += 1
                if counts["wrong_allows"] <= 50:
                    save("wrong-allow", data, "the webhook allowed what the engine denies")
        if counts["inputs"] % STATS_EVERY == 0:
            stats.write_text(json.dumps(counts))

    sys.setrecursionlimit(10_000)
    atheris.Setup([sys.argv[0], *libfuzzer_args], test_one_input)
    try:
        atheris.Fuzz()
    finally:
        stats.write_text(json.dumps(counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="in all, both targets")
    parser.add_argument("--runs", type=int, default=1_000_000, help="inputs, both targets")
    parser.add_argument("--loader-share", type=float, default=0.3)
    parser.add_argument("--crashes", default="fuzz-crashes")
    parser.add_argument("--child", choices=["review", "loader"], help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.child:
        child(args.child, Path(args.stats), Path(args.crashes), rest)
        return
    _need_atheris()
    work = Path(tempfile.mkdtemp(prefix="podgate-fuzz-"))
    results = {}
    plan = [("review", 1 - args.loader_share), ("loader", args.loader_share)]
    started = time.monotonic()
    for name, share in plan:
        runs = int(args.runs * share)
        seconds = max(10, int(args.minutes * 60 * share))
        stats = work / f"{name}.json"
        cmd = [sys.executable, __file__, "--child", name, "--stats", str(stats),
               "--crashes", args.crashes, f"-runs={runs}", f"-max_total_time={seconds}",
               "-max_len=8192", "-rss_limit_mb=4096", "-print_final_stats=1"]  # fmt: skip
        print(f"fuzzing {name}: up to {runs} inputs or {seconds} s ...", flush=True)
        with open(work / f"{name}.log", "wb") as log:
            subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False,
                           timeout=seconds + 300)  # fmt: skip
        results[name] = json.loads(stats.read_text()) if stats.exists() else {}
        done = re.search(r"Done (\d+) runs", (work / f"{name}.log").read_text(errors="replace"))
        if done:  # libFuzzer's own count (the stats file is written every STATS_EVERY inputs)
            results[name]["inputs"] = int(done.group(1))
    elapsed = time.monotonic() - started
    total = {k: sum(r.get(k, 0) for r in results.values()) for k in ("inputs", "crashes",
                                                                      "wrong_allows")}  # fmt: skip
    print()
    for name, r in results.items():
        print(f"{name:8} inputs tried {r.get('inputs', 0):>9}, crashes {r.get('crashes', 0)}, "
              f"wrong allows {r.get('wrong_allows', 0)}")  # fmt: skip
    print(f"{'total':8} inputs tried {total['inputs']:>9}, crashes {total['crashes']}, "
          f"wrong allows {total['wrong_allows']} in {elapsed / 60:.1f} min")  # fmt: skip
    if total["crashes"] or total["wrong_allows"]:
        print(f"inputs and tracebacks: {os.path.abspath(args.crashes)}/")
    print(f"command: python benchmarks/fuzz_webhook.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
