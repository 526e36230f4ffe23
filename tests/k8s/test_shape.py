"""The pod shape check: its fast path and its messages agree, on pods with random wrong types;
so do the manifest check's (`manifest=True`: whole floats made integers, IDs validated)."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

from podgate.io.loader import load_documents
from podgate.k8s import pod_sources
from podgate.k8s._shape_fits import fits_manifest
from podgate.k8s.pod_validation import id_errors
from podgate.k8s.shape import POD, _check, pod_shape_errors

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VALUES: list[Any] = ["x", 0, -1, True, None, [], {}, ["a"], [None], {"a": 1}, 1.5]
VALUES += [2**63, -(2**63) - 1, 2**64 - 1, 2**31, -(2**31) - 1, 1e19, -9.223372036854776e18]
VALUES += [2**31 - 1, 2**32, 1000.0, -0.0, 0.0, 4294967296.0, 1e21, -1.0]


def _manifest_agrees(pod: dict[str, Any]) -> bool:
    """Whether the manifest check's fast path says the pod fits exactly when its slow path
    finds nothing wrong and changes nothing (a whole float made an integer is a change)."""
    read = copy.deepcopy(pod)
    slow: list[str] = []
    _check(read, POD, "", slow, manifest=True)
    if not slow:
        slow = [str(e) for e in id_errors(read["spec"])]
    assert pod_shape_errors(copy.deepcopy(pod), manifest=True) == slow
    return fits_manifest(pod) == (not slow and repr(read) == repr(pod))


def _pods() -> list[dict[str, Any]]:
    out = []
    for doc in load_documents([str(EXAMPLES / "cluster"), str(EXAMPLES / "pods")]):
        src = pod_sources(doc.obj)
        if src is not None:
            out.append({"metadata": dict(src.meta), "spec": copy.deepcopy(dict(src.spec))})
    return out


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*at, i))
    return found


def test_fast_path_agrees_with_the_messages() -> None:
    rng = random.Random(5)
    pods = _pods()
    checked = failing = 0
    for _ in range(3000):
        pod = copy.deepcopy(rng.choice(pods))
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(_paths(pod)[1:])
            node = pod
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = copy.deepcopy(rng.choice(VALUES))
        slow: list[str] = []
        if isinstance(pod.get("spec"), dict):
            _check(pod, POD, "", slow)
            assert (pod_shape_errors(pod) == []) == (slow == []), (pod, slow)
            assert _manifest_agrees(pod), pod
            checked += 1
            failing += bool(slow)
    assert checked > 2000
    assert failing > 300  # the mutations do produce wrong types


def _planted(schema: Any, value: Any) -> list[Any]:
    """Values that fit `schema` but at one place, where `value` stands: one per place of the
    schema (a list holds one item, a map one entry)."""
    if isinstance(schema, str):
        return [value]
    if isinstance(schema, dict):
        return [{key: inner} for key, sub in schema.items() for inner in _planted(sub, value)]
    if isinstance(schema, list):
        return [value] + [[inner] for inner in _planted(schema[0], value)]
    return [value] + [{"k": inner} for inner in _planted(schema[1], value)]


def test_fast_path_agrees_with_the_messages_at_every_place_of_the_schema() -> None:
    checked = failing = 0
    for value in VALUES:
        for pod in _planted(POD, value):
            if not isinstance(pod.get("spec"), dict):
                continue
            slow: list[str] = []
            _check(pod, POD, "", slow)
            assert (pod_shape_errors(pod) == []) == (slow == []), (pod, slow)
            assert _manifest_agrees(pod), pod
            checked += 1
            failing += bool(slow)
    assert checked > 1000
    assert failing > 500
