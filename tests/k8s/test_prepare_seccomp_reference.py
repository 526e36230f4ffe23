"""PrepareForCreate's seccomp sync against a plain reference written from the rules (pod
annotation <-> spec.securityContext.seccompProfile, each container's annotation <-> its field;
1.19-1.24 both ways, 1.25-1.26 annotation to field only), on generated pods: the pod it gives,
the notes, in order, and the input left untouched."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.k8s.prepare import prepare_for_create

POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FIELDS = {
    "runtime/default": {"type": "RuntimeDefault"},
    "docker/default": {"type": "RuntimeDefault"},
    "unconfined": {"type": "Unconfined"},
}


def _as_annotation(profile: Any) -> str:
    kind = profile.get("type") if isinstance(profile, dict) else None
    if kind == "RuntimeDefault":
        return "runtime/default"
    if kind == "Unconfined":
        return "unconfined"
    local = profile.get("localhostProfile") if isinstance(profile, dict) else None
    if kind == "Localhost" and isinstance(local, str):
        return "localhost/" + local
    return ""


def _as_field(annotation: Any) -> dict[str, str] | None:
    if annotation in FIELDS:
        return dict(FIELDS[annotation])
    if isinstance(annotation, str) and annotation.startswith("localhost/") and annotation[10:]:
        return {"type": "Localhost", "localhostProfile": annotation[10:]}
    return None


def reference(pod: dict[str, Any], release: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(the prepared pod, [(field, value)] of each copy) for a pod whose metadata, spec and
    containers are mappings."""
    out = copy.deepcopy(pod)
    if not 19 <= release <= 26:
        return out, []
    both_ways = release <= 24
    annotations = pod["metadata"].get("annotations") or {}
    pairs: list[tuple[str, Any, str, Any]] = []
    psc = pod["spec"].get("securityContext")
    pairs.append((POD_KEY, (psc or {}).get("seccompProfile"), "spec", ()))
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(pod["spec"].get(list_name) or []):
            sc = c.get("securityContext")
            pairs.append(
                (
                    PREFIX + c["name"],
                    (sc or {}).get("seccompProfile"),
                    f"spec.{list_name}[{i}]",
                    (list_name, i),
                )
            )
    notes = []
    for key, profile, at, where in pairs:
        if profile is not None and key not in annotations:
            value = _as_annotation(profile)
            if both_ways and value:
                meta = out["metadata"]
                if not isinstance(meta.get("annotations"), dict):
                    meta["annotations"] = {}
                meta["annotations"][key] = value
                notes.append((f"metadata.annotations[{key}]", value))
        elif key in annotations and profile is None:
            field = _as_field(annotations[key])
            if field is not None:
                owner = out["spec"] if not where else out["spec"][where[0]][where[1]]
                if not isinstance(owner.get("securityContext"), dict):
                    owner["securityContext"] = {}
                owner["securityContext"]["seccompProfile"] = field
                shown = "{" + ", ".join(f"{k}: {v}" for k, v in field.items()) + "}"
                notes.append((f"{at}.securityContext.seccompProfile", shown))
    return out, notes


profiles = st.none() | st.sampled_from(
    [
        {"type": "RuntimeDefault"},
        {"type": "Unconfined"},
        {"type": "Localhost", "localhostProfile": "p.json"},
        {"type": "Localhost"},
        {"type": "Other"},
    ]
)
annotation_values = st.sampled_from(
    ["runtime/default", "docker/default", "unconfined", "localhost/p.json", "localhost/", "x", ""]
)


@st.composite
def security_contexts(draw: Any) -> Any:
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return "absent"
    if choice == 1:
        return None
    sc: dict[str, Any] = {"runAsUser": 5} if draw(st.booleans()) else {}
    profile = draw(profiles)
    if profile is not None:
        sc["seccompProfile"] = profile
    return sc


@st.composite
def pods(draw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    names: list[str] = []
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        count = draw(st.integers(0, 2)) if list_name != "containers" else draw(st.integers(1, 2))
        if count == 0 and draw(st.booleans()):
            continue
        items = []
        for _ in range(count):
            name = draw(st.sampled_from(["a", "b", "c", "web"]))
            names.append(name)
            c: dict[str, Any] = {"name": name}
            sc = draw(security_contexts())
            if sc != "absent":
                c["securityContext"] = sc
            items.append(c)
        spec[list_name] = items
    psc = draw(security_contexts())
    if psc != "absent":
        spec["securityContext"] = psc
    annotations: dict[str, Any] = {}
    for key in [POD_KEY, *(PREFIX + n for n in names), "other"]:
        if draw(st.integers(0, 2)) == 0:
            annotations[key] = draw(annotation_values)
    meta: dict[str, Any] = {"name": "p"}
    if annotations or draw(st.booleans()):
        meta["annotations"] = annotations if annotations or draw(st.booleans()) else None
    return {"kind": "Pod", "metadata": meta, "spec": spec}


@SETTINGS
@given(pods(), st.sampled_from([18, 19, 22, 24, 25, 26, 27]))
def test_the_seccomp_sync_does_what_the_rules_say(pod: dict[str, Any], release: int) -> None:
    before = copy.deepcopy(pod)
    got, notes = prepare_for_create(pod, release)
    want, want_notes = reference(pod, release)
    assert got == want
    assert [(d.field, d.value) for d in notes] == want_notes
    assert pod == before  # the input is never modified
    assert (got is pod) == (not notes)
