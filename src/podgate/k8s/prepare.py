"""What the API server does to a new Pod before validating admission, per Kubernetes release.

`podStrategy.PrepareForCreate` (pkg/registry/core/pod/strategy.go) runs after mutating admission
and before the object is validated and handed to validating admission (Pod Security Admission,
PSP's validating phase). For Pods (never for pod templates) it keeps the deprecated seccomp and
AppArmor annotations and the securityContext fields in step:

* seccomp, `applySeccompVersionSkew`: 1.19-1.24 both ways (a field without its annotation gets
  the annotation, an annotation without its field gets the field); 1.25-1.26 only annotation to
  field (kubernetes#109819); from 1.27 not at all (kubernetes#114947). The pod annotation
  `seccomp.security.alpha.kubernetes.io/pod` pairs with spec.securityContext.seccompProfile, each
  `container.seccomp.security.alpha.kubernetes.io/<name>` with that container's field.
* AppArmor, `applyAppArmorVersionSkew` (the fields exist from 1.30): 1.30-1.33 both ways per
  container (no annotation: it is written from the container's field, else the pod's); from
  1.34 only annotation to field (kubernetes#131989). An annotation becomes a container field
  only when it converts to a valid profile that differs from the pod's. Windows pods
  (spec.os.name: windows) are left alone.

A release is its minor number (27 for 1.27); None is the newest release. Values that do not
convert (an unknown annotation value, a Localhost field without a profile) are not copied, as
upstream skips them. The input is never modified.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from podgate.k8s.defaults import Defaulted
from podgate.k8s.gotext import GO_SPACE
from podgate.k8s.objects import Obj, mapping

SECCOMP_POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
APPARMOR_CONTAINER_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
PSP_RELEASE = 24  # the newest release with PodSecurityPolicy: what PSP admission sees

# the visiting order of podutil.VisitContainers(AllFeatureEnabledContainers)
_LISTS = ("initContainers", "containers", "ephemeralContainers")
_MAX_APPARMOR_LOCALHOST = 4095


def _between(release: int | None, first: int, last: int | None) -> bool:
    if release is None:
        return last is None
    return release >= first and (last is None or release <= last)


def seccomp_field_to_annotation(release: int | None) -> bool:
    return _between(release, 19, 24)


def seccomp_annotation_to_field(release: int | None) -> bool:
    return _between(release, 19, 26)


def apparmor_field_to_annotation(release: int | None) -> bool:
    return _between(release, 30, 33)


def apparmor_annotation_to_field(release: int | None) -> bool:
    return _between(release, 30, None)


def _seccomp_annotation(profile: Any) -> str:
    if not isinstance(profile, Mapping):
        return ""
    kind = profile.get("type")
    if kind == "Unconfined":
        return "unconfined"
    if kind == "RuntimeDefault":
        return "runtime/default"
    local = profile.get("localhostProfile")
    if kind == "Localhost" and isinstance(local, str):
        return "localhost/" + local
    return ""


def _seccomp_field(annotation: Any) -> dict[str, Any] | None:
    if annotation == "unconfined":
        return {"type": "Unconfined"}
    if annotation in ("runtime/default", "docker/default"):
        return {"type": "RuntimeDefault"}
    if isinstance(annotation, str) and annotation.startswith("localhost/") and annotation[10:]:
        return {"type": "Localhost", "localhostProfile": annotation[10:]}
    return None


seccomp_field_for_annotation = _seccomp_field  # the exports write PSP's default as the field


def _apparmor_annotation(profile: Any) -> str:
    return _seccomp_annotation(profile)  # the same three types, the same spellings


def _apparmor_field(annotation: Any) -> dict[str, Any] | None:
    if annotation == "unconfined":
        return {"type": "Unconfined"}
    if annotation == "runtime/default":
        return {"type": "RuntimeDefault"}
    if isinstance(annotation, str) and annotation.startswith("localhost/"):
        local = annotation[10:]
        # ValidateAppArmorProfileField: non-empty, not padded with whitespace, at most 4095
        if (
            local
            and local.strip(GO_SPACE) == local
            and len(local.encode()) <= _MAX_APPARMOR_LOCALHOST
        ):
            return {"type": "Localhost", "localhostProfile": local}
    return None


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"


def _containers(spec: Obj) -> Iterator[tuple[str, int, Obj]]:
    for list_name in _LISTS:
        items = spec.get(list_name)
        if isinstance(items, list):
            for i, c in enumerate(items):
                if isinstance(c, dict) and isinstance(c.get("name"), str):
                    yield list_name, i, c


def _profile(sc: Any, key: str) -> Any:
    # decoded JSON is dicts: `type(...) is dict` first spares the ABC check
    if sc is None:
        return None
    return sc.get(key) if type(sc) is dict or isinstance(sc, Mapping) else None


class _Changes:
    """Copy-on-write edits of one pod (only the dicts and lists on the way to a change are
    copied, each once), with the note for each."""

    __slots__ = ("fresh", "notes", "out", "pod")

    def __init__(self, pod: Obj) -> None:
        self.pod = pod
        self.out: dict[str, Any] | None = None  # with `fresh` and `notes`, made at the first edit

    def _node(self, path: tuple[Any, ...]) -> dict[str, Any]:
        if self.out is None:
            self.out = dict(self.pod)
            self.fresh: set[int] = {id(self.out)}  # ids of the containers the copy owns
            self.notes: list[Defaulted] = []
        node: Any = self.out
        for step in path:
            child = node[step] if isinstance(node, list) else node.get(step)
            if id(child) not in self.fresh:
                child = list(child) if isinstance(child, list) else dict(mapping(child))
                node[step] = child
                self.fresh.add(id(child))
            node = child
        result: dict[str, Any] = node
        return result

    def annotate(self, key: str, value: str, why: str) -> None:
        self._node(("metadata", "annotations"))[key] = value
        self.notes.append(Defaulted(f"metadata.annotations[{key}]", value, why))

    def set_field(self, path: tuple[Any, ...], at: str, key: str, value: Any, why: str) -> None:
        self._node(("spec", *path, "securityContext"))[key] = value
        self.notes.append(Defaulted(f"{at}.securityContext.{key}", _shown(value), why))


_PREFIXES = (SECCOMP_POD_KEY, SECCOMP_CONTAINER_PREFIX, APPARMOR_CONTAINER_PREFIX)


def _may_sync(spec: Obj, annotations: Mapping[str, Any]) -> bool:
    """Whether the pod has anything the sync reads: a fast path for most pods."""
    for key in annotations:
        if isinstance(key, str) and key.startswith(_PREFIXES):
            return True
    psc = spec.get("securityContext")
    if isinstance(psc, dict) and _has_profile(psc):
        return True
    for list_name in _LISTS:
        items = spec.get(list_name)
        for c in items if type(items) is list else ():
            sc = c.get("securityContext") if isinstance(c, dict) else None
            if isinstance(sc, dict) and _has_profile(sc):
                return True
    return False


def _has_profile(sc: Obj) -> bool:
    """Whether a securityContext sets a field the sync reads (seccompProfile, appArmorProfile)."""
    return sc.get("seccompProfile") is not None or sc.get("appArmorProfile") is not None


def prepare_for_create(pod: Obj, release: int | None) -> tuple[Obj, tuple[Defaulted, ...]]:
    """The Pod as PrepareForCreate of Kubernetes 1.`release` leaves it (annotation/field sync),
    and a note per copied value. Anything but a Pod with a spec mapping is returned as is."""
    spec = pod.get("spec")
    if pod.get("kind") not in (None, "Pod") or not isinstance(spec, dict):
        return pod, ()
    meta = pod.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    annotations = annotations if isinstance(annotations, dict) else {}
    syncs = _SYNCS.get(release)
    if syncs is None:
        syncs = _SYNCS[release] = _syncs(release)
    seccomp, seccomp_both_ways, apparmor, apparmor_both_ways = syncs
    # the seccomp pass alone (1.19-1.26) is as quick as the screen; with AppArmor's, most pods
    # have nothing either reads
    if apparmor and not _may_sync(spec, annotations):
        return pod, ()
    changes = _Changes(pod)
    if seccomp:
        _sync_seccomp(spec, annotations, changes, seccomp_both_ways)
    if apparmor:
        _sync_apparmor(spec, annotations, changes, apparmor_both_ways)
    if changes.out is None:
        return pod, ()
    return changes.out, tuple(changes.notes)


def _syncs(release: int | None) -> tuple[bool, bool, bool, bool]:
    """Which syncs release 1.`release` makes: seccomp annotation to field, and also field to
    annotation; AppArmor annotation to field, and also field to annotation (worked out once
    per release in `_SYNCS`: PSP admission asks for every pod)."""
    return (
        seccomp_annotation_to_field(release),
        seccomp_field_to_annotation(release),
        apparmor_annotation_to_field(release),
        apparmor_field_to_annotation(release),
    )


_SYNCS: dict[int | None, tuple[bool, bool, bool, bool]] = {}
"""`_syncs` of each release asked for (a dict read, cheaper than a cached function's call)."""


def _why(what: str, releases: str, source: str) -> str:
    return f"copied from {source} by the API server's {what} sync of Kubernetes {releases}"


def _same_profile(a: Any, b: Any) -> bool:
    """apiequality.Semantic.DeepEqual of two profiles as decoded JSON."""
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        return a is None and b is None
    return a.get("type") == b.get("type") and a.get("localhostProfile") == b.get("localhostProfile")


def _sync_seccomp(
    spec: Obj, annotations: Mapping[str, Any], changes: _Changes, field_to_annotation: bool
) -> None:
    # the pod's pair, then each container's in visiting order; the input is only read (changes
    # go to copies), and a location is spelled out only for a pair that changes
    profile = _profile(spec.get("securityContext"), "seccompProfile")
    if (
        profile is None
        if SECCOMP_POD_KEY in annotations
        else field_to_annotation and profile is not None
    ):
        _seccomp_pair(SECCOMP_POD_KEY, profile, (), annotations, changes, field_to_annotation)
    for list_name in _LISTS:
        items = spec.get(list_name)
        if not isinstance(items, list):
            continue
        for i, c in enumerate(items):
            if not isinstance(c, dict):
                continue
            name = c.get("name")
            if not isinstance(name, str):
                continue
            key = SECCOMP_CONTAINER_PREFIX + name
            sc = c.get("securityContext")
            profile = (
                None
                if sc is None
                else sc.get("seccompProfile")
                if type(sc) is dict
                else _profile(sc, "seccompProfile")
            )
            if (
                profile is None
                if key in annotations
                else field_to_annotation and profile is not None
            ):
                _seccomp_pair(
                    key, profile, (list_name, i), annotations, changes, field_to_annotation
                )


def _seccomp_pair(
    key: str,
    profile: Any,
    path: tuple[Any, ...],
    annotations: Mapping[str, Any],
    changes: _Changes,
    field_to_annotation: bool,
) -> None:
    """One annotation and its field (`path`: () for the pod's, (list, index) for a container's)."""
    has_annotation = key in annotations
    at = f"spec.{path[0]}[{path[1]}]" if path else "spec"
    if profile is not None and not has_annotation:
        if field_to_annotation:
            value = _seccomp_annotation(profile)
            if value:
                changes.annotate(key, value, _why("seccomp", "1.19-1.24", f"{at}.securityContext"))
    elif has_annotation and profile is None:
        field = _seccomp_field(annotations[key])
        if field is not None:
            why = _why("seccomp", "1.19-1.26", f"metadata.annotations[{key}]")
            changes.set_field(path, at, "seccompProfile", field, why)


def _sync_apparmor(
    spec: Obj, annotations: Mapping[str, Any], changes: _Changes, field_to_annotation: bool
) -> None:
    os_name = _profile(spec.get("os"), "name")
    if os_name == "windows":
        return
    pod_profile = _profile(spec.get("securityContext"), "appArmorProfile")
    for list_name, i, c in _containers(spec):
        key = APPARMOR_CONTAINER_PREFIX + c["name"]
        at = f"spec.{list_name}[{i}]"
        profile = _profile(c.get("securityContext"), "appArmorProfile")
        if key not in annotations:
            if field_to_annotation:
                source, value = (
                    (f"{at}.securityContext", _apparmor_annotation(profile))
                    if profile is not None
                    else ("spec.securityContext", _apparmor_annotation(pod_profile))
                )
                if value:
                    changes.annotate(key, value, _why("AppArmor", "1.30-1.33", source))
        elif profile is None:
            field = _apparmor_field(annotations[key])
            if field is not None and not _same_profile(field, pod_profile):
                why = _why("AppArmor", "1.30+", f"metadata.annotations[{key}]")
                changes.set_field((list_name, i), at, "appArmorProfile", field, why)


def other_release_note(obj: Obj, release: int | None) -> str | None:
    """A note when the API servers of Kubernetes 1.19-1.26 would copy this Pod's seccomp
    annotations into fields that the release asked for leaves alone (a verdict may differ)."""
    if obj.get("kind") != "Pod" or seccomp_annotation_to_field(release):
        return None
    _, synced = prepare_for_create(obj, 26)
    copied = [d.field for d in synced if d.field.endswith(".seccompProfile")]
    if not copied:
        return None
    shown = "latest" if release is None else f"v1.{release}"
    return (
        f"judged as on Kubernetes {shown} (--kubernetes-version), which ignores seccomp "
        f"annotations: the API server of 1.19-1.26 would copy them into {', '.join(copied)} "
        "before admission"
    )


def unsynced_seccomp_annotations_dropped(pod: Obj) -> Obj:
    """The Pod as a kubelet of 1.25 or later reads its seccomp profiles: each seccomp
    annotation whose field is unset (the pod's, or that of a container of that name) left out.
    Kubelets ignore the annotations from 1.25, and from 1.27 the API server no longer copies
    one into its field (kubernetes#114947), so such an annotation confines nothing. The input
    is never modified; returned as is when there is nothing to leave out."""
    meta, spec = pod.get("metadata"), pod.get("spec")
    if not isinstance(meta, dict) or not isinstance(spec, dict):
        return pod
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict) or not annotations:
        return pod
    dropped = []
    if (
        SECCOMP_POD_KEY in annotations
        and _profile(spec.get("securityContext"), "seccompProfile") is None
    ):
        dropped.append(SECCOMP_POD_KEY)
    for _, _, c in _containers(spec):
        key = SECCOMP_CONTAINER_PREFIX + c["name"]
        if key in annotations and _profile(c.get("securityContext"), "seccompProfile") is None:
            dropped.append(key)
    if not dropped:
        return pod
    kept = {k: v for k, v in annotations.items() if k not in dropped}
    return {**pod, "metadata": {**meta, "annotations": kept}}
