"""Baseline: no privileged containers.

Fields: every container's securityContext.privileged. Allowed: unset, false.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import containers_phrase, name_of, security_contexts
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _since_1_0(meta: Obj, spec: Obj) -> Forbidden | None:
    bad: list[str] | None = None
    for c, sc in security_contexts(spec):
        if sc is None:
            continue
        value = sc.get("privileged")
        if value is None or value is False:
            continue
        if bad is None:
            bad = []
        bad.append(name_of(c))
    if bad is None:
        return None
    return (
        "privileged",
        f"{containers_phrase(bad)} must not set securityContext.privileged=true",
    )


CHECK = Check(CheckId("privileged"), Level.BASELINE, (Since(v1(0), _since_1_0),))
