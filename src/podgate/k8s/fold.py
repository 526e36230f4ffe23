"""What decides the verdict on a pod spec, told apart by a digest (`fold_digest`): two replicas
of one ReplicaSet differ only where neither engine looks (their names, node, and the random
suffix of the token volume the API server adds), so they get one digest; a scan judges the
objects folded into a controller once per digest (scan/owned.py). A packed object (k8s/packed.py)
carries its digest, made where it was read, so that a scan need not unpack it to tell it
apart."""

from __future__ import annotations

import hashlib
import marshal
import re
from typing import Any

from podgate.k8s.objects import CONTAINER_LISTS, Obj, mapping

__all__ = ["UNREAD_CONTAINER", "UNREAD_POD", "fold_digest", "read_of"]

# fields no check of either engine, and no report, reads (they only make replicas' keys long;
# the trimmed decode of a snapshot leaves them out: io/snapshot.py)
UNREAD_POD = frozenset(
    (
        "nodeName",
        "tolerations",
        "affinity",
        "nodeSelector",
        "topologySpreadConstraints",
        "dnsPolicy",
        "dnsConfig",
        "schedulerName",
        "priority",
        "priorityClassName",
        "preemptionPolicy",
        "terminationGracePeriodSeconds",
        "restartPolicy",
        "imagePullSecrets",
        "enableServiceLinks",
    )
)
UNREAD_CONTAINER = frozenset(
    (
        "env",
        "envFrom",
        "resources",
        "command",
        "args",
        "image",
        "imagePullPolicy",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "workingDir",
    )
)

_TOKEN_VOLUME = re.compile(r"kube-api-access-[a-z0-9]{5}")
_TOKEN_PREFIX = "kube-api-access-"
_TOKEN_ALIKE = "kube-api-access-?"


def _token_volume(spec: Obj) -> str | None:
    """The service-account token volume the API server adds to each pod
    (`kube-api-access-<5 random characters>`, projected), when there is exactly one, and no
    volume or mount is named what its name is made (`_TOKEN_ALIKE`): else the renaming could
    make two pods that mount different volumes read alike."""
    volumes = spec.get("volumes")
    if not isinstance(volumes, list):
        return None
    if _TOKEN_ALIKE in _names(spec):
        return None
    found = None
    for v in volumes:
        if not isinstance(v, dict):
            continue
        name = v.get("name")
        if (
            isinstance(name, str)
            and name.startswith(_TOKEN_PREFIX)
            and _TOKEN_VOLUME.fullmatch(name)
            and "projected" in v
        ):
            if found is not None:
                return None
            found = name
    return found


def _names(spec: Obj) -> list[Any]:
    """The names of the pod's volumes and of its containers' volume mounts."""
    found = [mapping(v).get("name") for v in spec["volumes"]]
    for list_name in CONTAINER_LISTS:
        items = spec.get(list_name)
        for c in items if isinstance(items, list) else ():
            mounts = mapping(c).get("volumeMounts")
            if isinstance(mounts, list):
                found.extend(mapping(m).get("name") for m in mounts)
    return found


def _named_alike(items: list[Any], token: str) -> list[Any]:
    """Volumes or volume mounts with the token volume's name made the same for every pod."""
    return [
        {**m, "name": _TOKEN_ALIKE} if isinstance(m, dict) and m.get("name") == token else m
        for m in items
    ]


def read_of(spec: Obj) -> dict[str, Any]:
    """The pod spec without what neither engine reads, the token volume named alike. (Copies
    are made only where something is left out or renamed: a snapshot's trimmed decode has
    left the unread fields out already.)"""
    token = _token_volume(spec)
    if UNREAD_POD.isdisjoint(spec):
        out = dict(spec)
    else:
        out = {k: v for k, v in spec.items() if k not in UNREAD_POD}
    if token is not None:
        out["volumes"] = _named_alike(spec["volumes"], token)
    for list_name in CONTAINER_LISTS:
        items = spec.get(list_name)
        if not isinstance(items, list):
            continue
        containers = []
        for c in items:
            if isinstance(c, dict):
                if not UNREAD_CONTAINER.isdisjoint(c):
                    c = {k: v for k, v in c.items() if k not in UNREAD_CONTAINER}
                mounts = c.get("volumeMounts")
                if token is not None and isinstance(mounts, list):
                    c = {**c, "volumeMounts": _named_alike(mounts, token)}
            containers.append(c)
        out[list_name] = containers
    return out


def fold_digest(meta: Obj, spec: Obj) -> bytes | None:
    """A digest (BLAKE2b, 256 bits) of what the engines read of a pod (template): its
    annotations and `read_of` its spec, as marshal's format 2 writes them: each value with its
    type (true, 1 and 1.0 differ) and each mapping in its order, without back-references, so
    equal digests mean equal values; two objects whose fields are ordered differently get two
    digests and are judged apart. None when marshal cannot write a value (none a decoder
    makes)."""
    try:
        data = marshal.dumps((mapping(meta).get("annotations"), read_of(spec)), 2)
    except ValueError:
        return None
    return hashlib.blake2b(data, digest_size=32).digest()
