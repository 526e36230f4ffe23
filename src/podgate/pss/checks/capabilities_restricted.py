"""Restricted (v1.22+): containers must drop ALL capabilities and may add only NET_BIND_SERVICE.

Fields: every container's securityContext.capabilities.drop (must contain the exact string
`ALL`) and .add (only `NET_BIND_SERVICE`). v1.25: Windows pods are allowed.
Replaces capabilities_baseline at restricted.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from podgate.k8s import Obj
from podgate.pss.fields import (
    FEW,
    Contexts,
    as_obj,
    containers_phrase,
    is_windows_pod,
    items,
    join_quote,
    name_at,
    name_of,
    names_at,
    security_contexts,
    text,
)
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1

_OVERRIDES = (CheckId("capabilities_baseline"),)
_REASON = "unrestricted capabilities"


def _detail(missing_drop: Sequence[str], adding: Sequence[str], caps: Iterable[str]) -> str:
    """`<containers> must set ...drop=["ALL"]; <containers> must not include <caps> in ...add`,
    each part only when it names containers."""
    drop = (
        f'{containers_phrase(missing_drop)} must set securityContext.capabilities.drop=["ALL"]'
        if missing_drop
        else ""
    )
    if not adding:
        return drop
    add = (
        f"{containers_phrase(adding)}"
        f" must not include {join_quote(sorted(caps))} in securityContext.capabilities.add"
    )
    return f"{drop}; {add}" if drop else add


def _since_1_22(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    missing_drop: list[int] | None = None
    adding: dict[int, set[str]] | None = None
    for i, (_, sc) in enumerate(contexts):
        caps = None if sc is None else sc.get("capabilities")
        if caps is None:
            if missing_drop is None:
                missing_drop = [i]
            else:
                missing_drop.append(i)
            continue
        if type(caps) is not dict:
            caps = as_obj(caps)
        drop = caps.get("drop")
        if drop is None or "ALL" not in (drop if type(drop) is list else items(drop)):
            if missing_drop is None:
                missing_drop = [i]
            else:
                missing_drop.append(i)
        add = caps.get("add")
        if add is not None:
            found: set[str] | None = None
            for cap in add if type(add) is list else items(add):
                if cap != "NET_BIND_SERVICE" or type(cap) is not str:
                    if found is None:
                        found = set()
                    found.add(cap if type(cap) is str else text(cap))
            if found is not None:
                if adding is None:
                    adding = {}
                adding[i] = found
    if adding is None:
        if missing_drop is None:
            return None
        if len(missing_drop) == 1:
            return _no_drop(missing_drop[0], name_at(contexts, missing_drop[0]))
        return (_no_drops_remembered if len(missing_drop) <= FEW else _no_drops)(
            tuple(missing_drop), tuple(names_at(contexts, missing_drop))
        )
    bad = sorted({*(missing_drop or ()), *adding})
    return (_adding_remembered if len(bad) <= FEW else _adding)(
        tuple(missing_drop or ()),
        tuple([(i, tuple(sorted(found))) for i, found in adding.items()]),
        tuple(bad),
        tuple(names_at(contexts, bad)),
    )


@functools.lru_cache(maxsize=1024)
def _no_drop(i: int, name: str) -> Forbidden:
    """The result when only container `i` is at fault, for not dropping ALL (remembered)."""
    detail = _detail((name,), (), ())
    return _REASON, detail, ((i, detail),)


def _no_drops(bad: tuple[int, ...], names: tuple[str, ...]) -> Forbidden:
    """The result when containers `bad` (named `names`) do not drop ALL and add nothing
    forbidden (remembered when few: `_no_drops_remembered`)."""
    faults = tuple([(i, _detail((name,), (), ())) for i, name in zip(bad, names, strict=True)])
    return _REASON, _detail(names, (), ()), faults


# remembered for a few containers at fault (pods repeat templates); more are made afresh:
# a result holds every name, and a webhook's requester chooses how many
_no_drops_remembered = functools.lru_cache(maxsize=1024)(_no_drops)


def _adding(
    drops: tuple[int, ...],
    adding: tuple[tuple[int, tuple[str, ...]], ...],
    bad: tuple[int, ...],
    names: tuple[str, ...],
) -> Forbidden:
    """The result when containers `adding` add capabilities other than NET_BIND_SERVICE (each
    with the ones it adds, sorted) and containers `drops` do not drop ALL; `bad` are both, in
    order, named `names` (remembered when few: `_adding_remembered`)."""
    name_of_index = dict(zip(bad, names, strict=True))
    added = dict(adding)
    detail = _detail(
        [name_of_index[i] for i in drops],
        [name_of_index[i] for i, _ in adding],
        {cap for _, caps in adding for cap in caps},
    )
    if len(bad) == 1:
        return _REASON, detail, ((bad[0], detail),)
    dropping = set(drops)
    faults = []
    for i in bad:
        name = (name_of_index[i],)
        caps = added.get(i, ())
        faults.append((i, _detail(name if i in dropping else (), name if caps else (), caps)))
    return _REASON, detail, tuple(faults)


_adding_remembered = functools.lru_cache(maxsize=1024)(_adding)


def _since_1_25(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    if spec.get("os") is not None and is_windows_pod(spec):
        return None
    return _since_1_22(meta, spec, contexts)


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
