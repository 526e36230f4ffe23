"""Baseline: AppArmor may not be disabled or overridden with an unknown profile.

Fields: spec.securityContext.appArmorProfile.type and every container's
securityContext.appArmorProfile.type (allowed: profile unset, `RuntimeDefault`, `Localhost`);
metadata.annotations['container.apparmor.security.beta.kubernetes.io/*'] for any suffix
(allowed: empty, `runtime/default`, `localhost/*`). The field rules apply from v1.0 on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from podgate.k8s import Obj
from podgate.pss.fields import (
    Contexts,
    Malformed,
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

_ALLOWED_TYPES = frozenset({"RuntimeDefault", "Localhost"})
ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _bad_type(sc: object) -> str | None:
    """The bad profile type set in a securityContext, or None when it is allowed."""
    if sc is None:
        return None
    sc = as_obj(sc)
    profile = sc.get("appArmorProfile")
    if profile is None:
        return None
    if type(profile) is not dict:
        profile = as_obj(profile)
    kind = profile.get("type")
    if type(kind) is str and kind in _ALLOWED_TYPES:
        return None
    return text(kind)


def _is_map(value: object) -> bool:
    """A real mapping (not `Malformed`, which has no keys to iterate)."""
    return type(value) is dict or (isinstance(value, Mapping) and type(value) is not Malformed)


def allowed_annotation(value: object) -> bool:
    """Whether an AppArmor annotation's value is allowed (the screen asks it too)."""
    if value is None:  # a null map value decodes to ""
        return True
    return type(value) is str and (
        value in ("", "runtime/default") or value.startswith("localhost/")
    )


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    # Fast path: nothing to look at unless a profile or an AppArmor annotation is set.
    annotations = meta.get("annotations")
    suspect = False
    if annotations is not None:
        if _is_map(annotations):
            for key in annotations:
                if key.__class__ is str and key.startswith(ANNOTATION_PREFIX):
                    suspect = True
                    break
        else:
            suspect = True
    if not suspect:
        sc = spec.get("securityContext")
        suspect = sc is not None and (type(sc) is not dict or "appArmorProfile" in sc)
    if not suspect:
        for _, sc in contexts:
            if sc is not None and (type(sc) is not dict or "appArmorProfile" in sc):
                suspect = True
                break
    if not suspect:
        return None
    return _forbidden(meta, spec, contexts)


def _result(
    pod_type: str | None, names: Sequence[str], types: Iterable[str], annotations: list[str]
) -> tuple[str, str]:
    """(reason, detail) for what the pod (its type and annotations) and the containers `names`
    set."""
    who = setters(pod_type is not None, names)
    values = sorted(types)
    if annotations:
        annotations.sort()
        values.extend(annotations)
        label = plural("annotation", "annotations", len(annotations))
        who = f"{who} and {label}" if who else label
    return (
        plural("forbidden AppArmor profile", "forbidden AppArmor profiles", len(values)),
        f"{who} must not set AppArmor profile type to {join_quote(values)}",
    )


def _forbidden(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    pod_type = _bad_type(spec.get("securityContext"))

    bad: dict[int, str] = {}
    for i, (_, sc) in enumerate(contexts):
        c_type = _bad_type(sc)
        if c_type is not None:
            bad[i] = c_type

    bad_annotations: list[str] = []
    annotations = meta.get("annotations")
    if annotations is not None:
        if _is_map(annotations):
            for key, value in annotations.items():
                if (
                    type(key) is str
                    and key.startswith(ANNOTATION_PREFIX)
                    and not allowed_annotation(value)
                ):
                    bad_annotations.append(quoted_annotation(key, value))
        else:
            bad_annotations.append(quoted_annotation("metadata.annotations", annotations))

    if not (pod_type is not None or bad or bad_annotations):
        return None
    types = {*bad.values()} if pod_type is None else {pod_type, *bad.values()}
    reason, detail = _result(pod_type, names_at(contexts, bad), types, list(bad_annotations))
    if pod_type is not None or bad_annotations:
        own = () if pod_type is None else (pod_type,)
        return reason, detail, ((POD, _result(pod_type, (), own, bad_annotations)[1]),)
    return reason, detail, _each(contexts, bad, detail)


def _each(contexts: Contexts, bad: dict[int, str], detail: str) -> Faults:
    if len(bad) == 1:
        return tuple([(i, detail) for i in bad])
    return tuple([(i, _result(None, (name_at(contexts, i),), (t,), [])[1]) for i, t in bad.items()])


CHECK = Check(CheckId("appArmorProfile"), Level.BASELINE, (Since(v1(0), _since_1_0),))
