"""Restricted: containers must run as non-root.

Fields: spec.securityContext.runAsNonRoot and every container's securityContext.runAsNonRoot.
An explicit false anywhere fails (a pod-level false is not excused by containers); otherwise
every container must set true or be covered by a pod-level true. runAsUser is irrelevant.
v1.35: user-namespace pods (`spec.hostUsers: false`) are allowed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from podgate.k8s import Obj
from podgate.pss.fields import (
    FEW,
    Contexts,
    as_obj,
    is_user_namespace_pod,
    name_at,
    names_at,
    setters,
)
from podgate.pss.model import POD, Check, CheckId, Faults, Forbidden, Level, Since, v1

_REASON = "runAsNonRoot != true"
_POD_FALSE = "pod must not set securityContext.runAsNonRoot=false"


def _false_detail(pod: bool, names: Sequence[str]) -> str:
    return f"{setters(pod, names)} must not set securityContext.runAsNonRoot=false"


def _unset_detail(names: Sequence[str]) -> str:
    return f"pod or {setters(False, names)} must set securityContext.runAsNonRoot=true"


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    pod_bad = False
    pod_true = False
    psc = spec.get("securityContext")
    if psc is not None:
        value = (psc if type(psc) is dict else as_obj(psc)).get("runAsNonRoot")
        if value is True:
            pod_true = True
        elif value is not None:
            pod_bad = True
    explicit: list[int] | None = None
    implicit: list[int] | None = None
    for i, (_, sc) in enumerate(contexts):
        value = None if sc is None else sc.get("runAsNonRoot")
        if value is None:
            if not pod_true:
                if implicit is None:
                    implicit = [i]
                else:
                    implicit.append(i)
        elif value is not True:
            if explicit is None:
                explicit = [i]
            else:
                explicit.append(i)
    if pod_bad:
        detail = _false_detail(True, names_at(contexts, explicit or ()))
        return _REASON, detail, ((POD, _POD_FALSE),)
    if explicit is None:
        if implicit is None:
            return None
        if len(implicit) == 1:
            return _one_unset(implicit[0], name_at(contexts, implicit[0]))
        return (_many_unset_remembered if len(implicit) <= FEW else _many_unset)(
            tuple(implicit), tuple(names_at(contexts, implicit))
        )
    if implicit is None and len(explicit) == 1:
        return _one_false(explicit[0], name_at(contexts, explicit[0]))
    detail = _false_detail(False, names_at(contexts, explicit))
    return _REASON, detail, _each(contexts, sorted(explicit + (implicit or [])), explicit)


@functools.lru_cache(maxsize=1024)
def _one_unset(i: int, name: str) -> Forbidden:
    """The result when only container `i` is at fault, leaving it unset (remembered)."""
    detail = _unset_detail((name,))
    return _REASON, detail, ((i, detail),)


@functools.lru_cache(maxsize=1024)
def _one_false(i: int, name: str) -> Forbidden:
    """The result when only container `i` is at fault, setting false (remembered)."""
    detail = _false_detail(False, (name,))
    return _REASON, detail, ((i, detail),)


def _many_unset(bad: tuple[int, ...], names: tuple[str, ...]) -> Forbidden:
    """The result when containers `bad` (named `names`) leave it unset
    (remembered when few: `_many_unset_remembered`)."""
    faults = tuple([(i, _unset_detail((name,))) for i, name in zip(bad, names, strict=True)])
    return _REASON, _unset_detail(names), faults


# remembered for a few containers at fault (pods repeat templates); more are made afresh:
# a result holds every name, and a webhook's requester chooses how many
_many_unset_remembered = functools.lru_cache(maxsize=1024)(_many_unset)


def _each(contexts: Contexts, bad: Sequence[int], explicit: Sequence[int]) -> Faults:
    """Each container alone: its own false, or its own unset value."""
    out = []
    for i in bad:
        name = (name_at(contexts, i),)
        out.append((i, _false_detail(False, name) if i in explicit else _unset_detail(name)))
    return tuple(out)


def _since_1_35(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    if is_user_namespace_pod(spec):
        return None
    return _since_1_0(meta, spec, contexts)


CHECK = Check(
    CheckId("runAsNonRoot"),
    Level.RESTRICTED,
    (Since(v1(0), _since_1_0), Since(v1(35), _since_1_35)),
)
