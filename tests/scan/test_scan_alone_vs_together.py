"""Attack on what a scan shares between objects: the PSS facts memo (pss/marks.py, registry's
`by_facts`), the folding of pods into their controller by digest (k8s/fold.py, scan/owned.py),
the PSP memo and the JSON report's batches. Many near-identical pods of one ReplicaSet, each
differing from the template in one or a few fields the checks read (or that look alike to a
digest: the token volume's name, annotations, ephemeral containers, `hostUsers`, `os`), are
scanned together, in one process and with a pool; each pod's verdict there (its own entry when
reported apart, else its controller's) must be the verdict it gets when scanned alone with its
controller, by a registry of its own that remembers nothing, so nothing is shared with another
pod (the pool's processes start from this one: they get the same registry)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate import pss
from podgate.cli.main import cli
from podgate.pss import registry

_UID = "rs-uid"
_TEMPLATE_SC = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "seccompProfile": {"type": "RuntimeDefault"},
}
_CONTAINER_SC: dict[str, list[Any]] = {
    "runAsUser": [None, 0, 1, 1000],
    "runAsNonRoot": [None, True, False],
    "allowPrivilegeEscalation": [None, False, True],
    "capabilities": [
        None,
        {"drop": ["ALL"]},
        {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        {"drop": ["ALL"], "add": ["SYS_ADMIN"]},
        {"drop": ["ALL"], "add": ["NET_RAW", "NET_BIND_SERVICE"]},
        {"add": ["NET_RAW"]},
        {"drop": ["all"]},
    ],
    "seccompProfile": [
        None,
        {"type": "RuntimeDefault"},
        {"type": "Unconfined"},
        {"type": "Localhost", "localhostProfile": "p.json"},
    ],
    "privileged": [None, False, True],
}
_POD_SC: dict[str, list[Any]] = {
    "runAsNonRoot": [None, True, False],
    "runAsUser": [None, 0, 5],
    "seccompProfile": [None, {"type": "RuntimeDefault"}, {"type": "Unconfined"}],
}
_ANNOTATIONS: list[dict[str, str] | None] = [
    None,
    {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"},
    {"container.apparmor.security.beta.kubernetes.io/app": "runtime/default"},
    {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"},
    {"other": "x"},
]


def _container(name: str, sc: dict[str, Any] | None) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": "nginx"}
    if sc is not None:
        c["securityContext"] = sc
    return c


def _template_spec() -> dict[str, Any]:
    return {"containers": [_container("app", copy.deepcopy(_TEMPLATE_SC))]}


def _variant(rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """A pod spec and metadata differing from the template in one to three places."""
    spec = _template_spec()
    meta: dict[str, Any] = {}
    sc = spec["containers"][0]["securityContext"]
    for _ in range(rng.randint(1, 3)):
        what = rng.randrange(9)
        if what <= 2:
            key = rng.choice(sorted(_CONTAINER_SC))
            value = copy.deepcopy(rng.choice(_CONTAINER_SC[key]))
            if value is None:
                sc.pop(key, None)
            else:
                sc[key] = value
        elif what == 3:
            psc = spec.setdefault("securityContext", {})
            key = rng.choice(sorted(_POD_SC))
            value = copy.deepcopy(rng.choice(_POD_SC[key]))
            if value is None:
                psc.pop(key, None)
            else:
                psc[key] = value
        elif what == 4:
            annotations = rng.choice(_ANNOTATIONS)
            if annotations is not None:
                meta["annotations"] = dict(annotations)
        elif what == 5:
            spec["hostUsers"] = rng.choice([False, True])
        elif what == 6:
            spec["os"] = {"name": rng.choice(["windows", "linux"])}
        elif what == 7:  # the token volume, or a hostPath volume looking like it
            suffix = rng.choice(["abcde", "vwxyz"])
            volume: dict[str, Any] = (
                {"projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}
                if rng.random() < 0.6
                else {"hostPath": {"path": "/"}}
            )
            spec["volumes"] = [{"name": f"kube-api-access-{suffix}", **volume}]
            spec["containers"][0]["volumeMounts"] = [
                {"name": f"kube-api-access-{suffix}", "mountPath": "/var/run/secrets",
                 "readOnly": rng.choice([True, False])}
            ]  # fmt: skip
        else:
            spec["ephemeralContainers"] = [
                _container("debug", rng.choice([None, {"privileged": True}, dict(_TEMPLATE_SC)]))
            ]
    return spec, meta


def _pod(i: int, spec: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": _UID,
             "controller": True}  # fmt: skip
    metadata = {"name": f"web-1-{i:04d}", "namespace": "shop", "ownerReferences": [owner], **meta}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def _replica_set() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-1", "namespace": "shop", "uid": _UID},
        "spec": {"template": {"metadata": {}, "spec": _template_spec()}},
    }


def _verdicts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    items: list[dict[str, Any]],
    remember: bool,
    *options: str,
) -> dict[str, Any]:
    """Each pod's verdict in one scan of `items` by a new registry (`remember`: whether it
    remembers pod shapes and facts, or runs the checks on every pod): (PSS violations, PSP
    outcome), its own when reported apart, else its controller's."""
    fresh = registry.Registry(registry._BUILTIN, builtin=registry._BUILTIN, remember=remember)
    for plans in fresh._compiled.values():
        for plan in plans if not remember else ():
            assert plan.by_shape is None
            plan.by_facts = None  # the checks themselves, on every pod (the reference)
    monkeypatch.setattr(pss, "_evaluate", fresh.evaluate)
    file = tmp_path / "items.json"
    file.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    result = CliRunner().invoke(
        cli, ["scan", str(file), "-o", "json", "--quiet", *options], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    out: dict[str, Any] = {}
    for w in report["workloads"]:
        verdict = json.dumps([w["pss"], w["psp"] and w["psp"].get("allowed")], sort_keys=True)
        if w["kind"] == "Pod":
            out[w["name"]] = verdict
        for name in w["pods"]:
            out[name] = verdict
    return out


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    "options",
    [
        ("--level", "restricted"),
        ("--level", "baseline"),
        ("--level", "restricted", "--policy", "builtin:restricted", "--jobs", "2"),
    ],
    ids=["restricted", "baseline", "psp-jobs2"],
)
def test_each_pod_is_judged_together_as_it_is_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, options: tuple[str, ...]
) -> None:
    rng = random.Random(seed)
    pods = [_pod(i, *_variant(rng)) for i in range(60)]
    together = _verdicts(tmp_path, monkeypatch, [_replica_set(), *pods], True, *options)
    assert len(together) == len(pods)
    for p in pods:
        alone = _verdicts(tmp_path, monkeypatch, [_replica_set(), p], False, *options)
        assert together[p["metadata"]["name"]] == alone[p["metadata"]["name"]], p
    assert len(set(together.values())) > 5  # the variants are judged in many different ways
