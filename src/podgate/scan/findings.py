"""A finding: one control violated by one workload (and container, when it is one container's
doing), with its risk mapping and, when an exception covers it, the accepted risk; and the
findings of a workload's Pod Security Standards violations and PodSecurityPolicy decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from podgate.k8s import mapping
from podgate.k8s.field import FieldError, FieldPath, render
from podgate.k8s.source import Source
from podgate.psp import Decision
from podgate.psp.location import annotated_container, container_index, pod_location
from podgate.pss import LevelVersion, Violation, culprits
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


def _name(container: Any, index: int) -> str:
    """A container's name, or `#<index>` when it has none."""
    name = mapping(container).get("name")
    return name if isinstance(name, str) else f"#{index}"


def _places(w: Workload, v: Violation) -> list[tuple[str | None, str, FieldPath]]:
    """(container, detail, path) of each culprit of `v` (the pod: no container); the whole
    violation at the pod spec when it names none (containers in a list that is not a list,
    which the shape check refuses first)."""
    spec_at = w.spec_at
    places: list[tuple[str | None, str, FieldPath]] = []
    for culprit in culprits(w.spec, v):
        if culprit.where is None:
            places.append((None, culprit.detail, spec_at))
            continue
        found = w.spec.get(culprit.where)
        if isinstance(found, list):
            i = culprit.index
            places.append((_name(found[i], i), culprit.detail, (*spec_at, culprit.where, i)))
    return places or [(None, v.detail, spec_at)]


def pss_findings(
    w: Workload, lv: LevelVersion, violations: tuple[Violation, ...], catalog: Catalog
) -> list[Finding]:
    """One finding per (check, container at fault), or per check when the pod as a whole is at
    fault, each with what the check says of that one alone (the violations' own faults)."""
    out = []
    for v in violations:
        for container, detail, path in _places(w, v):
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


PspSeen = dict[tuple[FieldError, bool], tuple[Control, str, str, FieldPath]]
"""What `psp_findings` made of each field error it met (and whether the API server's validation
or a policy reported it): its control, title, message and place in the pod, the same for every
workload. Pods of one shape get equal errors: each is worked out once per scan."""

_SEEN_LIMIT = 4096


def psp_findings(
    w: Workload, decision: Decision, catalog: Catalog, seen: PspSeen | None = None
) -> list[Finding]:
    """The findings of a PodSecurityPolicy decision on `w`'s pod: a denial that names no field
    (no policy exists, or none is usable), the API server's refusal of what a policy admitted,
    then the policies' errors. `seen`: what earlier calls with `catalog` made of their errors
    (filled in here, up to a bound)."""
    out = []
    refused = not decision.allowed and not decision.violations and not decision.invalid
    if refused:
        out.append(_no_policy_finding(w, decision.message or ""))
    errors = [(decision.mutated_by or "validation", err, True) for err in decision.invalid]
    errors.extend((p, err, False) for p, err in decision.violations)
    for policy, err, invalid in errors:
        made = None if seen is None else seen.get((err, invalid))
        if made is None:
            key = invalid_control(err) if invalid else psp_control(err.field)
            made = (catalog.get(key), err.detail or err.type, str(err), pod_location(err.path))
            if seen is not None:
                if len(seen) >= _SEEN_LIMIT:
                    seen.clear()
                seen[(err, invalid)] = made
        control, title, message, at = made
        out.append(
            _finding(
                w,
                "psp",
                policy,
                control.key,
                control,
                container=_container_at(w, at),
                title=title,
                message=message,
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
    return _name(items[found[1]], found[1])
