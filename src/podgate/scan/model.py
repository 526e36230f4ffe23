"""What a scan is asked and what it answers: options, per-workload results, readiness, the
use-policy overview and the scan result."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from podgate.k8s.identity import UserInfo
from podgate.psp import Decision
from podgate.pss import LATEST, Level, LevelVersion, Version, Violation
from podgate.pss.config import DEFAULT_CONFIGURATION, PodSecurityConfiguration
from podgate.scan.controls import at_least
from podgate.scan.coverage import Coverage
from podgate.scan.exceptions import AcceptedRisk, ExceptionStatus
from podgate.scan.findings import Finding
from podgate.scan.inventory import Workload, WorkloadRef


class ControllerIdentity(StrEnum):
    """Who requests the pods of controllers: each controller's own service account (as
    kube-controller-manager runs with --use-service-account-credentials, the kubeadm
    default), kube-controller-manager's single identity, or nobody (only the pod's
    service account counts)."""

    PER_CONTROLLER = "per-controller"
    CONTROLLER_MANAGER = "controller-manager"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ScanOptions:
    level: Level | None = None  # None: each workload's namespace's enforce level
    version: Version = LATEST
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION
    controller_identity: ControllerIdentity = ControllerIdentity.PER_CONTROLLER
    user: UserInfo | None = None  # who creates bare pods
    exceptions: tuple[AcceptedRisk, ...] = ()
    # the day exceptions expire against: no default, as any fixed day would silently keep
    # expired exceptions active (or end current ones) for a caller who forgot it
    today: dt.date = field(kw_only=True)
    fail_on: str = "low"  # the lowest severity that fails the scan; "none" never fails
    psp: bool | None = None  # simulate PSP: None when the input holds a policy, or always/never
    defaults: bool = True  # default the pods controllers create as the API server does
    kubernetes: int | None = None  # the API server's release (minor; None: newest) for bare pods


@dataclass(frozen=True, slots=True)
class PspOutcome:
    requester: str  # the identity that requests the pod
    allowed: bool
    policy: str | None
    mutated: bool
    patch: list[dict[str, Any]]
    message: str | None
    decision: Decision


@dataclass(frozen=True, slots=True)
class WorkloadResult:
    workload: Workload
    level: LevelVersion  # the level checked (requested, or the namespace's enforce level)
    level_source: str  # "requested", "namespace labels", "configuration defaults", "exempt"
    highest: Level  # the strictest level it meets at the version
    violations: tuple[Violation, ...]
    psp: PspOutcome | None
    findings: tuple[Finding, ...]
    checks: tuple[str, ...]  # the PSS checks evaluated at `level`, in order (none: privileged)


@dataclass(frozen=True, slots=True)
class UsableBy:
    namespace: str
    service_account: str
    policies: tuple[tuple[str, tuple[str, ...]], ...]  # (policy, bindings that grant it)


@dataclass(frozen=True, slots=True)
class BroadBinding:
    binding: str
    role: str
    subject: str
    policies: tuple[str, ...]
    blast_radius: str


@dataclass(frozen=True, slots=True)
class Readiness:
    psp_enabled: bool  # policies were given
    rbac_from_input: bool  # RBAC objects decide who may use a policy
    lockouts: tuple[tuple[str, str, str], ...]  # (namespace, service account, why)
    rejected_system: tuple[tuple[WorkloadRef, str], ...]  # kube-system / DaemonSets denied
    mutated: tuple[tuple[WorkloadRef, str], ...]  # workload, policy
    rejected: tuple[tuple[WorkloadRef, str], ...]  # every workload PSP would deny
    pss_failing: tuple[WorkloadRef, ...]  # workloads failing their level
    psp_files: tuple[str, ...] = ()  # the files the simulated policies were read from


@dataclass(frozen=True, slots=True)
class ScanResult:
    options: ScanOptions
    workloads: tuple[WorkloadResult, ...]
    findings: tuple[Finding, ...]
    readiness: Readiness
    overview: tuple[UsableBy, ...]
    broad_bindings: tuple[BroadBinding, ...]
    exceptions: tuple[ExceptionStatus, ...]
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())  # also in notes: definitions that clash
    coverage: Coverage = field(default=Coverage((), ()))

    @property
    def psp_enabled_by(self) -> str:
        """Why PodSecurityPolicies are simulated: the option, and the files that hold them."""
        files = self.readiness.psp_files
        if not files:
            return (
                "no policy at all (--psp on, or --policy inputs that hold none): every pod is "
                "rejected"
            )
        return "policies read from " + ", ".join(files)

    @property
    def failing(self) -> tuple[Finding, ...]:
        """Findings that count for --fail-on: not accepted, at or above the threshold."""
        if self.options.fail_on == "none":
            return ()
        return tuple(
            f
            for f in self.findings
            if not f.accepted and at_least(f.severity, self.options.fail_on)
        )

    def summary(self, by: str) -> dict[str, Counter[str]]:
        """Counts of findings by "category", "namespace" or "severity", each split into the
        severities (or, for severity, into open/accepted)."""
        key: Callable[[Finding], str] = {
            "category": lambda f: f.control.category,
            "namespace": lambda f: f.workload.namespace,
            "severity": lambda f: f.control.severity,
        }[by]
        out: dict[str, Counter[str]] = {}
        for f in self.findings:
            bucket = out.get(k := key(f))
            if bucket is None:
                bucket = out[k] = Counter()
            bucket["open" if f.accepted_by is None else "accepted"] += 1
            if by != "severity":
                bucket[f.control.severity] += 1
        return out


def requested_by(r: WorkloadResult) -> str:
    """Who requests the workload's pods for PodSecurityPolicy, in words when no identity is
    given (a bare pod without --user; controllers' pods with --controller-identity none)."""
    requester = r.psp.requester if r.psp is not None else "(none)"
    if requester != "(none)":
        return requester
    if r.workload.creator is None:
        return "the user who creates it (--user not given; only its service account counts)"
    return "no controller identity (--controller-identity none; only its service account counts)"
