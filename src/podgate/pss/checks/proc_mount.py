"""Baseline: the default /proc masks are required.

Fields: every container's securityContext.procMount. Allowed: unset, `Default`.
v1.35: a user-namespace pod (`spec.hostUsers: false`) is allowed whatever the values.
At restricted, procMount_restricted replaces this check from v1.35 (same rule, no relaxation).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from podgate.k8s import Obj
from podgate.pss.fields import (
    Contexts,
    containers_phrase,
    is_user_namespace_pod,
    join_quote,
    name_at,
    names_at,
    text,
)
from podgate.pss.model import Check, CheckId, Faults, Forbidden, Level, Since, v1


def _detail(names: Sequence[str], kinds: Iterable[str]) -> str:
    return (
        f"{containers_phrase(names)}"
        f" must not set securityContext.procMount to {join_quote(sorted(kinds))}"
    )


def forbidden_proc_mounts(contexts: Contexts) -> Forbidden | None:
    """The v1.0 rule, shared with procMount_restricted."""
    bad: list[int] | None = None
    kinds: dict[int, str] = {}
    for i, (_, sc) in enumerate(contexts):
        if sc is None:
            continue
        value = sc.get("procMount")
        if value is None or value == "Default":
            continue
        if bad is None:
            bad = []
        bad.append(i)
        kinds[i] = text(value)
    if bad is None:
        return None
    detail = _detail(names_at(contexts, bad), set(kinds.values()))
    return "procMount", detail, _each(contexts, kinds, detail)


def _each(contexts: Contexts, kinds: dict[int, str], detail: str) -> Faults:
    if len(kinds) == 1:
        return tuple([(i, detail) for i in kinds])
    return tuple([(i, _detail((name_at(contexts, i),), (kind,))) for i, kind in kinds.items()])


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    return forbidden_proc_mounts(contexts)


def _since_1_35(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    if is_user_namespace_pod(spec):
        return None
    return forbidden_proc_mounts(contexts)


CHECK = Check(
    CheckId("procMount"),
    Level.BASELINE,
    (Since(v1(0), _since_1_0), Since(v1(35), _since_1_35)),
)
