"""Restricted (v1.19+): a seccomp profile is required, the runtime default or a local one.

Fields: spec.securityContext.seccompProfile.type and every container's
securityContext.seccompProfile.type (annotations are ignored). Any profile set must have type
`RuntimeDefault` or `Localhost`, and every container must set one or be covered by a valid
pod-level one. v1.25: Windows pods are allowed. Replaces seccompProfile_baseline at restricted.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from podgate.k8s import Obj
from podgate.pss.checks.seccomp_profile_baseline import bad_type, types_detail
from podgate.pss.fields import (
    FEW,
    Contexts,
    as_obj,
    is_windows_pod,
    name_at,
    names_at,
    setters,
)
from podgate.pss.model import POD, Check, CheckId, Faults, Forbidden, Level, Since, v1

_OVERRIDES = (CheckId("seccompProfile_baseline"),)
_REASON = "seccompProfile"


def _unset_detail(names: Sequence[str]) -> str:
    return (
        f"pod or {setters(False, names)} must set securityContext.seccompProfile.type"
        ' to "RuntimeDefault" or "Localhost"'
    )


def _since_1_19(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    pod_type: str | None = None
    pod_set = False
    psc = spec.get("securityContext")
    if psc is not None:
        profile = (psc if type(psc) is dict else as_obj(psc)).get("seccompProfile")
        if profile is not None:
            pod_type = bad_type(profile)
            pod_set = pod_type is None
    explicit: dict[int, str] | None = None
    implicit: list[int] | None = None
    for i, (_, sc) in enumerate(contexts):
        profile = None if sc is None else sc.get("seccompProfile")
        if profile is None:
            if not pod_set:
                if implicit is None:
                    implicit = [i]
                else:
                    implicit.append(i)
            continue
        kind = bad_type(profile)
        if kind is not None:
            if explicit is None:
                explicit = {}
            explicit[i] = kind
    if pod_type is not None:
        found = explicit or {}
        detail = types_detail(True, names_at(contexts, found), {pod_type, *found.values()})
        return _REASON, detail, ((POD, types_detail(True, (), (pod_type,))),)
    if explicit is None:
        if implicit is None:
            return None
        if len(implicit) == 1:
            return _one_unset(implicit[0], name_at(contexts, implicit[0]))
        return (_many_unset_remembered if len(implicit) <= FEW else _many_unset)(
            tuple(implicit), tuple(names_at(contexts, implicit))
        )
    if implicit is None and len(explicit) == 1:
        for i, kind in explicit.items():
            return _one_bad(i, name_at(contexts, i), kind)
    detail = types_detail(False, names_at(contexts, explicit), set(explicit.values()))
    return _REASON, detail, _each(contexts, sorted({*explicit, *(implicit or ())}), explicit)


@functools.lru_cache(maxsize=1024)
def _one_unset(i: int, name: str) -> Forbidden:
    """The result when only container `i` is at fault, leaving it unset (remembered)."""
    detail = _unset_detail((name,))
    return _REASON, detail, ((i, detail),)


@functools.lru_cache(maxsize=1024)
def _one_bad(i: int, name: str, kind: str) -> Forbidden:
    """The result when only container `i` is at fault, setting type `kind` (remembered)."""
    detail = types_detail(False, (name,), (kind,))
    return _REASON, detail, ((i, detail),)


def _many_unset(bad: tuple[int, ...], names: tuple[str, ...]) -> Forbidden:
    """The result when containers `bad` (named `names`) set no profile
    (remembered when few: `_many_unset_remembered`)."""
    faults = tuple([(i, _unset_detail((name,))) for i, name in zip(bad, names, strict=True)])
    return _REASON, _unset_detail(names), faults


# remembered for a few containers at fault (pods repeat templates); more are made afresh:
# a result holds every name, and a webhook's requester chooses how many
_many_unset_remembered = functools.lru_cache(maxsize=1024)(_many_unset)


def _each(contexts: Contexts, bad: Sequence[int], explicit: dict[int, str]) -> Faults:
    """Each container alone: its own bad type, or its missing profile."""
    out = []
    for i in bad:
        name = (name_at(contexts, i),)
        kind = explicit.get(i)
        detail = _unset_detail(name) if kind is None else types_detail(False, name, (kind,))
        out.append((i, detail))
    return tuple(out)


def _since_1_25(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    if spec.get("os") is not None and is_windows_pod(spec):
        return None
    return _since_1_19(meta, spec, contexts)


CHECK = Check(
    CheckId("seccompProfile_restricted"),
    Level.RESTRICTED,
    (
        Since(v1(19), _since_1_19, overrides=_OVERRIDES),
        Since(v1(25), _since_1_25, overrides=_OVERRIDES),
    ),
)
