"""Each workload once: controllers through their pod template, the pods they own folded into
them, bare pods on their own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from podgate.k8s import Obj, PodSource, mapping
from podgate.k8s.kinds import WORKLOAD_KINDS
from podgate.k8s.packed import Packed, PackedDocument
from podgate.k8s.source import Document, Source

# The service account of kube-controller-manager's controller that creates each kind's pods
POD_CREATORS = {k.kind: k.creator for k in WORKLOAD_KINDS if k.creator is not None}


@dataclass(frozen=True, slots=True, order=True)
class WorkloadRef:
    namespace: str
    kind: str
    name: str

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else f"{self.kind} {self.name}"
        )


@dataclass(frozen=True, slots=True)
class Workload:
    ref: WorkloadRef
    api_version: str
    obj: Obj  # the object as read
    meta: Obj  # the pod (template) metadata
    spec: Obj  # the pod (template) spec
    spec_path: str  # where the pod spec is in the object: "spec", "spec.template.spec", ...
    source: Source | None
    pods: tuple[str, ...] = ()  # names of the pods in the input that this workload owns
    generic: bool = False  # found only through spec.template.spec
    owner: WorkloadRef | None = None  # the controlling owner its ownerReferences name
    owned: tuple[Workload, ...] = ()  # objects of the input folded into this one
    duplicates: tuple[Source | None, ...] = ()  # where else the same identity was read
    apart: str = ""  # why an owned object is reported on its own, not folded into its owner
    # the whole object, packed (scan/packed.py): then `obj`, `meta` and `spec` hold only what
    # is read of it before and after it is judged, and `packed.unpack()` the object
    packed: Packed | None = field(default=None, compare=False, repr=False)

    @property
    def spec_at(self) -> tuple[str, ...]:
        """`spec_path` as field path steps: ("spec", "template", "spec")."""
        return tuple(self.spec_path.split("."))

    @property
    def raw_meta(self) -> Any:
        """The pod's (or template's) metadata as read, whatever its type (`meta` reads a
        malformed one as empty)."""
        holder: Any = self.obj
        for key in self.spec_path.split(".")[:-1]:
            holder = holder[key]
        return holder.get("metadata")

    @property
    def is_pod(self) -> bool:
        return self.ref.kind == "Pod"

    @property
    def service_account(self) -> str:
        name = self.spec.get("serviceAccountName") or self.spec.get("serviceAccount")
        return name if isinstance(name, str) and name else "default"

    @property
    def creator(self) -> str | None:
        """The kube-controller-manager controller that creates this workload's pods: the
        controller of its kind, or for a pod, the controller of its owner's kind (whether or
        not the owner is in the input)."""
        if self.is_pod:
            return POD_CREATORS.get(self.owner.kind) if self.owner is not None else None
        return POD_CREATORS.get(self.ref.kind)

    def as_pod(self) -> dict[str, Any]:
        """The pod as PSP admission sees it: the pod itself, or the pod a controller creates
        from the template; with `serviceAccountName: default` when unset, as the
        ServiceAccount admission plugin sets it before PSP runs."""
        spec = self.spec
        if not spec.get("serviceAccountName"):
            spec = {**spec, "serviceAccountName": self.service_account}
        if self.is_pod:
            return {**self.obj, "spec": spec}
        meta = dict(self.meta)
        meta.setdefault("namespace", self.ref.namespace)
        meta.setdefault("name", f"{self.ref.name}-")
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


_Key = tuple[str, str, str]  # (namespace, kind, name)
_Owner = tuple[str, str, str]  # (kind, name, uid) of the controlling owner
_NO_META: Obj = {}


@dataclass(slots=True)
class _Entry:
    obj: Obj
    source: Source | None
    key: _Key
    found: PodSource
    owner: _Owner | None
    uid: str  # metadata.uid when it is a string, else ""
    named: bool  # whether metadata.name is a non-empty string (`_named`)
    packed: Packed | None
    parent: int | None = None  # the entry of its owner, when the input holds exactly one
    apart: str = ""


def _entry(doc: Document, found: PodSource, owners: dict[int, tuple[list[Any], _Owner]]) -> _Entry:
    """The entry of a document with a pod spec: its metadata read once (`find_workloads` reads
    tens of thousands of them, in the scan's serial part). `owners`: of each list of owner
    references read, by its id, (the list, its controlling owner): the replicas of a workload
    in a snapshot share one list (k8s/packed.py `Shared`), read once."""
    obj = doc.obj
    meta = obj.get("metadata")
    if not isinstance(meta, dict):  # (`mapping`)
        meta = _NO_META
    name = meta.get("name")
    # kubectl applies unnamespaced objects to "default"; an object with only `generateName`
    # gets a new name each time it is created, so two of them are never the same object
    key = (
        str(meta.get("namespace") or "default"),
        str(obj.get("kind") or ""),
        str(name or meta.get("generateName") or ""),
    )
    uid = meta.get("uid")
    given = meta.get("ownerReferences")
    owner = None
    if isinstance(given, list) and given:
        known = owners.get(id(given))
        if known is None:
            known = owners[id(given)] = (given, _owner(given))
        owner = known[1]
    return _Entry(
        obj,
        doc.source,
        key,
        found,
        owner,
        uid if isinstance(uid, str) else "",
        isinstance(name, str) and bool(name),
        doc.body if isinstance(doc, PackedDocument) else None,
    )


def _owner(given: list[Any]) -> _Owner:
    """(kind, name, uid) of the controlling owner among the owner references `given` (the
    first when none says it is the controller)."""
    refs = [mapping(r) for r in given]
    chosen = next((r for r in refs if r.get("controller") is True), refs[0])
    uid = chosen.get("uid")
    return (
        str(chosen.get("kind") or ""),
        str(chosen.get("name") or ""),
        uid if isinstance(uid, str) else "",
    )


def _resolve_owner(i: int, entries: list[_Entry], by_key: dict[_Key, list[int]]) -> None:
    """Set the entry of `entries[i]`'s owner: the one object of the input with the owner's
    kind, namespace and name (and uid, when both say one). When two objects could be the
    owner, folding into either could hide what the other would show: it stays on its own."""
    e = entries[i]
    if e.owner is None:
        return
    kind, name, uid = e.owner
    candidates = [c for c in by_key.get((e.key[0], kind, name), ()) if c != i]
    if uid:
        exact = [c for c in candidates if entries[c].uid == uid]
        candidates = exact or [c for c in candidates if not entries[c].uid]
    if len(candidates) == 1:
        e.parent = candidates[0]
    elif candidates:
        e.apart = (
            f"its owner {kind} {e.key[0]}/{name} is defined {len(candidates)} times in the "
            "input: which one owns it is not known, so it is judged on its own"
        )


def _root(i: int, entries: list[_Entry]) -> int:
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
    e: _Entry,
    duplicates: tuple[Source | None, ...],
    owner: WorkloadRef | None,
    owned: tuple[Workload, ...] = (),
) -> Workload:
    """The workload of `e`, with the objects `owned` folded into it."""
    src = e.found
    api = e.obj.get("apiVersion")
    ns, kind, name = e.key
    return Workload(
        WorkloadRef(ns, kind or "Unknown", name),
        api if isinstance(api, str) else "",
        e.obj,
        src.meta,
        src.spec,
        "spec" if not src.is_template else f"{src.path}.spec",
        e.source,
        tuple([o.ref.name for o in owned if o.is_pod]) if owned else (),
        src.generic,
        owner,
        owned,
        duplicates,
        e.apart,
        e.packed,
    )


def find_workloads(docs: Iterable[Document]) -> list[Workload]:
    """Every object with a pod spec, each judged where it was read, in input order of their
    top-level controller: a ReplicaSet owned by a Deployment in the input, a Job owned by a
    CronJob and the pods of any of them are folded into the controller (`owned`; the scan
    reports one on its own when it is judged differently). Objects that share an identity
    (kind, namespace, name) are all kept, each naming where the others were read
    (`duplicates`)."""
    entries: list[_Entry] = []
    by_key: dict[_Key, list[int]] = {}
    read: dict[int, tuple[list[Any], _Owner]] = {}
    for doc in docs:
        found = doc.pod
        if found is None:
            continue
        e = _entry(doc, found, read)
        same = by_key.get(e.key)
        if same is None:
            by_key[e.key] = [len(entries)]
        else:
            same.append(len(entries))
        entries.append(e)
    for i in range(len(entries)):
        _resolve_owner(i, entries, by_key)
    roots = [_root(i, entries) for i in range(len(entries))]
    # the replicas of a workload name one owner: one WorkloadRef of it (refs are compared by
    # value; a shared one is only written once)
    owners: dict[tuple[str, str, str], WorkloadRef] = {}

    def workload(i: int, owned: tuple[Workload, ...] = ()) -> Workload:
        e = entries[i]
        duplicates: tuple[Source | None, ...] = ()
        same = by_key[e.key]
        if len(same) > 1 and e.named:
            duplicates = tuple(entries[j].source for j in same if j != i and entries[j].named)
        owner = None
        if e.owner is not None:
            at = (e.key[0], e.owner[0] or "Unknown", e.owner[1])
            owner = owners.get(at)
            if owner is None:
                owner = owners[at] = WorkloadRef(*at)
        return _workload(e, duplicates, owner, owned)

    owned: dict[int, list[Workload]] = {}
    for i, root in enumerate(roots):
        if root != i:
            owned.setdefault(root, []).append(workload(i))
    return [workload(i, tuple(owned.get(i, ()))) for i, root in enumerate(roots) if root == i]


def service_accounts(workloads: Iterable[Workload], objs: Iterable[Obj]) -> list[tuple[str, str]]:
    """(namespace, name) of every ServiceAccount in the input and every one a workload runs as,
    sorted."""
    found: dict[tuple[str, str], None] = {}
    for obj in objs:
        if obj.get("kind") == "ServiceAccount":
            meta = mapping(obj.get("metadata"))
            found[(str(meta.get("namespace") or "default"), str(meta.get("name") or ""))] = None
    for w in workloads:
        found[(w.ref.namespace, w.service_account)] = None
    return sorted(found)
