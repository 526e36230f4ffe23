"""`find_workloads` reads each object's metadata once (its owner references once per list, which
the replicas of a snapshot share): it finds what the way it was written before finds, on the
corpora, on snapshots read packed, and on objects of every odd shape (metadata, names,
namespaces, uids and owner references of the wrong types, owners defined twice, ownership in
a cycle, identities read twice). The reference below is that way, as it was."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from podgate.io.loader import load_documents
from podgate.io.prepare import prepare
from podgate.k8s import Obj, PodSource, mapping, sequence
from podgate.k8s.packed import Packed, PackedDocument, Shared
from podgate.k8s.source import Document, Source
from podgate.scan.inventory import Workload, WorkloadRef, find_workloads
from tests.scan.test_scan_packed import _packed

ROOT = Path(__file__).resolve().parents[2]
CORPORA = sorted(
    [str(p) for p in (ROOT / "tests" / "corpus").iterdir() if p.is_dir()]
    + [str(ROOT / "examples" / d) for d in ("cluster", "pods", "policies", "rbac")]
)


# ---- the reference: scan/inventory.py's find_workloads before it read each metadata once ----

_Key = tuple[str, str, str]  # (namespace, kind, name)


@dataclass(slots=True)
class _RefEntry:
    obj: Obj
    source: Source | None
    key: _Key
    found: PodSource
    owner: tuple[str, str, str] | None  # (kind, name, uid) of the controlling owner
    parent: int | None = None  # the entry of its owner, when the input holds exactly one
    apart: str = ""
    packed: Packed | None = None


def _key(obj: Obj) -> _Key:
    meta = mapping(obj.get("metadata"))
    ns = str(meta.get("namespace") or "default")  # kubectl applies unnamespaced objects there
    return (ns, str(obj.get("kind") or ""), str(meta.get("name") or meta.get("generateName") or ""))


def _named(obj: Obj) -> bool:
    """Whether the object has a name (one with only `generateName` gets a new one each time it
    is created, so two of them are never the same object)."""
    name = mapping(obj.get("metadata")).get("name")
    return isinstance(name, str) and bool(name)


def _uid(obj: Obj) -> str:
    uid = mapping(obj.get("metadata")).get("uid")
    return uid if isinstance(uid, str) else ""


def _owner(obj: Obj) -> tuple[str, str, str] | None:
    """(kind, name, uid) of the controlling owner."""
    given = sequence(mapping(obj.get("metadata")).get("ownerReferences"))
    if not given:
        return None
    refs = [mapping(r) for r in given]
    chosen = next((r for r in refs if r.get("controller") is True), refs[0])
    uid = chosen.get("uid")
    return (
        str(chosen.get("kind") or ""),
        str(chosen.get("name") or ""),
        uid if isinstance(uid, str) else "",
    )


def _resolve_owner(i: int, entries: list[_RefEntry], by_key: dict[_Key, list[int]]) -> None:
    """Set the entry of `entries[i]`'s owner: the one object of the input with the owner's
    kind, namespace and name (and uid, when both say one). When two objects could be the
    owner, folding into either could hide what the other would show: it stays on its own."""
    e = entries[i]
    if e.owner is None:
        return
    kind, name, uid = e.owner
    candidates = [c for c in by_key.get((e.key[0], kind, name), []) if c != i]
    if uid:
        exact = [c for c in candidates if _uid(entries[c].obj) == uid]
        candidates = exact or [c for c in candidates if not _uid(entries[c].obj)]
    if len(candidates) == 1:
        e.parent = candidates[0]
    elif candidates:
        e.apart = (
            f"its owner {kind} {e.key[0]}/{name} is defined {len(candidates)} times in the "
            "input: which one owns it is not known, so it is judged on its own"
        )


def _root(i: int, entries: list[_RefEntry]) -> int:
    """The top-level controller `entries[i]` is folded into (itself when it has none in the
    input, or when ownership runs in a cycle)."""
    path = [i]
    j = entries[i].parent
    while j is not None:
        if j in path:
            entries[i].apart = "its owner references run in a cycle: it is judged on its own"
            return i
        path.append(j)
        j = entries[j].parent
    return path[-1]


def _workload(
    e: _RefEntry, duplicates: tuple[Source | None, ...], owned: tuple[Workload, ...] = ()
) -> Workload:
    """The workload of `e`, with the objects `owned` folded into it."""
    src = e.found
    api = e.obj.get("apiVersion")
    owner = None
    if e.owner is not None:
        owner = WorkloadRef(e.key[0], e.owner[0] or "Unknown", e.owner[1])
    return Workload(
        ref=WorkloadRef(e.key[0], e.key[1] or "Unknown", e.key[2]),
        api_version=api if isinstance(api, str) else "",
        obj=e.obj,
        meta=src.meta,
        spec=src.spec,
        spec_path="spec" if not src.is_template else f"{src.path}.spec",
        source=e.source,
        generic=src.generic,
        owner=owner,
        pods=tuple(o.ref.name for o in owned if o.is_pod),
        owned=owned,
        duplicates=duplicates,
        apart=e.apart,
        packed=e.packed,
    )


def reference_find_workloads(docs: Iterable[Document]) -> list[Workload]:
    """Every object with a pod spec, each judged where it was read, in input order of their
    top-level controller: a ReplicaSet owned by a Deployment in the input, a Job owned by a
    CronJob and the pods of any of them are folded into the controller (`owned`; the scan
    reports one on its own when it is judged differently). Objects that share an identity
    (kind, namespace, name) are all kept, each naming where the others were read
    (`duplicates`)."""
    entries: list[_RefEntry] = []
    by_key: dict[_Key, list[int]] = {}
    for doc in docs:
        found = doc.pod
        if found is None:
            continue
        obj = doc.obj
        key = _key(obj)
        by_key.setdefault(key, []).append(len(entries))
        packed = doc.body if isinstance(doc, PackedDocument) else None
        entries.append(_RefEntry(obj, doc.source, key, found, _owner(obj), packed=packed))
    for i in range(len(entries)):
        _resolve_owner(i, entries, by_key)
    roots = [_root(i, entries) for i in range(len(entries))]

    def duplicates(i: int) -> tuple[Source | None, ...]:
        e = entries[i]
        same = by_key[e.key]
        if len(same) < 2 or not _named(e.obj):
            return ()
        return tuple(entries[j].source for j in same if j != i and _named(entries[j].obj))

    owned: dict[int, list[Workload]] = {}
    for i, root in enumerate(roots):
        if root != i:
            owned.setdefault(root, []).append(_workload(entries[i], duplicates(i)))
    return [
        _workload(entries[i], duplicates(i), tuple(owned.get(i, ())))
        for i, root in enumerate(roots)
        if root == i
    ]


# ---- the comparison ----


def _same(got: list[Workload], want: list[Workload]) -> None:
    """Equal workloads (their packed objects, which equality leaves out, the same ones too)."""
    assert got == want
    pairs = list(zip(got, want, strict=True))
    while pairs:
        a, b = pairs.pop()
        assert a.packed is b.packed
        pairs.extend(zip(a.owned, b.owned, strict=True))


@pytest.mark.parametrize("path", CORPORA, ids=lambda p: Path(p).name)
def test_the_workloads_of_each_corpus_are_found_as_before(path: str) -> None:
    docs = prepare(load_documents([path]))
    _same(find_workloads(docs), reference_find_workloads(docs))


def test_the_workloads_of_a_snapshot_read_packed_are_found_as_before() -> None:
    docs = prepare(load_documents([str(ROOT / "tests" / "corpus" / "cluster-dump-api")]))
    shared = Shared()
    packed = [_packed(dict(d.obj), shared) if d.pod is not None else d for d in docs]
    assert any(isinstance(d, PackedDocument) for d in packed)
    _same(find_workloads(packed), reference_find_workloads(packed))


_ODD = [None, "", 0, 1, 1.5, True, [], {}, ["x"], {"a": "b"}]


def _odd(r: random.Random, *usual: Any) -> Any:
    return r.choice([*usual, *usual, *_ODD])


def _owner_refs(r: random.Random, names: list[str]) -> Any:
    if r.random() < 0.3:
        return _odd(r, [])
    refs: list[Any] = []
    for _ in range(r.randint(1, 3)):
        if r.random() < 0.1:
            refs.append(_odd(r))
            continue
        ref: dict[str, Any] = {}
        for key, usual in (
            ("kind", ("ReplicaSet", "Deployment", "Job", "CronJob", "StatefulSet")),
            ("name", tuple(names)),
            ("uid", ("u1", "u2", "")),
            ("controller", (True, False)),
        ):
            if r.random() < 0.8:
                ref[key] = _odd(r, *usual)
        refs.append(ref)
    return refs


def _objects(seed: int) -> list[dict[str, Any]]:
    """Objects of odd shapes that own each other, some read twice."""
    r = random.Random(seed)
    names = ["a", "b", "c", "a-1", "b-2"]
    objs = []
    for _ in range(r.randint(5, 40)):
        kind = r.choice(["Pod", "ReplicaSet", "Deployment", "Job", "CronJob", "StatefulSet"])
        spec: dict[str, Any] = {"containers": [{"name": "c"}]}
        if r.random() < 0.3:
            spec["serviceAccountName"] = _odd(r, "sa")
        obj: dict[str, Any] = {"apiVersion": _odd(r, "v1", "apps/v1"), "kind": kind}
        if r.random() < 0.1:
            del obj["apiVersion"]
        if kind == "Pod":
            obj["spec"] = spec
        elif kind == "CronJob":
            obj["spec"] = {"jobTemplate": {"spec": {"template": {"spec": spec}}}}
        else:
            obj["spec"] = {"template": {"metadata": {"labels": {"x": "y"}}, "spec": spec}}
        if r.random() < 0.05:
            obj["metadata"] = _odd(r)
        else:
            meta: dict[str, Any] = {}
            for key, usual in (
                ("name", tuple(names)),
                ("generateName", ("g-", "a")),  # "a": as another is named
                ("namespace", ("ns", "default", "other")),
                ("uid", ("u1", "u2", "u3")),
            ):
                if r.random() < 0.7:
                    meta[key] = _odd(r, *usual)
            if r.random() < 0.7:
                meta["ownerReferences"] = _owner_refs(r, names)
            obj["metadata"] = meta
        objs.append(obj)
        if r.random() < 0.15:  # read twice, alike or not
            objs.append(copy.deepcopy(obj) if r.random() < 0.5 else {**obj, "x": 1})
    return objs


@pytest.mark.parametrize("seed", range(300))
def test_the_workloads_of_objects_of_odd_shapes_are_found_as_before(seed: int) -> None:
    objs = _objects(seed)
    docs = [Document(o, Source("f.yaml", i, i + 1)) for i, o in enumerate(objs)]
    _same(find_workloads(docs), reference_find_workloads(docs))
    # the replicas of a snapshot share their owner references (one list, read once)
    shared_refs = [dict(o) for o in objs]
    lists: dict[str, Any] = {}
    for o in shared_refs:
        meta = o.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("ownerReferences"), list):
            key = repr(meta["ownerReferences"])
            o["metadata"] = {
                **meta,
                "ownerReferences": lists.setdefault(key, meta["ownerReferences"]),
            }
    docs = [Document(o, Source("f.yaml", i, i + 1)) for i, o in enumerate(shared_refs)]
    _same(find_workloads(docs), reference_find_workloads(docs))


def test_odd_shapes_make_owners_cycles_duplicates_and_objects_apart() -> None:
    """The odd objects reach every branch: folded objects, owners defined twice, cycles,
    identities read twice."""
    found = [
        w
        for seed in range(300)
        for w in find_workloads(
            [Document(o, Source("f.yaml", i, i + 1)) for i, o in enumerate(_objects(seed))]
        )
    ]
    every = [*found, *(o for w in found for o in w.owned)]
    assert any(w.owned for w in found)
    assert any(w.duplicates for w in every)
    assert any("cycle" in w.apart for w in every)
    assert any("defined" in w.apart for w in every)
    assert any(w.owner is not None and w.owner.kind == "Unknown" for w in every)
