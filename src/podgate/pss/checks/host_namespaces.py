"""Baseline: no sharing of the host's namespaces.

Fields: spec.hostNetwork, spec.hostPID, spec.hostIPC. Allowed: unset, false.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import Contexts
from podgate.pss.model import POD, Check, CheckId, Forbidden, Level, Since, v1

_FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    found: list[str] | None = None
    for name in _FIELDS:
        value = spec.get(name)
        if value is not None and value is not False:
            if found is None:
                found = []
            found.append(f"{name}=true")
    if found is None:
        return None
    detail = ", ".join(found)
    return "host namespaces", detail, ((POD, detail),)


CHECK = Check(CheckId("hostNamespaces"), Level.BASELINE, (Since(v1(0), _since_1_0),))
