"""The scanner's core: workloads found in a set of objects, findings against the Pod Security
Standards and PodSecurityPolicies, enablement readiness, who may use which policy, risk per
category and accepted exceptions. Pure: decoded objects and options in, a ScanResult out."""

from podgate.scan.controls import Catalog, Control
from podgate.scan.exceptions import AcceptedRisk, ExceptionStatus, parse_exceptions
from podgate.scan.findings import Finding
from podgate.scan.inventory import Workload, WorkloadRef, find_workloads
from podgate.scan.scan import ControllerIdentity, ScanOptions, ScanResult, scan

__all__ = [
    "AcceptedRisk",
    "Catalog",
    "Control",
    "ControllerIdentity",
    "ExceptionStatus",
    "Finding",
    "ScanOptions",
    "ScanResult",
    "Workload",
    "WorkloadRef",
    "find_workloads",
    "parse_exceptions",
    "scan",
]
