"""Restricted (v1.23+): containers may not run as UID 0.

Fields: spec.securityContext.runAsUser and every container's securityContext.runAsUser.
Allowed: unset or a non-zero integer; a pod-level 0 fails even if every container overrides it.
v1.35: user-namespace pods (`spec.hostUsers: false`) are allowed.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import (
    as_obj,
    is_user_namespace_pod,
    name_of,
    security_contexts,
    setters,
)
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _root(uid: object) -> bool:
    """Whether a set runAsUser is 0 (or something that is not a UID)."""
    return not (type(uid) is int and uid != 0)


def _since_1_23(meta: Obj, spec: Obj) -> Forbidden | None:
    pod_bad = False
    psc = spec.get("securityContext")
    if psc is not None:
        uid = (psc if type(psc) is dict else as_obj(psc)).get("runAsUser")
        pod_bad = uid is not None and _root(uid)
    bad: list[str] | None = None
    for c, sc in security_contexts(spec):
        if sc is None:
            continue
        uid = sc.get("runAsUser")
        if uid is not None and _root(uid):
            if bad is None:
                bad = []
            bad.append(name_of(c))
    if not pod_bad and bad is None:
        return None
    return "runAsUser=0", f"{setters(pod_bad, bad or ())} must not set runAsUser=0"


def _since_1_35(meta: Obj, spec: Obj) -> Forbidden | None:
    if is_user_namespace_pod(spec):
        return None
    return _since_1_23(meta, spec)


CHECK = Check(
    CheckId("runAsUser"),
    Level.RESTRICTED,
    (Since(v1(23), _since_1_23), Since(v1(35), _since_1_35)),
)
