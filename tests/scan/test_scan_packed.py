"""Workloads kept packed until they are judged (k8s/packed.py, scan/packed.py; issue 12 point 4).

What is unpacked is what was packed, types and order included; a scan of packed documents
judges and reports exactly as one of the same documents whole; a result keeps its workload
packed, not the objects judged; objects read twice are compared whole."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from podgate.errors import InternalError
from podgate.io.catalog import load_catalog
from podgate.io.loader import load_documents
from podgate.io.prepare import prepare
from podgate.k8s import pod_sources
from podgate.k8s.fold import fold_digest
from podgate.k8s.packed import Packed, PackedDocument, Shared, pack
from podgate.k8s.source import Document, Source
from podgate.pss import Level
from podgate.scan import ScanOptions, scan
from podgate.scan.coverage import duplicate_notes
from podgate.scan.inventory import find_workloads
from podgate.scan.owned import verdict_key
from podgate.scan.packed import unpacked

ROOT = Path(__file__).resolve().parents[2]
INPUTS = [
    str(ROOT / "tests" / "corpus" / name)
    for name in ("cluster-dump-api", "istio", "kube-prometheus", "rook")
] + [str(ROOT / "examples" / d) for d in ("cluster", "pods", "policies", "rbac")]


def _pod(name: str, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns", **meta},
        "spec": {"containers": [{"name": "c", "securityContext": {"privileged": True}}]},
    }


def _packed(obj: dict[str, Any], shared: Shared | None = None) -> PackedDocument:
    found = pod_sources(obj)
    assert found is not None
    return pack(obj, found, Source("f.json", 0, 1, 0), (), shared=shared)


def test_what_is_unpacked_is_what_was_packed_with_its_types_and_order() -> None:
    obj = _pod("p", labels={"b": "1", "a": "2"})
    obj["spec"] |= {"hostPID": True, "x": 1, "y": 1.0, "z": None, "w": [True, 1, 1.0, "1"]}
    got = _packed(obj).body.unpack()
    assert got == obj
    assert list(got["metadata"]["labels"]) == ["b", "a"]
    assert [type(v) for v in got["spec"]["w"]] == [bool, int, float, str]
    assert type(got["spec"]["x"]) is int and type(got["spec"]["y"]) is float


def test_a_packed_document_shows_only_its_head_and_where_its_pod_spec_is() -> None:
    obj = _pod("p", uid="u", labels={"a": "b"}, ownerReferences=[{"kind": "Job", "name": "j"}])
    obj["spec"]["serviceAccountName"] = "sa"
    doc = _packed(obj)
    assert doc.obj == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "ns",
            "uid": "u",
            "ownerReferences": [{"kind": "Job", "name": "j"}],
        },
    }
    assert doc.pod is not None and doc.pod.kind == "Pod" and not doc.pod.is_template
    assert doc.pod.spec == {"serviceAccountName": "sa"}
    assert doc.whole() == Document(obj, doc.source)


def test_equal_values_of_heads_are_shared_and_unequal_ones_never() -> None:
    shared = Shared()
    owners = [{"kind": "ReplicaSet", "name": "r", "controller": True}]
    a = _packed(_pod("a", ownerReferences=owners), shared)
    b = _packed(_pod("b", ownerReferences=json.loads(json.dumps(owners))), shared)
    one = [{"kind": "ReplicaSet", "name": "r", "controller": 1}]  # == owners in Python
    c = _packed(_pod("c", ownerReferences=one), shared)
    assert a.obj["metadata"]["ownerReferences"] is b.obj["metadata"]["ownerReferences"]
    assert a.obj["metadata"]["namespace"] is b.obj["metadata"]["namespace"]
    assert type(c.obj["metadata"]["ownerReferences"][0]["controller"]) is int
    assert shared.one([1.0]) is not shared.one([1])  # marshal writes their types


def test_prepare_keeps_a_packed_document_prepared_alike_and_prepares_one_packed_as_read() -> None:
    obj = _pod("p")
    as_read = _packed(obj)
    (prepared,) = prepare([as_read])
    assert isinstance(prepared, PackedDocument) and prepared.body.prepared is True
    assert prepared.whole().obj == prepare([Document(obj, as_read.source)])[0].obj
    assert prepare([prepared]) == [prepared] and prepare([prepared])[0] is prepared
    with pytest.raises(InternalError, match="defaults"):
        prepare([prepared], defaults=False)


def test_a_packed_item_with_a_field_of_the_wrong_type_is_refused_by_prepare() -> None:
    obj = _pod("p")
    obj["spec"]["containers"][0]["securityContext"] = "privileged"
    (refused,) = [_packed(obj)]
    with pytest.raises(Exception, match=r"not valid: spec\.containers\[0\]\.securityContext"):
        prepare([refused])


def _snapshot(tmp_path: Path) -> Path:
    """Every object of the corpora and examples, as one `v1 List`."""
    items = [d.obj for d in load_documents(INPUTS)]
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def _verdicts(result: Any) -> list[Any]:
    return [
        (
            r.workload.ref,
            r.workload.source,
            r.workload.pods,
            r.workload.apart,
            r.level,
            r.level_source,
            r.highest,
            r.violations,
            None if r.psp is None else (r.psp.allowed, r.psp.policy, r.psp.message, r.psp.patch),
            r.findings,
            r.workload.service_account,
        )
        for r in result.workloads
    ]


@pytest.mark.parametrize("level", [None, Level.RESTRICTED])
def test_a_scan_of_packed_documents_judges_as_one_of_the_same_documents_whole(
    tmp_path: Path, level: Level | None
) -> None:
    path = _snapshot(tmp_path)
    packed = prepare(load_documents([str(path)], trim=True, defaults=True))
    assert sum(isinstance(d, PackedDocument) for d in packed) > 10
    whole = prepare([d.whole() if isinstance(d, PackedDocument) else d for d in packed])
    options = ScanOptions(level=level, psp=True, today=dt.date(2026, 1, 1))
    a, b = scan(packed, load_catalog(), options), scan(whole, load_catalog(), options)
    assert _verdicts(a) == _verdicts(b)
    assert (a.findings, a.readiness, a.overview, a.notes) == (
        b.findings,
        b.readiness,
        b.overview,
        b.notes,
    )
    # each result keeps only the head of a packed workload: the objects judged are gone with
    # the judging
    light = [r for r in a.workloads if set(r.workload.obj) <= {"apiVersion", "kind", "metadata"}]
    assert len(light) > 5
    for r in light:
        assert r.psp is not None and r.psp.decision.object is r.workload.obj
        assert all("spec" not in o.obj for o in r.workload.owned)


def test_objects_read_twice_are_compared_whole_when_one_is_packed() -> None:
    same, other = _pod("p"), _pod("p")
    other["spec"]["hostPID"] = True
    for twin, how in ((same, "identical"), (other, "they differ")):
        docs = [_packed(_pod("p")), Document(twin, Source("g.json", 0, 1))]
        workloads = find_workloads(docs)
        assert workloads[0].packed is not None and workloads[1].packed is None
        (note,) = duplicate_notes(workloads)
        assert f"; {how})" in note


def _replica_set(tmp_path: Path, differing: bool) -> tuple[Any, Any]:
    """A snapshot of a ReplicaSet and its pods, one of which is judged differently when
    `differing`: (the result, the workloads the scan judged)."""
    owner = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r", "controller": True}]
    template = {"metadata": {}, "spec": _pod("t")["spec"]}
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "r", "namespace": "ns"},
        "spec": {"template": template},
    }
    pods = [_pod(f"p{i}", ownerReferences=owner) for i in range(4)]
    if differing:
        pods[3]["spec"]["hostPID"] = True
    path = tmp_path / "rs.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [rs, *pods]}))
    docs = prepare(load_documents([str(path)], trim=True, defaults=True))
    seen: list[Any] = []

    def judge_each(judge: Any, workloads: Any) -> Any:
        seen.extend(workloads)
        return map(judge, workloads)

    options = ScanOptions(level=Level.BASELINE, today=dt.date(2026, 1, 1))
    return scan(docs, load_catalog(), options, judge_each=judge_each), seen


def test_a_workload_judged_with_all_it_folds_is_the_inventory_s_own_again(tmp_path: Path) -> None:
    """What a --jobs worker sends back names the parent's own workloads (no copy crosses)."""
    result, (root,) = _replica_set(tmp_path, differing=False)
    (only,) = result.workloads
    assert root.packed is not None and len(root.owned) == 4
    assert only.workload is root


