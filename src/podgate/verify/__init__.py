"""Verifiers: run an export in its target's own engine (an optional dependency) over the
input's workloads and generated boundary pods, and compare with PSP's decisions. Adapters
around the pure `podgate.export` core.

    result = verify(export(policies, rbac, workloads, "vap"), [*policies, *rbac, *workloads])
"""

from __future__ import annotations

from collections.abc import Sequence

from podgate.errors import PodgateError
from podgate.export import ExportResult
from podgate.export.cluster import Cluster
from podgate.k8s import Obj


class EngineMissing(PodgateError, RuntimeError):
    """The optional engine a verifier needs is not installed: the message says how to."""

    def __init__(self, package: str, message: str) -> None:
        self.package = package
        super().__init__(message)


def verify(result: ExportResult, objs: Sequence[Obj], *, boundary: bool = True) -> ExportResult:
    """`result` (of exporting the objects `objs`: policies, RBAC, workloads) with each verdict
    decided by its target's engine; targets no engine here runs are returned unchanged."""
    cluster = Cluster.from_objects(objs)
    if result.target == "kyverno" and any(o["kind"] == "ClusterPolicy" for o in result.objects):
        return result  # validate.podSecurity: proved at export by podgate's PSS engine
    if result.target in ("vap", "kyverno"):
        from podgate.verify.cel import verify_vap

        return verify_vap(result, cluster, boundary=boundary)
    if result.target == "gatekeeper":
        from podgate.verify.opa import verify_gatekeeper

        return verify_gatekeeper(result, cluster, boundary=boundary)
    return result


__all__ = ["EngineMissing", "verify"]
