"""Restricted (v1.22+): containers must drop ALL capabilities and may add only NET_BIND_SERVICE.

Fields: every container's securityContext.capabilities.drop (must contain the exact string
`ALL`) and .add (only `NET_BIND_SERVICE`). v1.25: Windows pods are allowed.
Replaces capabilities_baseline at restricted.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import (
    as_obj,
    containers_phrase,
    is_windows_pod,
    items,
    join_quote,
    name_of,
    security_contexts,
    text,
)
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1

_OVERRIDES = (CheckId("capabilities_baseline"),)


def _since_1_22(meta: Obj, spec: Obj) -> Forbidden | None:
    missing_drop: list[str] | None = None
    adding: list[str] | None = None
    bad_caps: set[str] = set()
    for c, sc in security_contexts(spec):
        caps = None if sc is None else sc.get("capabilities")
        if caps is None:
            if missing_drop is None:
                missing_drop = []
            missing_drop.append(name_of(c))
            continue
        if type(caps) is not dict:
            caps = as_obj(caps)
        drop = caps.get("drop")
        if drop is None or "ALL" not in (drop if type(drop) is list else items(drop)):
            if missing_drop is None:
                missing_drop = []
            missing_drop.append(name_of(c))
        add = caps.get("add")
        if add is not None:
            forbidden = False
            for cap in add if type(add) is list else items(add):
                if cap != "NET_BIND_SERVICE" or type(cap) is not str:
                    forbidden = True
                    bad_caps.add(cap if type(cap) is str else text(cap))
            if forbidden:
                if adding is None:
                    adding = []
                adding.append(name_of(c))
    if missing_drop is None and adding is None:
        return None
    details = []
    if missing_drop:
        details.append(
            f'{containers_phrase(missing_drop)} must set securityContext.capabilities.drop=["ALL"]'
        )
    if adding:
        details.append(
            f"{containers_phrase(adding)}"
            f" must not include {join_quote(sorted(bad_caps))} in securityContext.capabilities.add"
        )
    return "unrestricted capabilities", "; ".join(details)


def _since_1_25(meta: Obj, spec: Obj) -> Forbidden | None:
    if spec.get("os") is not None and is_windows_pod(spec):
        return None
    return _since_1_22(meta, spec)


CHECK = Check(
    CheckId("capabilities_restricted"),
    Level.RESTRICTED,
    (
        Since(v1(22), _since_1_22, overrides=_OVERRIDES),
        Since(v1(25), _since_1_25, overrides=_OVERRIDES),
    ),
)


def case_hints(spec: Obj) -> list[str]:
    """A hint for each container whose drop list names ALL in another case (`all`, `All`): the
    check compares case-sensitively, as upstream does, so only `ALL` satisfies it. Hints go
    beside upstream's violation, which stays as it is."""
    hints = []
    for c, sc in security_contexts(spec):
        caps = None if sc is None else sc.get("capabilities")
        drop = caps.get("drop") if isinstance(caps, dict) else None
        if not isinstance(drop, list) or "ALL" in drop:
            continue
        spelled = next((d for d in drop if isinstance(d, str) and d.upper() == "ALL"), None)
        if spelled is not None:
            hints.append(
                f'container "{name_of(c)}" drops {spelled!r}: capability names are compared '
                "case-sensitively, so only 'ALL' (upper case) drops every capability"
            )
    return hints
