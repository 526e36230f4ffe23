"""Baseline: SELinux type restricted, no custom SELinux user or role.

Fields: spec.securityContext.seLinuxOptions and every container's
securityContext.seLinuxOptions: `type` (allowed: unset/"", container_t, container_init_t,
container_kvm_t; from v1.31 also container_engine_t), `user` and `role` (allowed: unset/"").
`level` is never examined.
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from podgate.k8s import Obj
from podgate.pss.fields import (
    Contexts,
    as_obj,
    join_quote,
    name_at,
    names_at,
    plural,
    setters,
    text,
)
from podgate.pss.model import POD, Check, CheckId, Faults, Forbidden, Level, Since, v1

_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_TYPES_1_31 = _TYPES_1_0 | {"container_engine_t"}
ALLOWED_TYPES = _TYPES_1_31  # every type some version allows (read by the export's probes)


class _Found:
    __slots__ = ("role", "types", "user")

    def __init__(self) -> None:
        self.types: set[str] = set()
        self.user = False
        self.role = False


def _valid(sc: object, allowed: Set[str], found: _Found) -> bool:
    """Whether a securityContext's seLinuxOptions are allowed; records what is not."""
    if sc is None:
        return True
    if type(sc) is not dict:
        sc = as_obj(sc)
    opts = sc.get("seLinuxOptions")
    if opts is None:
        return True
    if type(opts) is not dict:
        opts = as_obj(opts)
    valid = True
    kind = opts.get("type")
    if kind is not None and not (type(kind) is str and kind in allowed):
        valid = False
        found.types.add(text(kind))
    user = opts.get("user")
    if user is not None and user != "":
        valid = False
        found.user = True
    role = opts.get("role")
    if role is not None and role != "":
        valid = False
        found.role = True
    return valid


def _suspect(spec: Obj, contexts: Contexts) -> bool:
    """Whether any securityContext sets seLinuxOptions (or is not an object)."""
    sc = spec.get("securityContext")
    if sc is not None and (type(sc) is not dict or "seLinuxOptions" in sc):
        return True
    for _, sc in contexts:
        if sc is not None and (type(sc) is not dict or "seLinuxOptions" in sc):
            return True
    return False


def _detail(pod: bool, names: Sequence[str], found: _Found) -> str:
    problems: list[str] = []
    if found.types:
        problems.append(
            f"{plural('type', 'types', len(found.types))} {join_quote(sorted(found.types))}"
        )
    if found.user:
        problems.append("user may not be set")
    if found.role:
        problems.append("role may not be set")
    return f"{setters(pod, names)} set forbidden securityContext.seLinuxOptions: " + "; ".join(
        problems
    )


def _check(spec: Obj, contexts: Contexts, allowed: Set[str]) -> Forbidden | None:
    if not _suspect(spec, contexts):
        return None
    found = _Found()
    pod_bad = not _valid(spec.get("securityContext"), allowed, found)
    bad: dict[int, _Found] = {}
    for i, (_, sc) in enumerate(contexts):
        own = _Found()
        if not _valid(sc, allowed, own):
            bad[i] = own
            found.types |= own.types
            found.user |= own.user
            found.role |= own.role
    if not (pod_bad or bad):
        return None
    detail = _detail(pod_bad, names_at(contexts, bad), found)
    if pod_bad:
        pod = _Found()
        _valid(spec.get("securityContext"), allowed, pod)
        return "seLinuxOptions", detail, ((POD, _detail(True, (), pod)),)
    return "seLinuxOptions", detail, _each(contexts, bad, detail)


def _each(contexts: Contexts, bad: dict[int, _Found], detail: str) -> Faults:
    if len(bad) == 1:
        return tuple([(i, detail) for i in bad])
    return tuple([(i, _detail(False, (name_at(contexts, i),), own)) for i, own in bad.items()])


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    return _check(spec, contexts, _TYPES_1_0)


def _since_1_31(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    return _check(spec, contexts, _TYPES_1_31)


CHECK = Check(
    CheckId("seLinuxOptions"),
    Level.BASELINE,
    (Since(v1(0), _since_1_0), Since(v1(31), _since_1_31)),
)