def test_a_pod_judged_differently_is_reported_apart_and_the_others_stay_the_inventory_s(
    tmp_path: Path,
) -> None:
    result, (root,) = _replica_set(tmp_path, differing=True)
    first, apart = result.workloads
    assert first.workload is not root
    assert first.workload.pods == ("p0", "p1", "p2")
    assert all(a is b for a, b in zip(first.workload.owned, root.owned[:3], strict=True))
    assert apart.workload.ref.name == "p3" and "judged differently" in apart.workload.apart
    assert apart.workload.obj is root.owned[3].obj  # its head, not the object judged
    assert apart.workload.packed is None and apart.workload.meta == {}


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_digest_a_packed_object_carries_is_the_one_its_object_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """An owned object is told apart by the digest it was packed with (by a --jobs worker
    too), never unpacked for it: that digest must be the one its object gives, so that it
    is folded exactly where the object, unpacked, would be."""
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")  # with 2 jobs, a worker packs spans too
    path = _snapshot(tmp_path)
    docs = prepare(load_documents([str(path)], trim=True, defaults=True, jobs=jobs))
    packed = [d for d in docs if isinstance(d, PackedDocument)]
    assert len(packed) > 10
    for d in packed:
        found = pod_sources(d.body.unpack())
        assert found is not None and d.body.fold == fold_digest(found.meta, found.spec)
    workloads = find_workloads(docs)
    every = [o for w in workloads for o in (w, *w.owned)]
    assert sum(w.packed is not None for w in every) == len(packed)
    for w in every:
        assert verdict_key(w) == verdict_key(replace(unpacked(w), packed=None))


def test_an_owned_object_that_reads_as_one_judged_before_is_never_unpacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpacked_names: list[str] = []
    real = Packed.unpack

    def counted(self: Packed) -> Any:
        unpacked_names.append(self.head["metadata"]["name"])
        return real(self)

    monkeypatch.setattr(Packed, "unpack", counted)
    result, _ = _replica_set(tmp_path, differing=True)
    # the ReplicaSet, its first pod, and the pod that differs: p1 and p2 read as p0
    assert unpacked_names == ["r", "p0", "p3"]
    first, apart = result.workloads
    assert first.workload.pods == ("p0", "p1", "p2") and apart.workload.ref.name == "p3"
