"""Baseline: no privileged containers.

Fields: every container's securityContext.privileged. Allowed: unset, false.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from podgate.k8s import Obj
from podgate.pss.fields import FEW, Contexts, containers_phrase, name_at, names_at
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _detail(names: Sequence[str]) -> str:
    return f"{containers_phrase(names)} must not set securityContext.privileged=true"


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    bad: list[int] | None = None
    for i, (_, sc) in enumerate(contexts):
        if sc is not None:
            value = sc.get("privileged")
            if value is not None and value is not False:
                if bad is None:
                    bad = [i]
                else:
                    bad.append(i)
    if bad is None:
        return None
    if len(bad) == 1:
        return _one(bad[0], name_at(contexts, bad[0]))
    return (_many_remembered if len(bad) <= FEW else _many)(
        tuple(bad), tuple(names_at(contexts, bad))
    )


@functools.lru_cache(maxsize=1024)
def _one(i: int, name: str) -> Forbidden:
    """The result when only container `i` is at fault (remembered: pods repeat templates)."""
    detail = _detail((name,))
    return "privileged", detail, ((i, detail),)


def _many(bad: tuple[int, ...], names: tuple[str, ...]) -> Forbidden:
    """The result when containers `bad` (named `names`) are at fault
    (remembered when few: `_many_remembered`)."""
    faults = tuple([(i, _detail((name,))) for i, name in zip(bad, names, strict=True)])
    return "privileged", _detail(names), faults


# remembered for a few containers at fault (pods repeat templates); more are made afresh:
# a result holds every name, and a webhook's requester chooses how many
_many_remembered = functools.lru_cache(maxsize=1024)(_many)


CHECK = Check(CheckId("privileged"), Level.BASELINE, (Since(v1(0), _since_1_0),))
