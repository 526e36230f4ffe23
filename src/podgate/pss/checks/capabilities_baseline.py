"""Baseline: containers may add only the default capabilities.

Fields: every container's securityContext.capabilities.add. Allowed entries (exact,
case-sensitive): AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE,
SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT. `drop` is not examined.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from podgate.k8s import Obj
from podgate.pss.fields import (
    Contexts,
    as_obj,
    containers_phrase,
    items,
    join_quote,
    name_at,
    names_at,
    text,
)
from podgate.pss.model import Check, CheckId, Faults, Forbidden, Level, Since, v1

ALLOWED = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def _detail(names: Sequence[str], caps: Iterable[str]) -> str:
    return (
        f"{containers_phrase(names)}"
        f" must not include {join_quote(sorted(caps))} in securityContext.capabilities.add"
    )


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    bad: dict[int, set[str]] = {}
    for i, (_, sc) in enumerate(contexts):
        if sc is None:
            continue
        caps = sc.get("capabilities")
        if caps is None:
            continue
        if type(caps) is not dict:
            caps = as_obj(caps)
        add = caps.get("add")
        if add is None:
            continue
        found: set[str] = set()
        for cap in items(add):
            if not (type(cap) is str and cap in ALLOWED):
                found.add(text(cap))
        if found:
            bad[i] = found
    if not bad:
        return None
    detail = _detail(names_at(contexts, bad), set().union(*bad.values()))
    return "non-default capabilities", detail, _each(contexts, bad, detail)


def _each(contexts: Contexts, bad: dict[int, set[str]], detail: str) -> Faults:
    if len(bad) == 1:
        return tuple([(i, detail) for i in bad])
    return tuple([(i, _detail((name_at(contexts, i),), caps)) for i, caps in bad.items()])


CHECK = Check(CheckId("capabilities_baseline"), Level.BASELINE, (Since(v1(0), _since_1_0),))
