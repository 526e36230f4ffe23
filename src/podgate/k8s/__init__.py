"""Read-only accessors over decoded Kubernetes JSON (plain dicts), shared by every engine."""

from podgate.k8s.objects import (
    Obj,
    PodSource,
    container_lists,
    containers,
    mapping,
    pod_sources,
    pod_spec_error,
    sequence,
)

__all__ = [
    "Obj",
    "PodSource",
    "container_lists",
    "containers",
    "mapping",
    "pod_sources",
    "pod_spec_error",
    "sequence",
]
