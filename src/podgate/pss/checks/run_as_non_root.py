"""Restricted: containers must run as non-root.

Fields: spec.securityContext.runAsNonRoot and every container's securityContext.runAsNonRoot.
An explicit false anywhere fails (a pod-level false is not excused by containers); otherwise
every container must set true or be covered by a pod-level true. runAsUser is irrelevant.
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


def _since_1_0(meta: Obj, spec: Obj) -> Forbidden | None:
    pod_bad = False
    pod_true = False
    psc = spec.get("securityContext")
    if psc is not None:
        value = (psc if type(psc) is dict else as_obj(psc)).get("runAsNonRoot")
        if value is True:
            pod_true = True
        elif value is not None:
            pod_bad = True
    explicit: list[str] = []
    implicit: list[str] = []
    for c, sc in security_contexts(spec):
        value = None if sc is None else sc.get("runAsNonRoot")
        if value is None:
            if not pod_true:
                implicit.append(name_of(c))
        elif value is not True:
            explicit.append(name_of(c))
    if pod_bad or explicit:
        return (
            "runAsNonRoot != true",
            f"{setters(pod_bad, explicit)} must not set securityContext.runAsNonRoot=false",
        )
    if implicit:
        return (
            "runAsNonRoot != true",
            f"pod or {setters(False, implicit)} must set securityContext.runAsNonRoot=true",
        )
    return None


def _since_1_35(meta: Obj, spec: Obj) -> Forbidden | None:
    if is_user_namespace_pod(spec):
        return None
    return _since_1_0(meta, spec)


CHECK = Check(
    CheckId("runAsNonRoot"),
    Level.RESTRICTED,
    (Since(v1(0), _since_1_0), Since(v1(35), _since_1_35)),
)
