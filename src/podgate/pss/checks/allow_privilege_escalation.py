"""Restricted (v1.8+): privilege escalation must be disallowed explicitly.

Fields: every container's securityContext.allowPrivilegeEscalation. Allowed: false only (unset
fails). v1.25: Windows pods (`spec.os.name: windows`) are allowed.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import (
    containers_phrase,
    is_windows_pod,
    name_of,
    security_contexts,
)
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _since_1_8(meta: Obj, spec: Obj) -> Forbidden | None:
    bad: list[str] | None = None
    for c, sc in security_contexts(spec):
        if sc is not None and sc.get("allowPrivilegeEscalation") is False:
            continue
        if bad is None:
            bad = []
        bad.append(name_of(c))
    if bad is None:
        return None
    return (
        "allowPrivilegeEscalation != false",
        f"{containers_phrase(bad)} must set securityContext.allowPrivilegeEscalation=false",
    )


def _since_1_25(meta: Obj, spec: Obj) -> Forbidden | None:
    if spec.get("os") is not None and is_windows_pod(spec):
        return None
    return _since_1_8(meta, spec)


CHECK = Check(
    CheckId("allowPrivilegeEscalation"),
    Level.RESTRICTED,
    (Since(v1(8), _since_1_8), Since(v1(25), _since_1_25)),
)
