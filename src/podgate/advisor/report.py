"""The advisor's report: which workloads and containers use each security attribute, the narrow
exceptions (a privilege only some service accounts of a namespace need), the Pod Security
Standards level each namespace can enforce, and which of the input's PodSecurityPolicies
mutate which pods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from podgate.advisor.advise import unchanged
from podgate.advisor.facts import PodFacts, is_id
from podgate.advisor.model import Advice, GroupBy, Observed
from podgate.k8s import mapping
from podgate.k8s.identity import controller_user
from podgate.k8s.prepare import prepare_for_create
from podgate.k8s.source import Document
from podgate.psp import Request, review
from podgate.psp.patch import json_patch
from podgate.pss import Level, Version, highest_level
from podgate.scan.controls import Catalog
from podgate.scan.coverage import coverage, coverage_notes, duplicate_notes
from podgate.scan.definitions import authorizer, policies
from podgate.scan.inventory import WorkloadRef

_LEVEL_RANK = {Level.PRIVILEGED: 0, Level.BASELINE: 1, Level.RESTRICTED: 2}
# volume types the restricted level allows: using only these is no exception
_PLAIN_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim"}
    | {"projected", "secret"}
)
# keys whose use is a privilege a narrow exception can grant (not mere missing hardening)
_EXCEPTION_KEYS = frozenset(
    {
        "privileged",
        "hostNetwork",
        "hostPID",
        "hostIPC",
        "hostPorts",
        "volumes",
        "allowedHostPaths",
        "allowedFlexVolumes",
        "allowedCSIDrivers",
        "runAsUser",
        "allowedCapabilities",
        "forbiddenSysctls/allowedUnsafeSysctls",
        "allowedProcMountTypes",
        "seLinux",
        "seccomp",
        "apparmor",
    }
)


@dataclass(frozen=True, slots=True)
class Use:
    key: str  # control key
    value: str  # what exactly: "NET_ADMIN", "/var/log (read-write)", "8080", ...
    workload: WorkloadRef
    service_account: str
    container: str | None  # None: a pod-level setting


@dataclass(frozen=True, slots=True)
class NarrowException:
    namespace: str
    key: str
    value: str
    severity: str
    service_accounts: tuple[str, ...]  # the only ones granted it
    workloads: tuple[str, ...]
    policies: tuple[str, ...]
    # workloads that do not need it but share a service account with one that does: PSP grants
    # per service account, so they get it too (give the workload its own service account)
    shared_with: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NamespaceLevel:
    namespace: str
    level: Level  # the strictest level every workload of the namespace meets
    version: Version
    workloads: int
    blocking: tuple[tuple[str, str], ...]  # (workload, its level) below the next level

    @property
    def command(self) -> str:
        return (
            f"kubectl label --overwrite ns {self.namespace} "
            f"pod-security.kubernetes.io/enforce={self.level.value} "
            f"pod-security.kubernetes.io/enforce-version={self.version}"
        )

    @property
    def manifest(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": self.namespace,
                "labels": {
                    "pod-security.kubernetes.io/enforce": self.level.value,
                    "pod-security.kubernetes.io/enforce-version": str(self.version),
                },
            },
        }


@dataclass(frozen=True, slots=True)
class ExistingOutcome:
    """What the input's own PodSecurityPolicies do to one workload's pod."""

    workload: WorkloadRef
    requester: str
    allowed: bool
    policy: str | None
    mutated: bool
    patch: tuple[dict[str, Any], ...]
    message: str | None


@dataclass(frozen=True, slots=True)
class Report:
    uses: tuple[Use, ...]
    exceptions: tuple[NarrowException, ...]
    namespaces: tuple[NamespaceLevel, ...]
    existing: tuple[ExistingOutcome, ...]  # mutated or denied pods only
    existing_policies: tuple[str, ...]
    rbac_from_input: bool
    notes: tuple[str, ...]


def _uses_of(o: Observed, facts: Sequence[PodFacts]) -> list[Use]:
    w = o.workload
    ref, sa = w.ref, w.service_account
    seen: set[tuple[str, str, str | None]] = set()
    out: list[Use] = []

    def add(key: str, value: str, container: str | None = None) -> None:
        k = (key, value, container)
        if k not in seen:
            seen.add(k)
            out.append(Use(key, value, ref, sa, container))

    for f in facts:
        for key, on in (
            ("hostNetwork", f.host_network),
            ("hostPID", f.host_pid),
            ("hostIPC", f.host_ipc),
        ):
            if on:
                add(key, "true")
        for t in f.volume_types:
            if t and t not in _PLAIN_VOLUMES:
                add("volumes", t)
        for hp in f.host_paths:
            mode = "read-only" if hp.read_only else "read-write"
            add("allowedHostPaths", f"{hp.path or '/'} ({mode})")
        for d in f.flex_drivers:
            add("allowedFlexVolumes", str(d))
        for d in f.csi_drivers:
            add("allowedCSIDrivers", str(d))
        for s in f.unsafe_sysctls:
            add("forbiddenSysctls/allowedUnsafeSysctls", str(s))
        if f.supplemental_groups:
            add("supplementalGroups", ",".join(map(str, f.supplemental_groups)))
        if f.fs_group is not None:
            add("fsGroup", str(f.fs_group))
        if isinstance(f.runtime_class, str):
            add("runtimeClass", f.runtime_class)
        if f.pod_seccomp:
            add("seccomp", f.pod_seccomp)
        for c in f.containers:
            name = c.name
            if c.privileged:
                add("privileged", "true", name)
            for p in c.host_ports:
                add("hostPorts", str(p), name)
            if c.uid == 0 or (c.uid is None and c.non_root is not True):
                add("runAsUser", "root (uid 0)" if c.uid == 0 else "may run as root", name)
            elif is_id(c.uid):
                add("runAsUser", f"uid {c.uid}", name)
            if c.gid is not None:
                add("runAsGroup", str(c.gid), name)
            for cap in c.added:
                add("allowedCapabilities", str(cap), name)
            if "ALL" not in c.dropped:
                add("requiredDropCapabilities", "does not drop ALL", name)
            if c.seccomp in ("unconfined", ""):
                add("seccomp", c.seccomp or "none", name)
            if isinstance(c.apparmor, str) and c.apparmor:
                add("apparmor", c.apparmor, name)
            if isinstance(c.selinux, dict) and c.selinux:
                opts = ",".join(f"{k}={v}" for k, v in sorted(c.selinux.items()))
                add("seLinux", opts, name)
            if c.proc_mount != "Default":
                add("allowedProcMountTypes", str(c.proc_mount), name)
            if not c.no_escalation:
                add("allowPrivilegeEscalation", "allowed", name)
            if not c.read_only_root:
                add("readOnlyRootFilesystem", "writable", name)
    return out


def _exceptions(advice: Advice, uses: Sequence[Use], catalog: Catalog) -> list[NarrowException]:
    """Privileges only some service accounts of a namespace use."""
    sas_of_ns: dict[str, set[str]] = {}
    workloads_of_sa: dict[tuple[str, str], set[str]] = {}
    for o in advice.observed:
        w = o.workload
        sas_of_ns.setdefault(w.ref.namespace, set()).add(w.service_account)
        workloads_of_sa.setdefault((w.ref.namespace, w.service_account), set()).add(str(w.ref))
    policy_of: dict[tuple[str, str], str] = {}
    for p in advice.policies:
        for sa in p.service_accounts:
            policy_of[sa] = p.name
    who: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
    for u in uses:
        if u.key not in _EXCEPTION_KEYS:
            continue
        if u.key == "seccomp" and u.value != "unconfined":
            continue
        if u.key == "runAsUser" and u.value.startswith("uid "):
            continue
        entry = who.setdefault((u.workload.namespace, u.key, u.value), (set(), set()))
        entry[0].add(u.service_account)
        entry[1].add(str(u.workload))
    out = []
    for (ns, key, value), (sas, workloads) in sorted(who.items()):
        if sas == sas_of_ns.get(ns, set()):
            continue  # every service account of the namespace needs it: not an exception
        out.append(
            NarrowException(
                namespace=ns,
                key=key,
                value=value,
                severity=catalog.get(key).severity,
                service_accounts=tuple(sorted(sas)),
                workloads=tuple(sorted(workloads)),
                policies=tuple(sorted({policy_of.get((ns, sa), "") for sa in sas} - {""})),
                shared_with=tuple(
                    sorted({x for sa in sas for x in workloads_of_sa.get((ns, sa), ())} - workloads)
                ),
            )
        )
    return out


def _namespaces(
    advice: Advice, version: Version, release: int | None = None
) -> list[NamespaceLevel]:
    """The level each namespace's workloads all meet; Pods judged as the API server of Kubernetes
    1.`release` hands them to admission (PrepareForCreate's sync), templates as they are."""
    levels: dict[str, list[tuple[str, Level]]] = {}
    for o in advice.observed:
        w = o.workload
        first = prepare_for_create(w.obj, release)[0] if w.is_pod else w.obj
        meta, spec = (
            (mapping(first.get("metadata")), mapping(first.get("spec")))
            if w.is_pod
            else (w.meta, w.spec)
        )
        lvl = highest_level(version, meta, spec)
        for pod in o.pods[1:]:  # pods of the input may differ from their template
            pod = prepare_for_create(pod, release)[0]
            meta, spec = mapping(pod.get("metadata")), mapping(pod.get("spec"))
            other = highest_level(version, meta, spec)
            if _LEVEL_RANK[other] < _LEVEL_RANK[lvl]:
                lvl = other
        levels.setdefault(w.ref.namespace, []).append((str(w.ref), lvl))
    out = []
    for ns in sorted(levels):
        items = levels[ns]
        level = min((lv for _, lv in items), key=_LEVEL_RANK.__getitem__)
        blocking = tuple((name, lv.value) for name, lv in items if lv == level)
        out.append(
            NamespaceLevel(
                ns, level, version, len(items), blocking if level != Level.RESTRICTED else ()
            )
        )
    return out


def _existing(
    advice: Advice, docs: Sequence[Document]
) -> tuple[list[ExistingOutcome], list[str], bool, list[str]]:
    found = policies(docs, enabled=None)
    if found is None or not found.sets:
        return [], [], False, list(found.notes) if found is not None else []
    authz, rbac_warnings = authorizer(docs)
    notes = [*rbac_warnings, *found.warnings, *found.notes]
    if authz is None:
        notes.append(
            "no RBAC objects in the input: every existing PodSecurityPolicy is taken as "
            "usable by everyone"
        )
    policy_set = found.applied
    out = []
    for o in advice.observed:
        w = o.workload
        creator = w.creator
        user = controller_user(creator) if creator is not None else None
        pod = o.pods[0]
        request = Request("CREATE", pod, w.ref.namespace, user)
        decisions = [review(ps, request, authz) for ps in found.sets]
        # admitted only if every definition of a policy defined twice admits it
        d = next((x for x in decisions if not x.allowed), decisions[-1])
        mutated = d.allowed and d.mutated and not unchanged(pod, d.object)
        if d.allowed and not mutated:
            continue
        out.append(
            ExistingOutcome(
                workload=w.ref,
                requester=user.name
                if user
                else f"system:serviceaccount:{w.ref.namespace}:{w.service_account}",
                allowed=d.allowed,
                policy=d.policy,
                mutated=mutated,
                patch=tuple(json_patch(pod, d.object)) if mutated else (),
                message=d.message,
            )
        )
    out.sort(key=lambda x: not x.allowed)  # the mutated first (the migration guide's check)
    return out, sorted(str(p.name) for p in policy_set.providers), authz is not None, notes


def advice_notes(advice: Advice, docs: Sequence[Document]) -> list[str]:
    """What the advice could not see, as the scan says it: objects defined twice (each
    observed), documents not evaluated, pod-creating custom resources."""
    workloads = [x for o in advice.observed for x in (o.workload, *o.workload.owned)]
    covered = coverage(docs, policies_read=True)
    return [*duplicate_notes(workloads), *coverage_notes(covered)]


def build_report(
    advice: Advice,
    docs: Sequence[Document],
    catalog: Catalog,
    version: Version,
    release: int | None = None,
) -> Report:
    """The report for `advice`, made from `docs` (the same documents); Pods judged as the API
    server of Kubernetes 1.`release` hands them to admission."""
    uses: list[Use] = []
    for o in advice.observed:
        uses.extend(_uses_of(o, advice.facts.get(id(o), [])))
    exceptions = _exceptions(advice, uses, catalog)
    notes = list(advice.left_out)
    if advice.options.group_by is not GroupBy.SERVICE_ACCOUNT:
        notes.append(
            f"grouped by {advice.options.group_by.value}: every service account of a group "
            "gets what any workload of the group needs; the exceptions below would be "
            "narrower with --group-by serviceaccount"
        )
    existing, names, rbac_from_input, more = _existing(advice, docs)
    more.extend(advice_notes(advice, docs))
    return Report(
        uses=tuple(uses),
        exceptions=tuple(exceptions),
        namespaces=tuple(_namespaces(advice, version, release)),
        existing=tuple(existing),
        existing_policies=tuple(names),
        rbac_from_input=rbac_from_input,
        notes=tuple(notes + more),
    )
