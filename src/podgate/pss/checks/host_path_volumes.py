"""Baseline: no hostPath volumes.

Fields: spec.volumes[*].hostPath. Allowed: unset.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import Contexts, entry, items, join_quote, name_of, plural
from podgate.pss.model import POD, Check, CheckId, Forbidden, Level, Since, v1


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    volumes = spec.get("volumes")
    if volumes is None:
        return None
    bad: list[str] = []
    for volume in items(volumes):
        vol = entry(volume)
        if vol.get("hostPath") is not None:
            bad.append(name_of(vol))
    if not bad:
        return None
    detail = f"{plural('volume', 'volumes', len(bad))} {join_quote(bad)}"
    return "hostPath volumes", detail, ((POD, detail),)


CHECK = Check(CheckId("hostPathVolumes"), Level.BASELINE, (Since(v1(0), _since_1_0),))
