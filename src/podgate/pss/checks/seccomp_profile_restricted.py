"""Restricted (v1.19+): a seccomp profile is required, the runtime default or a local one.

Fields: spec.securityContext.seccompProfile.type and every container's
securityContext.seccompProfile.type (annotations are ignored). Any profile set must have type
`RuntimeDefault` or `Localhost`, and every container must set one or be covered by a valid
pod-level one. v1.25: Windows pods are allowed. Replaces seccompProfile_baseline at restricted.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.checks.seccomp_profile_baseline import bad_type
from podgate.pss.fields import (
    as_obj,
    is_windows_pod,
    join_quote,
    name_of,
    security_contexts,
    setters,
)
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1

_OVERRIDES = (CheckId("seccompProfile_baseline"),)


def _since_1_19(meta: Obj, spec: Obj) -> Forbidden | None:
    bad_types: set[str] | None = None
    pod_bad = False
    pod_set = False
    psc = spec.get("securityContext")
    if psc is not None:
        profile = (psc if type(psc) is dict else as_obj(psc)).get("seccompProfile")
        if profile is not None:
            kind = bad_type(profile)
            if kind is None:
                pod_set = True
            else:
                pod_bad = True
                bad_types = {kind}
    explicit: list[str] = []
    implicit: list[str] = []
    for c, sc in security_contexts(spec):
        profile = None if sc is None else sc.get("seccompProfile")
        if profile is None:
            if not pod_set:
                implicit.append(name_of(c))
            continue
        kind = bad_type(profile)
        if kind is not None:
            explicit.append(name_of(c))
            if bad_types is None:
                bad_types = set()
            bad_types.add(kind)
    if bad_types is not None:
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
    if spec.get("os") is not None and is_windows_pod(spec):
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
