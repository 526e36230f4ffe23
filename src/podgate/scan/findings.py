"""A finding: one control violated by one workload (and container, when it is one container's
doing), with its risk mapping and, when an exception covers it, the accepted risk; and the
findings of a workload's Pod Security Standards violations and PodSecurityPolicy decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldPath, render
from podgate.k8s.objects import CONTAINER_LISTS, ContainerList
from podgate.k8s.source import Source
from podgate.psp import Decision
from podgate.psp.location import annotated_container, container_index, pod_location
from podgate.pss import LevelVersion, Violation, evaluate
from podgate.scan.controls import Catalog, Control, invalid_control, psp_control, pss_control
from podgate.scan.inventory import Workload, WorkloadRef

Engine = Literal["pss", "psp"]
"""Which engine found it: the Pod Security Standards or PodSecurityPolicy admission."""


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # stable rule id: "pss/baseline/privileged", "psp/restricted/privileged"
    engine: Engine
    check: str  # PSS check ID, or the PSP control key
    workload: WorkloadRef
    service_account: str
    container: str | None  # None when the pod as a whole is at fault
    control: Control
    title: str  # short: upstream's reason, or the PSP rule text
    message: str  # specific: upstream's detail or full field error
    path: FieldPath  # where in the object (as precise as known), for locations
    source: Source | None
    accepted_by: str | None = None  # id of the exception that accepts it

    @property
    def field(self) -> str:
        """The path as text: `spec.template.spec.containers[0].securityContext.privileged`."""
        return render(self.path)

    @property
    def severity(self) -> str:
        return self.control.severity

    @property
    def category(self) -> str:
        return self.control.category

    @property
    def accepted(self) -> bool:
        return self.accepted_by is not None


_CONTROL_LEAF: dict[str, FieldPath] = {
    "privileged": ("securityContext", "privileged"),
    "allowPrivilegeEscalation": ("securityContext", "allowPrivilegeEscalation"),
    "allowedCapabilities": ("securityContext", "capabilities"),
    "requiredDropCapabilities": ("securityContext", "capabilities"),
    "runAsUser": ("securityContext",),
    "seccomp": ("securityContext", "seccompProfile"),
    "apparmor": ("securityContext", "appArmorProfile"),
    "seLinux": ("securityContext", "seLinuxOptions"),
    "allowedProcMountTypes": ("securityContext", "procMount"),
    "hostPorts": ("ports",),
    "windowsHostProcess": ("securityContext", "windowsOptions"),
    "hostProbesAndHostLifecycle": ("livenessProbe",),
}
_POD_LEAF: dict[str, FieldPath] = {
    "hostNetwork": ("hostNetwork",),
    "hostPID": ("hostPID",),
    "hostIPC": ("hostIPC",),
    "volumes": ("volumes",),
    "allowedHostPaths": ("volumes",),
    "forbiddenSysctls/allowedUnsafeSysctls": ("securityContext", "sysctls"),
    "seccomp": ("securityContext", "seccompProfile"),
    "runAsUser": ("securityContext",),
    "seLinux": ("securityContext", "seLinuxOptions"),
}


def _container_names(spec: Obj) -> list[tuple[ContainerList, int, str]]:
    out = []
    for list_name in CONTAINER_LISTS:
        items = spec.get(list_name)
        if isinstance(items, list):
            for i, c in enumerate(items):
                name = mapping(c).get("name")
                out.append((list_name, i, name if isinstance(name, str) else f"#{i}"))
    return out


def _only(spec: Obj, keep: tuple[str, int] | None) -> dict[str, Any]:
    """The spec with no containers but the one to keep."""
    out = {k: v for k, v in spec.items() if k not in CONTAINER_LISTS}
    if keep is not None:
        out[keep[0]] = [spec[keep[0]][keep[1]]]
    return out


def pss_findings(
    w: Workload, lv: LevelVersion, violations: tuple[Violation, ...], catalog: Catalog
) -> list[Finding]:
    """One finding per (check, container), or per check when the pod as a whole is at fault:
    a failing check is re-run on the pod without containers and with each container alone."""
    if not violations:
        return []
    failing = {v.check for v in violations}
    by_check: dict[str, list[tuple[str | None, str, FieldPath]]] = {c: [] for c in failing}
    spec_at = w.spec_at
    pod_level = {v.check: v for v in evaluate(lv.level, lv.version, w.meta, _only(w.spec, None))}
    for check, v in pod_level.items():
        if check in failing:
            by_check[check].append((None, v.detail, spec_at))
    for list_name, i, name in _container_names(w.spec):
        alone = evaluate(lv.level, lv.version, w.meta, _only(w.spec, (list_name, i)))
        for v in alone:
            if v.check in failing and v.check not in pod_level:
                by_check[v.check].append((name, v.detail, (*spec_at, list_name, i)))
    out = []
    for v in violations:
        places = by_check[v.check] or [(None, v.detail, spec_at)]
        for container, detail, path in places:
            control = catalog.get(pss_control(v.check, detail))
            leaf = (_CONTROL_LEAF if container else _POD_LEAF).get(control.key, ())
            out.append(
                _finding(
                    w,
                    "pss",
                    lv.level,
                    v.check,
                    control,
                    container=container,
                    title=v.reason,
                    message=f"{v.reason} ({detail})" if detail else v.reason,
                    path=(*path, *leaf),
                )
            )
    return out


def psp_findings(w: Workload, decision: Decision, catalog: Catalog) -> list[Finding]:
    """The findings of a PodSecurityPolicy decision on `w`'s pod: a denial that names no field
    (no policy exists, or none is usable), the API server's refusal of what a policy admitted,
    then the policies' errors."""
    out = []
    refused = not decision.allowed and not decision.violations and not decision.invalid
    if refused:
        out.append(_no_policy_finding(w, decision.message or ""))
    errors = [
        (decision.mutated_by or "validation", err, invalid_control(err)) for err in decision.invalid
    ]
    errors.extend((p, err, psp_control(err.field)) for p, err in decision.violations)
    for policy, err, key in errors:
        control = catalog.get(key)
        at = pod_location(err.path)
        out.append(
            _finding(
                w,
                "psp",
                policy,
                control.key,
                control,
                container=_container_at(w, at),
                title=err.detail or err.type,
                message=str(err),
                path=_in_object(w, at),
            )
        )
    return out


