"""Baseline: if a seccomp profile is set, it must be the runtime default or a local profile.

v1.0-v1.18, annotations only: metadata.annotations['seccomp.security.alpha.kubernetes.io/pod']
and ['container.seccomp.security.alpha.kubernetes.io/<name>'] for the pod's own container names;
allowed: `runtime/default`, `docker/default`, `localhost/*` (the empty string is forbidden).
v1.19+, fields only: spec.securityContext.seccompProfile.type and every container's
securityContext.seccompProfile.type; allowed: profile unset, `RuntimeDefault`, `Localhost`.
At restricted, seccompProfile_restricted replaces this check from v1.19.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from podgate.k8s import Obj
from podgate.pss.fields import (
    Contexts,
    as_obj,
    join_quote,
    name_at,
    names_at,
    plural,
    quoted_annotation,
    setters,
    text,
)
from podgate.pss.model import POD, Check, CheckId, Faults, Forbidden, Level, Since, v1

VALID_TYPES = frozenset({"RuntimeDefault", "Localhost"})
_POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
_MISSING = object()


def _valid_annotation(value: object) -> bool:
    return type(value) is str and (
        value in ("runtime/default", "docker/default") or value.startswith("localhost/")
    )


def _annotations_detail(forbidden: Iterable[str]) -> str:
    shown = sorted(forbidden)
    return f"forbidden {plural('annotation', 'annotations', len(shown))} " + ", ".join(shown)


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    annotations = meta.get("annotations")
    if annotations is None:
        return None
    if not isinstance(annotations, Mapping):
        annotations = as_obj(annotations)
    value = annotations.get(_POD_KEY, _MISSING)
    pod = None
    if value is not _MISSING and not _valid_annotation(value):
        pod = quoted_annotation(_POD_KEY, value)
    bad: dict[int, str] = {}
    for i, (c, _) in enumerate(contexts):
        name = c.get("name")
        if type(name) is not str:
            continue  # no annotation key can name it
        key = _CONTAINER_PREFIX + name
        value = annotations.get(key, _MISSING)
        if value is not _MISSING and not _valid_annotation(value):
            bad[i] = quoted_annotation(key, value)
    if pod is None and not bad:
        return None
    detail = _annotations_detail({*bad.values()} if pod is None else {pod, *bad.values()})
    if pod is not None:
        return "seccompProfile", detail, ((POD, _annotations_detail((pod,))),)
    if len(bad) == 1:
        return "seccompProfile", detail, tuple([(i, detail) for i in bad])
    return (
        "seccompProfile",
        detail,
        tuple([(i, _annotations_detail((annotation,))) for i, annotation in bad.items()]),
    )


def bad_type(profile: object) -> str | None:
    """The rendered type of a set seccompProfile when it is not allowed, else None."""
    kind = (profile if type(profile) is dict else as_obj(profile)).get("type")
    if type(kind) is str and kind in VALID_TYPES:
        return None
    return text(kind)


def pod_bad_type(spec: Obj) -> str | None:
    """The rendered type of the pod's seccompProfile when it is set and not allowed."""
    psc = spec.get("securityContext")
    if psc is None:
        return None
    profile = (psc if type(psc) is dict else as_obj(psc)).get("seccompProfile")
    return None if profile is None else bad_type(profile)


def types_detail(pod: bool, names: Sequence[str], types: Iterable[str]) -> str:
    """`<setters> must not set securityContext.seccompProfile.type to <types>`."""
    return (
        f"{setters(pod, names)} must not set securityContext.seccompProfile.type"
        f" to {join_quote(sorted(types))}"
    )


def _since_1_19(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    pod_type = pod_bad_type(spec)
    bad: dict[int, str] | None = None
    for i, (_, sc) in enumerate(contexts):
        if sc is None:
            continue
        profile = sc.get("seccompProfile")
        if profile is None:
            continue
        kind = bad_type(profile)
        if kind is not None:
            if bad is None:
                bad = {}
            bad[i] = kind
    if pod_type is None and bad is None:
        return None
    found = bad or {}
    types = {*found.values()} if pod_type is None else {pod_type, *found.values()}
    detail = types_detail(pod_type is not None, names_at(contexts, found), types)
    if pod_type is not None:
        return "seccompProfile", detail, ((POD, types_detail(True, (), (pod_type,))),)
    return "seccompProfile", detail, _each(contexts, found, detail)


def _each(contexts: Contexts, bad: dict[int, str], detail: str) -> Faults:
    if len(bad) == 1:
        return tuple([(i, detail) for i in bad])
    return tuple([(i, types_detail(False, (name_at(contexts, i),), (t,))) for i, t in bad.items()])


CHECK = Check(
    CheckId("seccompProfile_baseline"),
    Level.BASELINE,
    (Since(v1(0), _since_1_0), Since(v1(19), _since_1_19)),
)
