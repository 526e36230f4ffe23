"""Pod volume sources and the FSType each stands for, in upstream's order of precedence (read
by the Volumes strategy, by every pod view, by the advisor and the exporters)."""

from __future__ import annotations

from typing import Any

from podgate.k8s import Obj

# pod volume source -> FSType, in upstream's order of precedence
SOURCES: tuple[tuple[str, str], ...] = (
    ("hostPath", "hostPath"),
    ("emptyDir", "emptyDir"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("gitRepo", "gitRepo"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("flexVolume", "flexVolume"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("flocker", "flocker"),
    ("downwardAPI", "downwardAPI"),
    ("fc", "fc"),
    ("azureFile", "azureFile"),
    ("configMap", "configMap"),
    ("vsphereVolume", "vsphereVolume"),
    ("quobyte", "quobyte"),
    ("azureDisk", "azureDisk"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("portworxVolume", "portworxVolume"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
)
FS_TYPES = frozenset(t for _, t in SOURCES)


_RANK = {key: (rank, kind) for rank, (key, kind) in enumerate(SOURCES)}


def fs_type(volume: Obj) -> str:
    """The FSType of a pod volume (its first set source in upstream's order), "" when none."""
    best: tuple[int, str] | None = None
    for key, value in volume.items():
        ranked = _RANK.get(key)
        if ranked is not None and value is not None and (best is None or ranked < best):
            best = ranked
    return best[1] if best is not None else ""


_KIND = dict(SOURCES)


def fs_types(volumes: list[Any]) -> tuple[str, ...]:
    """`fs_type` of each volume of a pod's list ("" for an item that is not a mapping), for
    less: a volume that is its name and one source set (most are) is read without a call."""
    kinds = []
    for v in volumes:
        if type(v) is dict and len(v) == 2 and "name" in v:
            for key in v:
                if key != "name":
                    break
            if key in _KIND and v[key] is not None:
                kinds.append(_KIND[key])
                continue
        kinds.append(fs_type(v if isinstance(v, dict) else _EMPTY))
    return tuple(kinds)


_EMPTY: Obj = {}
