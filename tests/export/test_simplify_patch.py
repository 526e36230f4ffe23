"""`podgate simplify`'s per-workload patch applies to the workload object as written, also when
its pod template has no `metadata` (or `metadata: null`), and the patched object's pods are
admitted unchanged; checked with the independent `jsonpatch` library too."""

from __future__ import annotations

from typing import Any

import jsonpatch
import pytest

from podgate.export.cluster import Cluster, requester
from podgate.export.jsonpatch import PatchError, apply_patch
from podgate.export.simplify import simplify
from tests.psp_helpers import policy

SECCOMP_DEFAULT = policy(
    "defaults",
    annotations={
        "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
        "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
    },
    runAsUser={"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]},
    volumes=["*"],
)
POD_SPEC = {"containers": [{"name": "c", "image": "i"}]}


def deployment(template: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": template},
    }


def cronjob(template: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "cj", "namespace": "apps"},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}},
    }


TEMPLATES = {
    "no metadata": {"spec": POD_SPEC},
    "metadata null": {"metadata": None, "spec": POD_SPEC},
    "metadata without annotations": {"metadata": {"labels": {"a": "b"}}, "spec": POD_SPEC},
}


@pytest.mark.parametrize("make", [deployment, cronjob], ids=["Deployment", "CronJob"])
@pytest.mark.parametrize("template", list(TEMPLATES.values()), ids=list(TEMPLATES))
def test_patch_applies_to_a_template_without_metadata(make: Any, template: Any) -> None:
    obj = make(template)
    (result,) = simplify([SECCOMP_DEFAULT], [], [obj]).workloads
    assert result.patch, "PSP filled in the seccomp annotation and runAsUser"
    ops = list(result.patch)
    mine = apply_patch(obj, ops)
    theirs = jsonpatch.apply_patch(obj, ops)
    assert mine == theirs
    # the patched object's pods are admitted by the non-mutating clone without any change
    after = Cluster.from_objects([*simplify([SECCOMP_DEFAULT], [], []).policies, mine])
    (w,) = after.workloads
    decision = after.decide(w.as_pod(), "apps", requester(w))
    assert decision.allowed and not decision.mutated
    assert result.proved


def test_bare_pod_without_annotations_gets_them_added() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "apps"}}
    pod["spec"] = POD_SPEC
    (result,) = simplify([SECCOMP_DEFAULT], [], [pod]).workloads
    patched = apply_patch(pod, list(result.patch))
    assert patched["metadata"]["annotations"] == {
        "seccomp.security.alpha.kubernetes.io/pod": "runtime/default"
    }
    assert result.proved


@pytest.mark.parametrize(
    ("doc", "ops"),
    [
        ({}, [{"op": "add", "path": "/a/b", "value": 1}]),
        ({"a": [1]}, [{"op": "add", "path": "/a/2", "value": 1}]),
        ({"a": [1]}, [{"op": "add", "path": "/a/01", "value": 1}]),
        ({"a": 1}, [{"op": "remove", "path": "/b"}]),
        ({"a": 1}, [{"op": "test", "path": "/a", "value": True}]),
        ({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/c"}]),
        ({"a": 1}, [{"op": "replace", "path": "/b", "value": 2}]),
    ],
)
def test_apply_refuses_what_rfc_6902_refuses(doc: Any, ops: list[Any]) -> None:
    with pytest.raises(PatchError):
        apply_patch(doc, ops)
    with pytest.raises((jsonpatch.JsonPatchException, jsonpatch.JsonPointerException)):
        jsonpatch.apply_patch(doc, ops)


@pytest.mark.parametrize(
    ("doc", "ops"),
    [
        ({"a": [1, 2]}, [{"op": "add", "path": "/a/-", "value": 3}]),
        ({"a": [1, 2]}, [{"op": "add", "path": "/a/0", "value": 0}]),
        ({"a/b": {"m~n": 1}}, [{"op": "replace", "path": "/a~1b/m~0n", "value": 2}]),
        ({"a": {"b": 1}}, [{"op": "move", "from": "/a/b", "path": "/c"}]),
        ({"a": {"b": 1}}, [{"op": "copy", "from": "/a", "path": "/c"}]),
        (
            {"a": [1, 2]},
            [{"op": "remove", "path": "/a/0"}, {"op": "test", "path": "/a", "value": [2]}],
        ),
    ],
)
def test_apply_agrees_with_the_jsonpatch_library(doc: Any, ops: list[Any]) -> None:
    assert apply_patch(doc, ops) == jsonpatch.apply_patch(doc, ops)
