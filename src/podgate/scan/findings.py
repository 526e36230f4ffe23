"""A finding: one control violated by one workload (and container, when it is one container's
doing), with its risk mapping and, when an exception covers it, the accepted risk."""

from __future__ import annotations

from dataclasses import dataclass

from podgate.scan.controls import Control
from podgate.scan.inventory import Source, WorkloadRef


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # stable rule id: "pss/baseline/privileged", "psp/restricted/privileged"
    engine: str  # "pss" or "psp"
    check: str  # PSS check ID, or the PSP control key
    workload: WorkloadRef
    service_account: str
    container: str | None  # None when the pod as a whole is at fault
    control: Control
    title: str  # short: upstream's reason, or the PSP rule text
    message: str  # specific: upstream's detail or full field error
    field: str  # field path in the object (as precise as known), for locations
    source: Source | None
    accepted_by: str | None = None  # id of the exception that accepts it

    @property
    def severity(self) -> str:
        return self.control.severity

    @property
    def category(self) -> str:
        return self.control.category

    @property
    def accepted(self) -> bool:
        return self.accepted_by is not None
