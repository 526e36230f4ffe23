"""Workloads whose objects are packed (`k8s/packed.py`: a large snapshot's Pods and
workloads) are judged unpacked, one root and what is folded into it at a time (`unpacked`), and
their results keep them packed again (`lightened`), so that the objects never all exist at
once."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from podgate.k8s import Obj, pod_sources
from podgate.scan.inventory import Workload

if TYPE_CHECKING:  # the model imports the inventory, which imports this module's Packed
    from podgate.scan.model import WorkloadResult

__all__ = ["Originals", "lightened", "unpacked", "whole_object"]


Originals = dict[int, tuple[Workload, Workload]]
"""Of each workload `unpacked` made, by its id: (it, the packed workload it was made from). It
holds the workload made too, so that no other object can be given its id meanwhile."""


def unpacked(w: Workload, originals: Originals | None = None) -> Workload:
    """`w` with its object unpacked; the objects folded into it are left as they are (unpacked
    only when judged: `opened`). `originals` hears, of each workload unpacked, the packed one
    it was made from."""
    if w.packed is None or w.obj is not w.packed.head:  # not packed, or unpacked already
        return w
    obj = w.packed.unpack()
    found = pod_sources(obj)
    if found is None:  # packed only with a pod spec: `pack`
        raise ValueError(f"{w.ref}: no pod spec in the packed object")
    out = replace(w, obj=obj, meta=found.meta, spec=found.spec)
    if originals is not None:
        originals[id(out)] = (out, w)
    return out


def _light(w: Workload, originals: Originals) -> Workload:
    made, original = originals.get(id(w), (None, w))
    if made is w or (w.packed is not None and w.obj is w.packed.head and not w.owned):
        # `w` is as unpacked from it (or was never unpacked): lightened, it is that workload
        # again (its packed bytes kept, which its document holds anyway), and a result judged
        # by a --jobs worker names it without a copy (one the parent holds crosses back as a
        # reference)
        return original
    owned = tuple(_light(o, originals) for o in w.owned) if w.owned else ()
    if w.packed is None:
        return replace(w, owned=owned) if owned else w
    # the packed bytes stay only where the object may be compared whole (duplicate_notes): a
    # result judged by a --jobs worker comes back pickled, with a copy of what it holds
    packed = w.packed if w.duplicates else None
    return replace(w, obj=w.packed.head, meta={}, spec=w.packed.spec, owned=owned, packed=packed)


def lightened(r: WorkloadResult, originals: Originals | None = None) -> WorkloadResult:
    """The result `r` of an unpacked workload, keeping of the workload only what a report
    reads (its head and service account; its packed bytes where it is read twice), and of the
    PodSecurityPolicy decision only what a report reads (not the pod it admitted). A workload
    still as `unpacked` made it (`originals`) is the packed workload it was made from again."""
    if not _has_packed(r.workload):
        return r
    light = _light(r.workload, originals or {})
    psp = r.psp
    if psp is not None and r.workload.packed is not None:
        psp = replace(psp, decision=replace(psp.decision, object=light.obj))
    return replace(r, workload=light, psp=psp)


def _has_packed(w: Workload) -> bool:
    return w.packed is not None or any(_has_packed(o) for o in w.owned)


def whole_object(w: Workload) -> Obj:
    """`w`'s whole object, unpacked when it is packed."""
    return w.obj if w.packed is None else w.packed.unpack()
