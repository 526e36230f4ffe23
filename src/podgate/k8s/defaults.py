"""The API server's defaulting, where it changes a verdict, for objects read offline.

A pod read from a file has not been through the API server. Three defaults change what PSP and
PSS decide, so podgate applies them and says so:

* a volume with no source becomes `emptyDir: {}` (SetDefaults_Volume);
* on a hostNetwork Pod a container port without hostPort gets hostPort = containerPort (init
  and regular containers). Pod templates are not defaulted this way since Kubernetes 1.28
  (before, SetDefaults_PodSpec did it for templates too); a pod created from a template is.
* a PodSecurityPolicy without `allowPrivilegeEscalation` gets `true` (policy/v1beta1 defaults).

What the API server then does to a new Pod before validating admission (the seccomp and AppArmor
annotation/field sync, per release) is `podgate.k8s.prepare.prepare_for_create`.

Each function returns the object unchanged (the same instance) when nothing applies, otherwise a
copy; the input is never modified.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podgate.k8s.objects import Obj, PodSource, pod_sources


@dataclass(frozen=True, slots=True)
class Defaulted:
    """One default applied: the field path in the object and what was set."""

    field: str
    value: str
    why: str = ""  # where the value came from, when it is not a plain default

    def __str__(self) -> str:
        text = f"{self.field} defaulted to {self.value}"
        return f"{text} ({self.why})" if self.why else text


def _spec_defaults(spec: Obj, at: str, is_pod: bool) -> list[tuple[tuple[Any, ...], str, Any, str]]:
    """(path within spec, field text, value, shown value) for every default the spec needs."""
    out: list[tuple[tuple[Any, ...], str, Any, str]] = []
    volumes = spec.get("volumes")
    if isinstance(volumes, list):
        for i, vol in enumerate(volumes):
            if isinstance(vol, Mapping) and not any(
                k != "name" and v is not None for k, v in vol.items()
            ):
                out.append((("volumes", i, "emptyDir"), f"{at}.volumes[{i}].emptyDir", {}, "{}"))
    if is_pod and spec.get("hostNetwork") is True:
        for list_name in ("initContainers", "containers"):
            items = spec.get(list_name)
            if not isinstance(items, list):
                continue
            for ci, c in enumerate(items):
                ports = c.get("ports") if isinstance(c, Mapping) else None
                if not isinstance(ports, list):
                    continue
                for pi, port in enumerate(ports):
                    if not isinstance(port, Mapping):
                        continue
                    cp = port.get("containerPort")
                    if not port.get("hostPort") and isinstance(cp, int) and cp > 0:
                        path = (list_name, ci, "ports", pi, "hostPort")
                        field = f"{at}.{list_name}[{ci}].ports[{pi}].hostPort"
                        out.append((path, field, cp, str(cp)))
    return out


def default_object(obj: Obj, found: PodSource | None = None) -> tuple[Obj, tuple[Defaulted, ...]]:
    """Apply the pod-spec defaults to a Pod or workload, returning (object, what was defaulted).
    `found` is `pod_sources(obj)` when the caller has it. The copy shares every part of `obj`
    that no default changes (objects are read-only once read)."""
    src = pod_sources(obj) if found is None else found
    if src is None:
        return obj, ()
    prefix: tuple[str, ...] = ("spec",) if not src.is_template else (*src.path.split("."), "spec")
    todo = _spec_defaults(src.spec, ".".join(prefix), not src.is_template)
    if not todo:
        return obj, ()
    out = dict(obj)
    copied = {id(out)}  # the containers on the way to a default, copied once each
    for path, _, value, _ in todo:
        node: Any = out
        full: tuple[Any, ...] = (*prefix, *path)
        for key in full[:-1]:
            child = node[key]
            if id(child) not in copied:
                child = copy.copy(child)
                copied.add(id(child))
                node[key] = child
            node = child
        node[full[-1]] = value
    return out, tuple(Defaulted(field, shown) for _, field, _, shown in todo)


def default_policy(policy: Obj) -> tuple[Obj, tuple[Defaulted, ...]]:
    """Apply the PodSecurityPolicy defaults (allowPrivilegeEscalation: true when unset)."""
    spec = policy.get("spec")
    if not isinstance(spec, Mapping) or spec.get("allowPrivilegeEscalation") is not None:
        return policy, ()
    out = dict(policy)
    out["spec"] = {**spec, "allowPrivilegeEscalation": True}
    return out, (Defaulted("spec.allowPrivilegeEscalation", "true"),)