NO_USABLE_POLICY = Control(
    "noUsablePolicy",
    "admission",
    "PodSecurityPolicy admission",
    "high",
    "no policy is usable by whoever creates the pod (or none exists): the pod cannot run once "
    "PodSecurityPolicy admission is on",
    (),
    (),
    (),
    (),
)


def _no_policy_finding(w: Workload, message: str) -> Finding:
    """A PSP denial that names no field (no policy exists, or none is usable): the workload
    cannot run, so it fails the scan although no field is at fault."""
    return _finding(
        w,
        "psp",
        "admission",
        NO_USABLE_POLICY.key,
        NO_USABLE_POLICY,
        container=None,
        title="no PodSecurityPolicy admits the pod",
        message=message,
        path=w.spec_at,
    )


def _finding(
    w: Workload,
    engine: Engine,
    scope: str,
    check: str,
    control: Control,
    *,
    container: str | None,
    title: str,
    message: str,
    path: FieldPath,
) -> Finding:
    """A finding of `w` (its service account and where it was read come with it) under the
    rule `<engine>/<scope>/<check>`: scope is the PSS level, or the PodSecurityPolicy."""
    return Finding(
        rule=f"{engine}/{scope}/{check}",
        engine=engine,
        check=check,
        workload=w.ref,
        service_account=w.service_account,
        container=container,
        control=control,
        title=title,
        message=message,
        path=path,
        source=w.source,
    )


def _in_object(w: Workload, at: FieldPath) -> FieldPath:
    """A place in `w`'s pod (`pod_location`) as a path in the scanned object."""
    head = at[:1]
    if head == ("spec",):
        return (*w.spec_at, *at[1:])
    if head == ("metadata",):
        return (*w.spec_at[:-1], "metadata", *at[1:])
    return at


def _container_at(w: Workload, at: FieldPath) -> str | None:
    """The name of the container a place in `w`'s pod is in (`#i` when it has none), None
    when the pod as a whole is at fault."""
    found = container_index(at)
    if found is None:
        return annotated_container(at)
    items = w.spec.get(found[0])
    if not isinstance(items, list) or found[1] >= len(items):
        return None
    name = mapping(items[found[1]]).get("name")
    return name if isinstance(name, str) else f"#{found[1]}"
