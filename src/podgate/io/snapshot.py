"""A JSON snapshot (`kubectl get ... -o json`: one `v1 List`, or a typed list such as a
`PodList`) decoded to what podgate reads of it, for `scan`.

Much of a snapshot is what no check reads: a pod's `status`, `metadata.managedFields`, where
it is scheduled (node, tolerations, affinity ...), the `env`, `envFrom`, `resources`, image
and command of each container, its probes' timing, what its projected volumes project
(`DROPPED` lists them). Decoding all of it into Python objects costs about nine times the
file in memory; leaving those out cuts that to a third (on a generated 20,000-pod snapshot:
363 MiB of objects instead of 1,140). msgspec decodes each item of a Pod
or a known workload through the types below, which name every field of those Kubernetes API
objects except the dropped ones: what they do not name is skipped without being built. Every
other kind (RBAC, Namespace, PodSecurityPolicy, custom resources ...) is decoded whole.

The objects are those the full decode gives, less the dropped fields:
* only a file that is exactly one JSON object, a list with an `items` list, takes this path,
  and only when msgspec reads it as orjson would: an integer outside the 64-bit range (orjson
  reads it as a float) or a document nested deeper than the loader's limit sends the whole
  file through the loader's usual path, which says what is wrong with it exactly as before;
* an item whose fields do not have the JSON types the types below expect (a `spec` that is a
  string, a `null` container list ...) is decoded whole, so that the checks and the shape
  check see it as they always did;
* items that share an identity (kind, namespace, name) with another object read are decoded
  whole again at the end of loading (`Snapshot.whole`), as the scan compares such objects
  whole.
Which fields are dropped, and that nothing reads them, is proved by
tests/io/test_snapshot.py (every reader of a scan, watched while it runs).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import msgspec

from podgate.io.stream import json_depth_ok
from podgate.k8s.fold import UNREAD_CONTAINER, UNREAD_POD

__all__ = [
    "DROPPED",
    "TRIMMED_TYPES",
    "UNREADABLE",
    "Snapshot",
    "decode_list",
    "decode_snapshot",
    "read_as_orjson",
]

# What is left out of a Pod or a workload, by where it is. No check, no defaulting, no shape
# check, no PSP mutation and no report reads them (tests/io/test_snapshot.py watches them).
DROPPED = {
    "object": ("status",),
    "metadata": ("managedFields", "resourceVersion", "creationTimestamp", "selfLink"),
    "pod spec": tuple(sorted(UNREAD_POD)),
    "container": tuple(sorted(UNREAD_CONTAINER)),
    # of a probe's handler, only where it connects (the host) is read
    "probe": (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
        "terminationGracePeriodSeconds",
    ),
    "probe httpGet": ("path", "port", "scheme", "httpHeaders"),
    "probe tcpSocket": ("port",),
    # every field of a projected volume, of the pod spec's volumes (`_empty_projections`)
    "projected volume": ("sources", "defaultMode"),
    "volume mount": ("mountPath",),
}


class _Meta(TypedDict, total=False):
    """ObjectMeta (k8s.io/apimachinery/pkg/apis/meta/v1), less managedFields, resourceVersion,
    creationTimestamp and selfLink."""

    name: Any
    generateName: Any
    namespace: Any
    uid: Any
    generation: Any
    deletionTimestamp: Any
    deletionGracePeriodSeconds: Any
    labels: Any
    annotations: Any
    ownerReferences: Any
    finalizers: Any
    clusterName: Any  # removed in 1.24; older snapshots carry it


class _Host(TypedDict, total=False):
    """HTTPGetAction and TCPSocketAction: where a probe connects."""

    host: Any


class _Probe(TypedDict, total=False):
    """Probe: its handler (ProbeHandler), where it connects; not its timing."""

    exec: Any
    httpGet: _Host
    tcpSocket: _Host
    grpc: Any


class _Mount(TypedDict, total=False):
    """VolumeMount, less where it is mounted in the container."""

    name: Any
    readOnly: Any
    recursiveReadOnly: Any
    subPath: Any
    mountPropagation: Any
    subPathExpr: Any


class _Container(TypedDict, total=False):
    """Container and EphemeralContainer (k8s.io/api/core/v1), less what `DROPPED` names."""

    name: Any
    ports: Any
    volumeMounts: list[_Mount]
    volumeDevices: Any
    livenessProbe: _Probe
    readinessProbe: _Probe
    startupProbe: _Probe
    lifecycle: Any
    securityContext: Any
    stdin: Any
    stdinOnce: Any
    tty: Any
    resizePolicy: Any
    restartPolicy: Any
    restartPolicyRules: Any
    targetContainerName: Any


class _PodSpec(TypedDict, total=False):
    """PodSpec (k8s.io/api/core/v1), less what `DROPPED` names; the containers through
    `_Container`."""

    volumes: Any
    initContainers: list[_Container]
    containers: list[_Container]
    ephemeralContainers: list[_Container]
    activeDeadlineSeconds: Any
    serviceAccountName: Any
    serviceAccount: Any
    automountServiceAccountToken: Any
    hostNetwork: Any
    hostPID: Any
    hostIPC: Any
    shareProcessNamespace: Any
    securityContext: Any
    hostname: Any
    subdomain: Any
    hostAliases: Any
    readinessGates: Any
    runtimeClassName: Any
    overhead: Any
    setHostnameAsFQDN: Any
    os: Any
    hostUsers: Any
    schedulingGates: Any
    resourceClaims: Any
    resources: Any  # the pod-level resources (1.32)
    hostnameOverride: Any


class _Template(TypedDict, total=False):
    """PodTemplateSpec."""

    metadata: _Meta
    spec: _PodSpec


class _WorkloadSpec(TypedDict, total=False):
    """The specs of Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet and
    Job, every field; the pod template through `_Template`."""

    replicas: Any
    selector: Any
    template: _Template
    strategy: Any
    minReadySeconds: Any
    revisionHistoryLimit: Any
    paused: Any
    progressDeadlineSeconds: Any
    serviceName: Any
    volumeClaimTemplates: Any
    podManagementPolicy: Any
    updateStrategy: Any
    persistentVolumeClaimRetentionPolicy: Any
    ordinals: Any
    parallelism: Any
    completions: Any
    activeDeadlineSeconds: Any
    podFailurePolicy: Any
    successPolicy: Any
    backoffLimit: Any
    backoffLimitPerIndex: Any
    maxFailedIndexes: Any
    ttlSecondsAfterFinished: Any
    completionMode: Any
    suspend: Any
    podReplacementPolicy: Any
    managedBy: Any
    manualSelector: Any


class _JobTemplate(TypedDict, total=False):
    """JobTemplateSpec."""

    metadata: _Meta
    spec: _WorkloadSpec


class _CronJobSpec(TypedDict, total=False):
    """CronJobSpec, every field; the job template through `_JobTemplate`."""

    schedule: Any
    timeZone: Any
    startingDeadlineSeconds: Any
    concurrencyPolicy: Any
    suspend: Any
    jobTemplate: _JobTemplate
    successfulJobsHistoryLimit: Any
    failedJobsHistoryLimit: Any


class _Pod(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: _Meta
    spec: _PodSpec
    items: Any  # kept: an item that is itself a list is refused


class _Workload(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: _Meta
    spec: _WorkloadSpec
    items: Any


class _CronJob(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: _Meta
    spec: _CronJobSpec
    items: Any


class _PodTemplate(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: _Meta
    template: _Template
    items: Any


class _Head(TypedDict, total=False):
    """What is read first of every item: its kind, and the API group that serves it."""

    apiVersion: Any
    kind: Any


class _List(msgspec.Struct):
    """A list: its kind and apiVersion, and its items still undecoded."""

    items: list[msgspec.Raw]
    kind: Any = None
    apiVersion: Any = None


_CORE = ("v1",)
_APPS = ("apps/v1", "apps/v1beta1", "apps/v1beta2", "extensions/v1beta1")
_CRON = ("batch/v1", "batch/v1beta1", "batch/v2alpha1")
# (kind, apiVersion) -> what is kept of such an item
TRIMMED_TYPES: dict[tuple[str, str], type] = {}
for _kinds, _apis, _type in (
    (("Pod",), _CORE, _Pod),
    (("PodTemplate",), _CORE, _PodTemplate),
    (("ReplicationController",), _CORE, _Workload),
    (("Deployment", "ReplicaSet", "DaemonSet"), _APPS, _Workload),
    (("StatefulSet",), ("apps/v1", "apps/v1beta1", "apps/v1beta2"), _Workload),
    (("Job",), ("batch/v1",), _Workload),
    (("CronJob",), _CRON, _CronJob),
):
    for _kind in _kinds:
        for _api in _apis:
            TRIMMED_TYPES[(_kind, _api)] = _type
_BY_TYPE: dict[type, msgspec.json.Decoder[Any]] = {
    t: msgspec.json.Decoder(t) for t in set(TRIMMED_TYPES.values())
}
# where each type holds its pod spec
_SPEC_AT: dict[type, tuple[str, ...]] = {
    _Pod: ("spec",),
    _PodTemplate: ("template", "spec"),
    _Workload: ("spec", "template", "spec"),
    _CronJob: ("spec", "jobTemplate", "spec", "template", "spec"),
}
_DECODERS = {key: (_BY_TYPE[t], _SPEC_AT[t]) for key, t in TRIMMED_TYPES.items()}

_HEAD = msgspec.json.Decoder(_Head)
# an item's apiVersion and kind when they come first, as ASCII strings without escapes
_PEEK = re.compile(
    rb'\{[ \t\r\n]*"apiVersion"[ \t\r\n]*:[ \t\r\n]*"([ !#-\[\]-~]*)"[ \t\r\n]*,'
    rb'[ \t\r\n]*"kind"[ \t\r\n]*:[ \t\r\n]*"([ !#-\[\]-~]*)"'
)
_WHOLE = msgspec.json.Decoder()
# what `Snapshot.item` raises for an item msgspec cannot read as orjson does
UNREADABLE = (msgspec.DecodeError, RecursionError)
_LIST = msgspec.json.Decoder(_List)
# a digit kept as "0", an exponent's "e" or "E" and a "+" as "e", any other byte a space: what
# `_odd_numbers` looks for is then found at C speed
_NUMBER_BYTES = frozenset(b"0123456789.eE+-")
_NUMBER_CLASSES = bytes(48 if 48 <= b <= 57 else 101 if b in b"eE+" else 32 for b in range(256))
_LONG_RUN = b"0" * 19  # 2**63 has 19 digits: a shorter integer is in orjson's range
# an exponent of 3 digits or more (after "e" or "e+"): beyond range takes that, or 309 digits
_BIG_EXPONENT = b"e000"
_BEFORE_NUMBER = frozenset(b":,[")
_AFTER_INTEGER = frozenset(b",}] \t\r\n")
_CHUNK = 1 << 23


def _odd_numbers(raw: bytes) -> bool:
    """Whether `raw` may hold a number msgspec reads otherwise than the usual path: an integer
    outside [-2**63, 2**64 - 1] (orjson reads it as a float), which needs a run of 19 or more
    digits (2**63 has 19), or a float beyond a 64-bit float's range (kubectl refuses it, as the
    usual path does; msgspec reads infinity), which needs 309 digits or an exponent of 3. Each
    is judged by what is around it: a number follows `:`, `,` or `[` and is followed by `,`,
    `}`, `]` or a space; the digits of a string (a checksum, a uid) are among letters. When
    unsure, yes. Read in pieces of about 8 MiB, each ending before a byte that is no part of a
    number (no number is cut), so that no copy of a large file is made whole."""
    start = 0
    while start < len(raw):
        end = start + _CHUNK
        while end < len(raw) and raw[end] in _NUMBER_BYTES:
            end += 1
        classes = raw[start:end].translate(_NUMBER_CLASSES)
        for mark in (_LONG_RUN, _BIG_EXPONENT):
            at = classes.find(mark)
            while at >= 0:
                if _odd_number_at(raw, start + at):
                    return True
                at = classes.find(mark, at + len(mark))
        start = end
    return False


def _odd_number_at(raw: bytes, at: int) -> bool:
    """`_odd_numbers` for what `raw` holds around `at`, a byte of what may be a number (what
    rules most candidates out, the byte after it, is looked at first)."""
    end = at
    size = len(raw)
    while end < size and raw[end] in _NUMBER_BYTES:
        end += 1
    if end < size and raw[end] not in _AFTER_INTEGER:
        return False  # within a string (a uid, a digest) or a key
    begin = at
    while begin > 0 and raw[begin - 1] in _NUMBER_BYTES:
        begin -= 1
    before = raw[max(0, begin - 64) : begin].rstrip(b" \t\r\n")
    if before and before[-1] not in _BEFORE_NUMBER:
        return False
    text = raw[begin:end]
    if text.lstrip(b"-").isdigit():
        return len(text.lstrip(b"-")) >= len(_LONG_RUN)
    try:
        return math.isinf(float(text))
    except ValueError:
        return True


@dataclass(slots=True)
class Snapshot:
    """A list read from one file: its kind and apiVersion, and each item's bytes, decoded one
    at a time (`item`), trimmed where it can be, or whole (`whole`)."""

    kind: Any
    api_version: Any
    raws: Sequence[msgspec.Raw]
    trimmed: list[bool]  # of each item decoded by `item`, whether it was trimmed

    def item(self, i: int) -> Any:
        """Item `i` decoded, trimmed when it is a Pod or known workload whose fields have the
        types expected (then `trimmed[i]`). Raises msgspec.DecodeError or RecursionError when
        msgspec cannot read it as orjson does (a number beyond a double's range)."""
        obj, cut = _item(self.raws[i], self.kind, self.api_version)
        self.trimmed[i] = cut
        return obj

    def whole(self, i: int) -> Any:
        """Item `i` decoded whole."""
        return _WHOLE.decode(self.raws[i])


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _item(raw: msgspec.Raw, list_kind: str, list_api: Any) -> tuple[Any, bool]:
    """An item, trimmed when it is a Pod or known workload whose fields have the types
    expected; (the item, whether it was trimmed). An item of a typed list (`PodList`) with
    neither kind nor apiVersion is the list's kind (the loader gives it that kind)."""
    peek = _PEEK.match(raw)  # kubectl writes apiVersion and kind first
    if peek is not None and peek.group(1) and peek.group(2):
        kind, api = peek.group(2).decode(), peek.group(1).decode()
        found = _DECODERS.get((kind, api))
        if found is None:
            obj = _WHOLE.decode(raw)
            if obj.get("kind") == kind and obj.get("apiVersion") == api:
                return obj, False
        else:
            trimmed = _trimmed(raw, found)
            # as decoded: a later duplicate of either key is the one that counts
            if (
                trimmed[1]
                and trimmed[0].get("kind") == kind
                and trimmed[0].get("apiVersion") == api
            ):
                return trimmed
    try:
        head = _HEAD.decode(raw)
    except msgspec.ValidationError:  # not an object
        return _WHOLE.decode(raw), False
    kind, api = head.get("kind"), head.get("apiVersion")
    if not _is_text(kind) and not _is_text(api):  # the loader's kind and apiVersion for it
        kind = head.get("kind", list_kind[: -len("List")])
        api = head.get("apiVersion", list_api if isinstance(list_api, str) else "")
    found = _DECODERS.get((kind, api)) if isinstance(kind, str) and isinstance(api, str) else None
    if found is None:
        return _WHOLE.decode(raw), False
    return _trimmed(raw, found)


def _trimmed(
    raw: msgspec.Raw, found: tuple[msgspec.json.Decoder[Any], tuple[str, ...]]
) -> tuple[Any, bool]:
    """The item decoded by the trimmed type of its kind (`found`: its decoder, where it holds
    its pod spec), or whole when a field has another JSON type than the API's."""
    decoder, spec_at = found
    try:
        obj = decoder.decode(raw)
    except msgspec.ValidationError:  # a field of another JSON type than the API's
        return _WHOLE.decode(raw), False
    _empty_projections(obj, spec_at)
    return obj, True


def _empty_projections(obj: Any, spec_at: tuple[str, ...]) -> None:
    """Empty each projected volume of the pod spec at `spec_at` in `obj` (a trimmed item): what
    it projects (the service account token, the CA bundle, the namespace ...) is never read,
    only that the volume is projected."""
    spec = obj
    for key in spec_at:
        spec = spec.get(key)
        if spec is None:  # the types made every step a dict, or left it out
            return
    volumes = spec.get("volumes")
    if type(volumes) is not list:
        return
    for volume in volumes:
        if type(volume) is dict:
            projected = volume.get("projected")
            if type(projected) is dict and projected:
                volume["projected"] = {}


def decode_snapshot(raw: bytes, max_depth: int) -> Snapshot | None:
    """The list in `raw` (one JSON object with an `items` list, and nothing after it), its
    items still undecoded (`Snapshot.item`), or None when `raw` is anything else or cannot be
    proved to read as orjson reads it."""
    found = decode_list(raw)
    if found is None or not read_as_orjson(raw, max_depth):
        return None
    return found


def decode_list(raw: bytes) -> Snapshot | None:
    """`decode_snapshot` without `read_as_orjson`: the caller asks that before it uses what
    it decodes of the items (on another core meanwhile, io/snapshot_load.py)."""
    try:
        found = _LIST.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    kind = found.kind
    if not isinstance(kind, str) or not kind.endswith("List"):
        return None  # a single object, or a list the loader refuses: its usual path says so
    return Snapshot(kind, found.apiVersion, found.items, [False] * len(found.items))


def read_as_orjson(raw: bytes, max_depth: int) -> bool:
    """Whether msgspec reads `raw` (a list `decode_list` read) as orjson does, and no value in
    it nests deeper than `max_depth`: else the usual path reads it, and says what is wrong."""
    return not _odd_numbers(raw) and json_depth_ok(raw, max_depth)
