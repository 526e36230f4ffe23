"""Baseline: if a seccomp profile is set, it must be the runtime default or a local profile.

v1.0-v1.18, annotations only: metadata.annotations['seccomp.security.alpha.kubernetes.io/pod']
and ['container.seccomp.security.alpha.kubernetes.io/<name>'] for the pod's own container names;
allowed: `runtime/default`, `docker/default`, `localhost/*` (the empty string is forbidden).
v1.19+, fields only: spec.securityContext.seccompProfile.type and every container's
securityContext.seccompProfile.type; allowed: profile unset, `RuntimeDefault`, `Localhost`.
At restricted, seccompProfile_restricted replaces this check from v1.19.
"""

from __future__ import annotations

from collections.abc import Mapping

from podgate.k8s import Obj
from podgate.pss.fields import (
    as_obj,
    containers,
    join_quote,
    name_of,
    plural,
    quoted_annotation,
    security_contexts,
    setters,
    text,
)
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1

VALID_TYPES = frozenset({"RuntimeDefault", "Localhost"})
_POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
_MISSING = object()


def _valid_annotation(value: object) -> bool:
    return type(value) is str and (
        value in ("runtime/default", "docker/default") or value.startswith("localhost/")
    )


def _since_1_0(meta: Obj, spec: Obj) -> Forbidden | None:
    annotations = meta.get("annotations")
    if annotations is None:
        return None
    if not isinstance(annotations, Mapping):
        annotations = as_obj(annotations)
    forbidden: set[str] = set()
    value = annotations.get(_POD_KEY, _MISSING)
    if value is not _MISSING and not _valid_annotation(value):
        forbidden.add(quoted_annotation(_POD_KEY, value))
    for c in containers(spec):
        name = c.get("name")
        if type(name) is not str:
            continue  # no annotation key can name it
        key = _CONTAINER_PREFIX + name
        value = annotations.get(key, _MISSING)
        if value is not _MISSING and not _valid_annotation(value):
            forbidden.add(quoted_annotation(key, value))
    if not forbidden:
        return None
    return (
        "seccompProfile",
        f"forbidden {plural('annotation', 'annotations', len(forbidden))} "
        + ", ".join(sorted(forbidden)),
    )


def bad_type(profile: object) -> str | None:
    """The rendered type of a set seccompProfile when it is not allowed, else None."""
    kind = (profile if type(profile) is dict else as_obj(profile)).get("type")
    if type(kind) is str and kind in VALID_TYPES:
        return None
    return text(kind)


def _since_1_19(meta: Obj, spec: Obj) -> Forbidden | None:
    bad_types: set[str] | None = None
    pod_bad = False
    psc = spec.get("securityContext")
    if psc is not None:
        profile = (psc if type(psc) is dict else as_obj(psc)).get("seccompProfile")
        if profile is not None:
            kind = bad_type(profile)
            if kind is not None:
                pod_bad = True
                bad_types = {kind}
    bad: list[str] = []
    for c, sc in security_contexts(spec):
        if sc is None:
            continue
        profile = sc.get("seccompProfile")
        if profile is None:
            continue
        kind = bad_type(profile)
        if kind is not None:
            bad.append(name_of(c))
            if bad_types is None:
                bad_types = set()
            bad_types.add(kind)
    if bad_types is None:
        return None
    return (
        "seccompProfile",
        f"{setters(pod_bad, bad)} must not set securityContext.seccompProfile.type"
        f" to {join_quote(sorted(bad_types))}",
    )


CHECK = Check(
    CheckId("seccompProfile_baseline"),
    Level.BASELINE,
    (Since(v1(0), _since_1_0), Since(v1(19), _since_1_19)),
)
