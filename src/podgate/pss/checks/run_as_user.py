"""Restricted (v1.23+): containers may not run as UID 0.

Fields: spec.securityContext.runAsUser and every container's securityContext.runAsUser.
Allowed: unset or a non-zero integer; a pod-level 0 fails even if every container overrides it.
v1.35: user-namespace pods (`spec.hostUsers: false`) are allowed.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import as_obj, containers, is_user_namespace_pod, name_of, setters
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _root(sc: object) -> bool:
    """Whether a securityContext sets runAsUser to 0 (or to something that is not a UID)."""
    if sc is None:
        return False
    if type(sc) is not dict:
        sc = as_obj(sc)
    uid = sc.get("runAsUser")
    return uid is not None and not (type(uid) is int and uid != 0)


def _since_1_23(meta: Obj, spec: Obj) -> Forbidden | None:
    pod_bad = _root(spec.get("securityContext"))
    bad = [name_of(c) for c in containers(spec) if _root(c.get("securityContext"))]
    if not (pod_bad or bad):
        return None
    return "runAsUser=0", f"{setters(pod_bad, bad)} must not set runAsUser=0"


def _since_1_35(meta: Obj, spec: Obj) -> Forbidden | None:
    if is_user_namespace_pod(spec):
        return None
    return _since_1_23(meta, spec)


CHECK = Check(
    CheckId("runAsUser"),
    Level.RESTRICTED,
    (Since(v1(23), _since_1_23), Since(v1(35), _since_1_35)),
)
