"""Restricted (v1.23+): containers may not run as UID 0.

Fields: spec.securityContext.runAsUser and every container's securityContext.runAsUser.
Allowed: unset or a non-zero integer; a pod-level 0 fails even if every container overrides it.
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
from podgate.pss.model import POD, Check, CheckId, Forbidden, Level, Since, v1

_REASON = "runAsUser=0"
_POD = "pod must not set runAsUser=0"


def _root(uid: object) -> bool:
    """Whether a set runAsUser is 0 (or something that is not a UID)."""
    return not (type(uid) is int and uid != 0)


def _detail(pod: bool, names: Sequence[str]) -> str:
    return f"{setters(pod, names)} must not set runAsUser=0"


def _since_1_23(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    pod_bad = False
    psc = spec.get("securityContext")
    if psc is not None:
        uid = (psc if type(psc) is dict else as_obj(psc)).get("runAsUser")
        pod_bad = uid is not None and _root(uid)
    bad: list[int] | None = None
    for i, (_, sc) in enumerate(contexts):
        if sc is None:
            continue
        uid = sc.get("runAsUser")
        if uid is not None and _root(uid):
            if bad is None:
                bad = [i]
            else:
                bad.append(i)
    if pod_bad:
        return _REASON, _detail(True, names_at(contexts, bad or ())), ((POD, _POD),)
    if bad is None:
        return None
    if len(bad) == 1:
        return _one(bad[0], name_at(contexts, bad[0]))
    return (_many_remembered if len(bad) <= FEW else _many)(
        tuple(bad), tuple(names_at(contexts, bad))
    )


@functools.lru_cache(maxsize=1024)
def _one(i: int, name: str) -> Forbidden:
    """The result when only container `i` is at fault (remembered: pods repeat templates)."""
    detail = _detail(False, (name,))
    return _REASON, detail, ((i, detail),)


def _many(bad: tuple[int, ...], names: tuple[str, ...]) -> Forbidden:
    """The result when containers `bad` (named `names`) are at fault
    (remembered when few: `_many_remembered`)."""
    faults = tuple([(i, _detail(False, (name,))) for i, name in zip(bad, names, strict=True)])
    return _REASON, _detail(False, names), faults


# remembered for a few containers at fault (pods repeat templates); more are made afresh:
# a result holds every name, and a webhook's requester chooses how many
_many_remembered = functools.lru_cache(maxsize=1024)(_many)


def _since_1_35(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    if is_user_namespace_pod(spec):
        return None
    return _since_1_23(meta, spec, contexts)


CHECK = Check(
    CheckId("runAsUser"),
    Level.RESTRICTED,
    (Since(v1(23), _since_1_23), Since(v1(35), _since_1_35)),
)
