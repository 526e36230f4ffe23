"""Baseline: the default /proc masks are required.

Fields: every container's securityContext.procMount. Allowed: unset, `Default`.
v1.35: a user-namespace pod (`spec.hostUsers: false`) is allowed whatever the values.
At restricted, procMount_restricted replaces this check from v1.35 (same rule, no relaxation).
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import (
    containers_phrase,
    is_user_namespace_pod,
    join_quote,
    name_of,
    security_contexts,
    text,
)
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def forbidden_proc_mounts(spec: Obj) -> Forbidden | None:
    """The v1.0 rule, shared with procMount_restricted."""
    bad: list[str] | None = None
    kinds: set[str] = set()
    for c, sc in security_contexts(spec):
        if sc is None:
            continue
        value = sc.get("procMount")
        if value is None or value == "Default":
            continue
        if bad is None:
            bad = []
        bad.append(name_of(c))
        kinds.add(text(value))
    if bad is None:
        return None
    return (
        "procMount",
        f"{containers_phrase(bad)}"
        f" must not set securityContext.procMount to {join_quote(sorted(kinds))}",
    )


def _since_1_0(meta: Obj, spec: Obj) -> Forbidden | None:
    return forbidden_proc_mounts(spec)


def _since_1_35(meta: Obj, spec: Obj) -> Forbidden | None:
    if is_user_namespace_pod(spec):
        return None
    return forbidden_proc_mounts(spec)


CHECK = Check(
    CheckId("procMount"),
    Level.BASELINE,
    (Since(v1(0), _since_1_0), Since(v1(35), _since_1_35)),
)
