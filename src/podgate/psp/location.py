"""Where in the pod upstream's PSP field paths point, read from the path's steps.

Upstream names a few fields by paths that are not where they sit in the pod: the host
namespaces under `spec.securityContext` (`spec.securityContext.hostNetwork`, the field being
`spec.hostNetwork`), and annotations and sysctls under a leading `pod` (`pod.metadata.annotations
[...]`). A container's seccomp or AppArmor profile is an annotation whose key ends in the
container's name."""

from __future__ import annotations

from podgate.k8s.field import FieldPath
from podgate.k8s.objects import CONTAINER_LISTS
from podgate.psp.strategies import apparmor, seccomp

HOST_NAMESPACES = frozenset({"hostNetwork", "hostPID", "hostIPC"})
CONTAINER_KEY_PREFIXES = (seccomp.CONTAINER_PREFIX, apparmor.CONTAINER_PREFIX)


def pod_location(path: FieldPath) -> FieldPath:
    """The place in the pod that an upstream PSP field path names."""
    if path[:1] == ("pod",):
        path = path[1:]
    if len(path) == 3 and path[:2] == ("spec", "securityContext") and path[2] in HOST_NAMESPACES:
        return ("spec", path[2])
    return path


def container_index(location: FieldPath) -> tuple[str, int] | None:
    """(list name, index) of the container a pod location is in, None outside containers."""
    if len(location) >= 3 and location[0] == "spec" and location[1] in CONTAINER_LISTS:
        index = location[2]
        if type(index) is int:
            return str(location[1]), index
    return None


def annotated_container(location: FieldPath) -> str | None:
    """The container named by a per-container profile annotation's key, None otherwise."""
    if len(location) == 3 and location[:2] == ("metadata", "annotations"):
        key = location[2]
        for prefix in CONTAINER_KEY_PREFIXES:
            if isinstance(key, str) and key.startswith(prefix):
                return key[len(prefix) :]
    return None
