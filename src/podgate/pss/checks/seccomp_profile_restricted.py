"""Restricted (v1.19+): a seccomp profile is required, the runtime default or a local one.

Fields: spec.securityContext.seccompProfile.type and every container's
securityContext.seccompProfile.type (annotations are ignored). Any profile set must have type
`RuntimeDefault` or `Localhost`, and every container must set one or be covered by a valid
pod-level one. v1.25: Windows pods are allowed. Replaces seccompProfile_baseline at restricted.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.checks.seccomp_profile_baseline import bad_profile_type
from podgate.pss.fields import (
    as_obj,
    containers,
    is_windows_pod,
    join_quote,
    name_of,
    setters,
)
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1

_OVERRIDES = (CheckId("seccompProfile_baseline"),)


def _since_1_19(meta: Obj, spec: Obj) -> Forbidden | None:
    bad_types: set[str] = set()
    psc = spec.get("securityContext")
    pod_bad = False
    pod_set = False
    if psc is not None:
        if type(psc) is not dict:
            psc = as_obj(psc)
        if psc.get("seccompProfile") is not None:
            pod_type = bad_profile_type(psc)
            if pod_type is None:
                pod_set = True
            else:
                pod_bad = True
                bad_types.add(pod_type)
    explicit: list[str] = []
    implicit: list[str] = []
    for c in containers(spec):
        sc = c.get("securityContext")
        if sc is not None:
            if type(sc) is not dict:
                sc = as_obj(sc)
            if sc.get("seccompProfile") is not None:
                c_type = bad_profile_type(sc)
                if c_type is not None:
                    explicit.append(name_of(c))
                    bad_types.add(c_type)
                continue
        if not pod_set:
            implicit.append(name_of(c))
    if pod_bad or explicit:
        return (
            "seccompProfile",
            f"{setters(pod_bad, explicit)} must not set securityContext.seccompProfile.type"
            f" to {join_quote(sorted(bad_types))}",
        )
    if implicit:
        return (
            "seccompProfile",
            f"pod or {setters(False, implicit)} must set securityContext.seccompProfile.type"
            ' to "RuntimeDefault" or "Localhost"',
        )
    return None


def _since_1_25(meta: Obj, spec: Obj) -> Forbidden | None:
    if is_windows_pod(spec):
        return None
    return _since_1_19(meta, spec)


CHECK = Check(
    CheckId("seccompProfile_restricted"),
    Level.RESTRICTED,
    (
        Since(v1(19), _since_1_19, overrides=_OVERRIDES),
        Since(v1(25), _since_1_25, overrides=_OVERRIDES),
    ),
)
