"""Baseline: containers may add only the default capabilities.

Fields: every container's securityContext.capabilities.add. Allowed entries (exact,
case-sensitive): AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE,
SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT. `drop` is not examined.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import (
    as_obj,
    containers_phrase,
    items,
    join_quote,
    name_of,
    security_contexts,
    text,
)
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1

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


def _since_1_0(meta: Obj, spec: Obj) -> Forbidden | None:
    bad_containers: list[str] = []
    bad_caps: set[str] = set()
    for c, sc in security_contexts(spec):
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
        valid = True
        for cap in items(add):
            if not (type(cap) is str and cap in ALLOWED):
                valid = False
                bad_caps.add(text(cap))
        if not valid:
            bad_containers.append(name_of(c))
    if not bad_containers:
        return None
    return (
        "non-default capabilities",
        f"{containers_phrase(bad_containers)}"
        f" must not include {join_quote(sorted(bad_caps))} in securityContext.capabilities.add",
    )


CHECK = Check(CheckId("capabilities_baseline"), Level.BASELINE, (Since(v1(0), _since_1_0),))
