"""Baseline: no privileged containers.

Fields: every container's securityContext.privileged. Allowed: unset, false.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import as_obj, containers, containers_phrase, name_of
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _since_1_0(meta: Obj, spec: Obj) -> Forbidden | None:
    bad: list[str] | None = None
    for c in containers(spec):
        sc = c.get("securityContext")
        if sc is None:
            continue
        if type(sc) is not dict:
            sc = as_obj(sc)
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
