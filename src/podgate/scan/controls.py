"""Control keys (PodSecurityPolicySpec field names, plus a few extensions), their categories,
default severities and framework mappings, from the table of spec/threats.md section 6; and
which control a PSS check or a PSP field error is about."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podgate.k8s.field import FieldError

SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # low 0 .. critical 3


@dataclass(frozen=True, slots=True)
class Control:
    key: str
    category: str
    category_title: str
    severity: str
    rationale: str
    cis: tuple[str, ...]  # CIS Kubernetes Benchmark v1.12 control numbers
    ms_threat_matrix: tuple[str, ...]  # techniques the control mitigates directly or partly
    mitre: tuple[str, ...]
    pss_checks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    controls: Mapping[str, Control]
    techniques: Mapping[str, str]  # MS-TA id -> name

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Catalog:
        catalog = table.get("catalog") or {}
        titles = catalog.get("categories") or {}
        controls: dict[str, Control] = {}
        for key, c in (table.get("controls") or {}).items():
            ms = c.get("ms_threat_matrix") or {}
            controls[key] = Control(
                key=key,
                category=c.get("category", ""),
                category_title=titles.get(c.get("category", ""), c.get("category", "")),
                severity=c.get("severity", "medium"),
                rationale=c.get("severity_rationale", ""),
                cis=tuple((c.get("cis") or {}).get("1.12") or ()),
                ms_threat_matrix=tuple((ms.get("direct") or []) + (ms.get("partial") or [])),
                mitre=tuple(c.get("mitre") or ()),
                pss_checks=tuple(c.get("pss_checks") or ()),
            )
        techniques = {
            k: v.get("name", "") for k, v in (catalog.get("ms_threat_matrix") or {}).items()
        }
        return cls(controls, techniques)

    def get(self, key: str) -> Control:
        found = self.controls.get(key)
        if found is None:
            return Control(key, "other", "Other", "medium", "", (), (), (), ())
        return found


_HOST_NS = re.compile(r"\b(hostNetwork|hostPID|hostIPC)=")


def pss_control(check: str, detail: str) -> str:
    """The control key of a PSS violation."""
    if check == "hostNamespaces":
        found = _HOST_NS.search(detail)
        return found.group(1) if found else "hostNetwork"
    if check == "capabilities_restricted" and "drop" in detail and "add" not in detail:
        return "requiredDropCapabilities"
    return {
        "privileged": "privileged",
        "hostPorts": "hostPorts",
        "hostProbesAndHostLifecycle": "hostProbesAndHostLifecycle",
        "hostPathVolumes": "volumes",
        "restrictedVolumes": "volumes",
        "runAsNonRoot": "runAsUser",
        "runAsUser": "runAsUser",
        "procMount": "allowedProcMountTypes",
        "procMount_restricted": "allowedProcMountTypes",
        "allowPrivilegeEscalation": "allowPrivilegeEscalation",
        "capabilities_baseline": "allowedCapabilities",
        "capabilities_restricted": "allowedCapabilities",
        "seLinuxOptions": "seLinux",
        "seccompProfile_baseline": "seccomp",
        "seccompProfile_restricted": "seccomp",
        "appArmorProfile": "apparmor",
        "sysctls": "forbiddenSysctls/allowedUnsafeSysctls",
        "windowsHostProcess": "windowsHostProcess",
    }.get(check, check)


# (pattern on the upstream field path of a PSP error, control key); first match wins
_PSP_FIELDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), k)
    for p, k in (
        (r"\.hostPath\.pathPrefix$|\.volumeMounts\[\d+\]\.readOnly$", "allowedHostPaths"),
        (r"^spec\.volumes\[\d+\]\.driver$", "allowedFlexVolumes"),
        (r"^spec\.volumes\[\d+\]\.csi\.driver$", "allowedCSIDrivers"),
        (r"^spec\.volumes\[\d+\]$", "volumes"),
        (r"\.hostNetwork$", "hostNetwork"),
        (r"\.hostPID$", "hostPID"),
        (r"\.hostIPC$", "hostIPC"),
        (r"\.hostPort$", "hostPorts"),
        (r"sysctls\[\d+\]$", "forbiddenSysctls/allowedUnsafeSysctls"),
        (r"\.privileged$", "privileged"),
        (r"\.procMount$", "allowedProcMountTypes"),
        (r"\.capabilities\.drop$", "requiredDropCapabilities"),
        (r"\.capabilities(\.add)?$", "allowedCapabilities"),
        (r"\.readOnlyRootFilesystem$", "readOnlyRootFilesystem"),
        (r"\.allowPrivilegeEscalation$", "allowPrivilegeEscalation"),
        (r"\.(runAsUser|runAsNonRoot)$", "runAsUser"),
        (r"\.seLinuxOptions(\.\w+)?$", "seLinux"),
        (r"seccomp\.security\.alpha\.kubernetes\.io", "seccomp"),
        (r"apparmor\.security\.beta\.kubernetes\.io", "apparmor"),
        (r"\.fsGroup$", "fsGroup"),
        (r"\.supplementalGroups$", "supplementalGroups"),
        (r"^spec\.runtimeClassName$", "runtimeClass"),
        (r"\]\.securityContext$", "runAsGroup"),  # upstream reports runAsGroup there
    )
)


def psp_control(field: str) -> str:
    """The control key of a PSP field error, from upstream's field path."""
    for pattern, key in _PSP_FIELDS:
        if pattern.search(field):
            return key
    return "other"


def invalid_control(err: FieldError) -> str:
    """The control key of an error of the API server's validation of a PSP-admitted pod."""
    if "`privileged` to true" in err.detail:
        return "privileged"
    if "CAP_SYS_ADMIN" in err.detail:
        return "allowedCapabilities"
    return psp_control(err.field)


def at_least(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK.get(threshold, 0)
