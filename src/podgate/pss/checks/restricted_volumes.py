"""Restricted: only ephemeral and projected volume types.

Fields: every spec.volumes[*]. Allowed: a volume with one of configMap, csi, downwardAPI,
emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret set (as an object). Others
are reported with the first restricted source present, or `unknown` (including a volume with no
source, which the API server would have defaulted to emptyDir before admission).
Replaces hostPathVolumes at restricted.
"""

from __future__ import annotations

from collections.abc import Mapping

from podgate.k8s import Obj
from podgate.pss.fields import Contexts, Malformed, entry, items, join_quote, name_of, plural
from podgate.pss.model import POD, Check, CheckId, Forbidden, Level, Since, v1

ALLOWED_SOURCES = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
)
RESTRICTED_SOURCES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
)


_ALLOWED = frozenset(ALLOWED_SOURCES)


def _is_object(value: object) -> bool:
    """A source set as an object (a wrong type is no source)."""
    return isinstance(value, Mapping) and type(value) is not Malformed


def _kind(volume: Obj) -> str:
    for source in RESTRICTED_SOURCES:
        if volume.get(source) is not None:
            return source
    return "unknown"


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    volumes = spec.get("volumes")
    if volumes is None:
        return None
    bad: list[str] | None = None
    kinds: set[str] = set()
    for item in volumes if type(volumes) is list else items(volumes):
        volume = item if type(item) is dict else entry(item)
        allowed = False
        for key in volume:
            if key in _ALLOWED:
                value = volume[key]
                if type(value) is dict or _is_object(value):
                    allowed = True
                    break
        if allowed:
            continue
        if bad is None:
            bad = []
        bad.append(name_of(volume))
        kinds.add(_kind(volume))
    if bad is None:
        return None
    n = len(bad)
    detail = (
        f"{plural('volume', 'volumes', n)} {join_quote(bad)} {plural('uses', 'use', n)}"
        f" {plural('restricted volume type', 'restricted volume types', len(kinds))}"
        f" {join_quote(sorted(kinds))}"
    )
    return "restricted volume types", detail, ((POD, detail),)


CHECK = Check(
    CheckId("restrictedVolumes"),
    Level.RESTRICTED,
    (Since(v1(0), _since_1_0, overrides=(CheckId("hostPathVolumes"),)),),
)
