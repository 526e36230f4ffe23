"""One scan: every workload against the Pod Security Standards and (optionally) the
PodSecurityPolicies in the input, with readiness, the use-policy overview, risk summaries and
exceptions."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from podgate.errors import LoadError
from podgate.k8s import Obj, mapping
from podgate.k8s.objects import CONTAINER_LISTS
from podgate.k8s.shape import pod_shape_errors
from podgate.psp import Decision, Identity, PolicySet, Request, review
from podgate.psp.patch import json_patch
from podgate.pss import LATEST, Level, LevelVersion, Version, Violation, evaluate, highest_level
from podgate.pss.config import DEFAULT_CONFIGURATION, PodSecurityConfiguration
from podgate.pss.labels import resolve_labels
from podgate.rbac import Attributes, Authorizer, Grant, UserInfo, service_account_user
from podgate.scan.controls import Catalog, at_least, psp_control, pss_control
from podgate.scan.exceptions import AcceptedRisk, ExceptionStatus, matches
from podgate.scan.findings import Finding
from podgate.scan.inventory import Source, Workload, WorkloadRef, find_workloads

PSP_GROUPS = ("policy", "extensions")
BROAD_GROUPS = {
    "system:authenticated": "every authenticated user and service account",
    "system:unauthenticated": "every anonymous request",
    "system:serviceaccounts": "every service account in every namespace",
}
_CONTROL_LEAF = {
    "privileged": "securityContext.privileged",
    "allowPrivilegeEscalation": "securityContext.allowPrivilegeEscalation",
    "allowedCapabilities": "securityContext.capabilities",
    "requiredDropCapabilities": "securityContext.capabilities",
    "runAsUser": "securityContext",
    "seccomp": "securityContext.seccompProfile",
    "apparmor": "securityContext.appArmorProfile",
    "seLinux": "securityContext.seLinuxOptions",
    "allowedProcMountTypes": "securityContext.procMount",
    "hostPorts": "ports",
    "windowsHostProcess": "securityContext.windowsOptions",
    "hostProbesAndHostLifecycle": "livenessProbe",
}
_POD_LEAF = {
    "hostNetwork": "hostNetwork",
    "hostPID": "hostPID",
    "hostIPC": "hostIPC",
    "volumes": "volumes",
    "allowedHostPaths": "volumes",
    "forbiddenSysctls/allowedUnsafeSysctls": "securityContext.sysctls",
    "seccomp": "securityContext.seccompProfile",
    "runAsUser": "securityContext",
    "seLinux": "securityContext.seLinuxOptions",
}


class ControllerIdentity(StrEnum):
    """Who requests the pods of controllers: each controller's own service account (as
    kube-controller-manager runs with --use-service-account-credentials, the kubeadm
    default), kube-controller-manager's single identity, or nobody (only the pod's
    service account counts)."""

    PER_CONTROLLER = "per-controller"
    CONTROLLER_MANAGER = "controller-manager"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ScanOptions:
    level: Level | None = None  # None: each workload's namespace's enforce level
    version: Version = LATEST
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION
    controller_identity: ControllerIdentity = ControllerIdentity.PER_CONTROLLER
    user: Identity | None = None  # who creates bare pods
    exceptions: tuple[AcceptedRisk, ...] = ()
    today: dt.date = dt.date(1970, 1, 1)
    fail_on: str = "low"  # the lowest severity that fails the scan; "none" never fails


@dataclass(frozen=True, slots=True)
class PspOutcome:
    requester: str  # the identity that requests the pod
    allowed: bool
    policy: str | None
    mutated: bool
    patch: list[dict[str, Any]]
    message: str | None
    decision: Decision


@dataclass(frozen=True, slots=True)
class WorkloadResult:
    workload: Workload
    level: LevelVersion  # the level checked (requested, or the namespace's enforce level)
    level_source: str  # "requested", "namespace labels", "configuration defaults", "exempt"
    highest: Level  # the strictest level it meets at the version
    violations: tuple[Violation, ...]
    psp: PspOutcome | None
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class UsableBy:
    namespace: str
    service_account: str
    policies: tuple[tuple[str, tuple[str, ...]], ...]  # (policy, bindings that grant it)


@dataclass(frozen=True, slots=True)
class BroadBinding:
    binding: str
    role: str
    subject: str
    policies: tuple[str, ...]
    blast_radius: str


@dataclass(frozen=True, slots=True)
class Readiness:
    psp_enabled: bool  # policies were given
    rbac_from_input: bool  # RBAC objects decide who may use a policy
    lockouts: tuple[tuple[str, str, str], ...]  # (namespace, service account, why)
    rejected_system: tuple[tuple[WorkloadRef, str], ...]  # kube-system / DaemonSets denied
    mutated: tuple[tuple[WorkloadRef, str], ...]  # workload, policy
    rejected: tuple[tuple[WorkloadRef, str], ...]  # every workload PSP would deny
    pss_failing: tuple[WorkloadRef, ...]  # workloads failing their level


@dataclass(frozen=True, slots=True)
class ScanResult:
    options: ScanOptions
    workloads: tuple[WorkloadResult, ...]
    findings: tuple[Finding, ...]
    readiness: Readiness
    overview: tuple[UsableBy, ...]
    broad_bindings: tuple[BroadBinding, ...]
    exceptions: tuple[ExceptionStatus, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def failing(self) -> tuple[Finding, ...]:
        """Findings that count for --fail-on: not accepted, at or above the threshold."""
        if self.options.fail_on == "none":
            return ()
        return tuple(
            f
            for f in self.findings
            if not f.accepted and at_least(f.severity, self.options.fail_on)
        )

    def summary(self, by: str) -> dict[str, Counter[str]]:
        """Counts of findings by "category", "namespace" or "severity", each split into the
        severities (or, for severity, into open/accepted)."""
        out: dict[str, Counter[str]] = {}
        for f in self.findings:
            key = {
                "category": f.category,
                "namespace": f.workload.namespace,
                "severity": f.severity,
            }[by]
            bucket = out.setdefault(key, Counter())
            bucket["accepted" if f.accepted else "open"] += 1
            if by != "severity":
                bucket[f.severity] += 1
        return out


def _namespace_levels(
    objs: Sequence[Obj], options: ScanOptions
) -> dict[str, tuple[LevelVersion, str]]:
    out: dict[str, tuple[LevelVersion, str]] = {}
    for obj in objs:
        if obj.get("kind") != "Namespace":
            continue
        meta = mapping(obj.get("metadata"))
        name = str(meta.get("name") or "")
        resolved = resolve_labels(mapping(meta.get("labels")), options.config.defaults)
        enforce = resolved.policy.enforce
        out[name] = (LevelVersion(enforce.level, enforce.version), "namespace labels")
    return out


def _container_names(spec: Obj) -> list[tuple[str, int, str]]:
    out = []
    for list_name in CONTAINER_LISTS:
        items = spec.get(list_name)
        if isinstance(items, list):
            for i, c in enumerate(items):
                name = mapping(c).get("name")
                out.append((list_name, i, name if isinstance(name, str) else f"#{i}"))
    return out


def _only(spec: Obj, keep: tuple[str, int] | None) -> dict[str, Any]:
    """The spec with no containers but the one to keep."""
    out = {k: v for k, v in spec.items() if k not in CONTAINER_LISTS}
    if keep is not None:
        out[keep[0]] = [spec[keep[0]][keep[1]]]
    return out


def _pss_findings(
    w: Workload, lv: LevelVersion, violations: tuple[Violation, ...], catalog: Catalog
) -> list[Finding]:
    """One finding per (check, container), or per check when the pod as a whole is at fault:
    a failing check is re-run on the pod without containers and with each container alone."""
    if not violations:
        return []
    failing = {v.check for v in violations}
    by_check: dict[str, list[tuple[str | None, str, str]]] = {c: [] for c in failing}
    pod_level = {v.check: v for v in evaluate(lv.level, lv.version, w.meta, _only(w.spec, None))}
    for check, v in pod_level.items():
        if check in failing:
            by_check[check].append((None, v.detail, w.spec_path))
    for list_name, i, name in _container_names(w.spec):
        alone = evaluate(lv.level, lv.version, w.meta, _only(w.spec, (list_name, i)))
        for v in alone:
            if v.check in failing and v.check not in pod_level:
                by_check[v.check].append((name, v.detail, f"{w.spec_path}.{list_name}[{i}]"))
    out = []
    for v in violations:
        places = by_check[v.check] or [(None, v.detail, w.spec_path)]
        for container, detail, path in places:
            control = catalog.get(pss_control(v.check, detail))
            leaf = (_CONTROL_LEAF if container else _POD_LEAF).get(control.key)
            out.append(
                Finding(
                    rule=f"pss/{lv.level}/{v.check}",
                    engine="pss",
                    check=v.check,
                    workload=w.ref,
                    service_account=w.service_account,
                    container=container,
                    control=control,
                    title=v.reason,
                    message=f"{v.reason} ({detail})" if detail else v.reason,
                    field=f"{path}.{leaf}" if leaf else path,
                    source=w.source,
                )
            )
    return out


def _highest(
    version: Version, lv: LevelVersion, violations: tuple[Violation, ...], w: Workload
) -> Level:
    """`highest_level(version, w.meta, w.spec)`, reusing the evaluation at `lv` when it was at
    the same version: one evaluation less per workload, or two."""
    if lv.version == version:
        if lv.level is Level.RESTRICTED:
            if not violations:
                return Level.RESTRICTED
            failed = evaluate(Level.BASELINE, version, w.meta, w.spec)
            return Level.PRIVILEGED if failed else Level.BASELINE
        if lv.level is Level.BASELINE:
            if violations:
                return Level.PRIVILEGED
            failed = evaluate(Level.RESTRICTED, version, w.meta, w.spec)
            return Level.BASELINE if failed else Level.RESTRICTED
    return highest_level(version, w.meta, w.spec)


def _object_field(w: Workload, psp_field: str) -> str:
    """An upstream PSP field path, as a path in the scanned object."""
    prefix = w.spec_path
    meta_prefix = prefix[: -len("spec")] + "metadata" if prefix.endswith("spec") else "metadata"
    if psp_field.startswith("pod.metadata."):
        return meta_prefix + psp_field[len("pod.metadata") :]
    if psp_field.startswith("pod.spec."):
        psp_field = psp_field[len("pod.") :]
    if psp_field.startswith("spec.securityContext.host"):  # upstream's path quirk
        psp_field = "spec." + psp_field[len("spec.securityContext.") :]
    return prefix + psp_field[len("spec") :] if psp_field.startswith("spec") else psp_field


def _container_of(w: Workload, psp_field: str) -> str | None:
    for list_name, i, name in _container_names(w.spec):
        if psp_field.startswith(f"spec.{list_name}[{i}]"):
            return name
    for prefix in (
        "container.seccomp.security.alpha.kubernetes.io/",
        "container.apparmor.security.beta.kubernetes.io/",
    ):
        if prefix in psp_field:
            return psp_field.split(prefix, 1)[1].rstrip("]")
    return None


def scan(
    objs: Sequence[Obj],
    sources: Sequence[Source | None],
    catalog: Catalog,
    options: ScanOptions,
    on_workload: Callable[[int, int], None] | None = None,
) -> ScanResult:
    """Scan decoded objects (`sources[i]` says where `objs[i]` was read). `on_workload(done,
    total)` is called after each workload, for progress bars."""
    workloads = find_workloads(zip(objs, sources, strict=True))
    ns_levels = _namespace_levels(objs, options)
    policies = [o for o in objs if o.get("kind") == "PodSecurityPolicy"]
    rbac_objs = [
        o
        for o in objs
        if o.get("kind") in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    ]
    policy_set = PolicySet.compile(policies) if policies else None
    authz = Authorizer.from_objects(rbac_objs, default_namespace="default") if rbac_objs else None
    notes: list[str] = []
    if policy_set is not None and authz is None:
        notes.append(
            "no RBAC objects in the input: every PodSecurityPolicy is taken as usable "
            "by everyone (in a cluster, nobody could use one without RBAC)"
        )

    # The same few identities ask about the same policies in each namespace, over and over
    # (every workload, the readiness pass): RBAC answers once per question.
    answers: dict[tuple[Identity, str, str], bool] = {}

    def can_use(identity: Identity, namespace: str, policy: str) -> bool:
        assert authz is not None
        key = (identity, namespace, policy)
        found = answers.get(key)
        if found is None:
            user = UserInfo(identity.name, identity.groups)
            found = answers[key] = any(
                authz.allows(user, Attributes("use", g, "podsecuritypolicies", namespace, policy))
                for g in PSP_GROUPS
            )
        return found

    def requester(w: Workload) -> Identity | None:
        creator = w.creator
        if creator is None or options.controller_identity is ControllerIdentity.NONE:
            return options.user if creator is None else None
        if options.controller_identity is ControllerIdentity.CONTROLLER_MANAGER:
            return Identity("system:kube-controller-manager", ("system:authenticated",))
        sa = service_account_user("kube-system", creator)
        return Identity(sa.name, sa.groups)

    results: list[WorkloadResult] = []
    all_findings: list[Finding] = []
    for done, w in enumerate(workloads, 1):
        if on_workload is not None:
            on_workload(done, len(workloads))
        _check_shape(w)
        ns = w.ref.namespace
        if options.level is not None:
            lv, how = LevelVersion(options.level, options.version), "requested"
        elif options.config.exemptions.namespace(ns):
            lv, how = LevelVersion(Level.PRIVILEGED, LATEST), "exempt namespace"
        elif ns in ns_levels:
            lv, how = ns_levels[ns]
        else:
            d = options.config.defaults.enforce
            lv, how = LevelVersion(d.level, d.version), "configuration defaults"
        violations = evaluate(lv.level, lv.version, w.meta, w.spec)
        findings = _pss_findings(w, lv, violations, catalog)
        psp = None
        if policy_set is not None:
            who = requester(w)
            pod = w.as_pod()
            decision = review(
                policy_set, Request("CREATE", pod, ns, who), can_use if authz is not None else None
            )
            psp = PspOutcome(
                requester=who.name if who else "(none)",
                allowed=decision.allowed,
                policy=decision.policy,
                mutated=decision.mutated,
                patch=json_patch(pod, decision.object) if decision.allowed else [],
                message=decision.message,
                decision=decision,
            )
            for policy, err in decision.violations:
                control = catalog.get(psp_control(err.field))
                findings.append(
                    Finding(
                        rule=f"psp/{policy}/{control.key}",
                        engine="psp",
                        check=control.key,
                        workload=w.ref,
                        service_account=w.service_account,
                        container=_container_of(w, err.field),
                        control=control,
                        title=err.detail or err.type,
                        message=str(err),
                        field=_object_field(w, err.field),
                        source=w.source,
                    )
                )
        highest = _highest(options.version, lv, violations, w)
        results.append(WorkloadResult(w, lv, how, highest, violations, psp, tuple(findings)))
        all_findings.extend(findings)

    accepted, statuses = _apply_exceptions(all_findings, options)
    by_id = {id(f): a for f, a in zip(all_findings, accepted, strict=True)}
    results = [replace(r, findings=tuple(by_id[id(f)] for f in r.findings)) for r in results]
    readiness = _readiness(results, workloads, objs, policy_set, authz, can_use, requester)
    overview, broad = _overview(workloads, objs, policy_set, authz)
    return ScanResult(
        options=options,
        workloads=tuple(results),
        findings=tuple(accepted),
        readiness=readiness,
        overview=overview,
        broad_bindings=broad,
        exceptions=statuses,
        notes=tuple(notes),
    )


def _check_shape(w: Workload) -> None:
    """Refuse a workload whose pod fields have the wrong JSON type (the API server would not
    have stored it; read as unset, a wrong type could pass a check it fails)."""
    errors = pod_shape_errors({"metadata": w.raw_meta, "spec": w.spec})
    if errors:
        at = "" if w.is_pod else w.spec_path[: -len("spec")]
        src = w.source
        raise LoadError(
            f"{w.ref.kind} {w.ref.name!r} is not valid: {at}{errors[0]}",
            file=src.file if src else "",
            document=src.document if src else None,
            line=src.line if src and src.line > 0 else None,
        )


def _apply_exceptions(
    findings: list[Finding], options: ScanOptions
) -> tuple[list[Finding], tuple[ExceptionStatus, ...]]:
    counts: Counter[str] = Counter()
    active = [e for e in options.exceptions if not e.is_expired(options.today)]
    out = []
    for f in findings:
        for e in active:
            if matches(
                e,
                namespace=f.workload.namespace,
                service_account=f.service_account,
                kind=f.workload.kind,
                name=f.workload.name,
                container=f.container,
                control=f.control.key,
                check=f.check,
                rule=f.rule,
            ):
                f = replace(f, accepted_by=e.id)
                counts[e.id] += 1
                break
        out.append(f)
    statuses = tuple(
        ExceptionStatus(
            e,
            "expired" if e.is_expired(options.today) else "active" if counts[e.id] else "unused",
            counts[e.id],
        )
        for e in options.exceptions
    )
    return out, statuses


def _is_system(ref: WorkloadRef) -> bool:
    return ref.namespace == "kube-system" or ref.kind == "DaemonSet"


def _service_accounts(workloads: Iterable[Workload], objs: Iterable[Obj]) -> list[tuple[str, str]]:
    found: dict[tuple[str, str], None] = {}
    for obj in objs:
        if obj.get("kind") == "ServiceAccount":
            meta = mapping(obj.get("metadata"))
            found[(str(meta.get("namespace") or "default"), str(meta.get("name") or ""))] = None
    for w in workloads:
        found[(w.ref.namespace, w.service_account)] = None
    return sorted(found)


def _readiness(
    results: list[WorkloadResult],
    workloads: list[Workload],
    objs: Sequence[Obj],
    policy_set: PolicySet | None,
    authz: Authorizer | None,
    can_use: Any,
    requester: Any,
) -> Readiness:
    lockouts: list[tuple[str, str, str]] = []
    if policy_set is not None and authz is not None:
        names = policy_set.names
        by_sa: dict[tuple[str, str], list[Workload]] = {}
        for w in workloads:
            by_sa.setdefault((w.ref.namespace, w.service_account), []).append(w)
        for ns, sa in _service_accounts(workloads, objs):
            ident = Identity(
                f"system:serviceaccount:{ns}:{sa}",
                ("system:serviceaccounts", f"system:serviceaccounts:{ns}"),
            )
            usable = [n for n in names if can_use(ident, ns, n)]
            if usable:
                continue
            via = [
                n
                for w in by_sa.get((ns, sa), [])
                if (who := requester(w)) is not None
                for n in names
                if can_use(who, ns, n)
            ]
            if not via:
                why = (
                    "no PodSecurityPolicy is usable by this service account or by whoever "
                    "creates its pods: every pod it runs would be rejected"
                )
                lockouts.append((ns, sa, why))
    psp_results = [r for r in results if r.psp is not None]
    return Readiness(
        psp_enabled=policy_set is not None,
        rbac_from_input=authz is not None,
        lockouts=tuple(lockouts),
        rejected_system=tuple(
            (r.workload.ref, r.psp.message or "")
            for r in psp_results
            if r.psp is not None and not r.psp.allowed and _is_system(r.workload.ref)
        ),
        mutated=tuple(
            (r.workload.ref, r.psp.policy or "")
            for r in psp_results
            if r.psp is not None and r.psp.allowed and r.psp.mutated
        ),
        rejected=tuple(
            (r.workload.ref, r.psp.message or "")
            for r in psp_results
            if r.psp is not None and not r.psp.allowed
        ),
        pss_failing=tuple(r.workload.ref for r in results if r.violations),
    )


def _overview(
    workloads: list[Workload],
    objs: Sequence[Obj],
    policy_set: PolicySet | None,
    authz: Authorizer | None,
) -> tuple[tuple[UsableBy, ...], tuple[BroadBinding, ...]]:
    if policy_set is None or authz is None:
        return (), ()
    rows = []
    for ns, sa in _service_accounts(workloads, objs):
        user = service_account_user(ns, sa, authenticated=False)
        usable = []
        for name in policy_set.names:
            grants: list[Grant] = []
            for group in PSP_GROUPS:
                grants.extend(
                    authz.grants(user, Attributes("use", group, "podsecuritypolicies", ns, name))
                )
            if grants:
                usable.append((name, tuple(dict.fromkeys(str(g.binding) for g in grants))))
        rows.append(UsableBy(ns, sa, tuple(usable)))
    namespaces = sorted({ns for ns, _ in _service_accounts(workloads, objs)} | {""})
    broad: dict[tuple[str, str, str], set[str]] = {}
    for name in policy_set.names:
        for ns in namespaces:
            for group in PSP_GROUPS:
                for g in authz.who_can(Attributes("use", group, "podsecuritypolicies", ns, name)):
                    subject = g.subject
                    radius = _blast_radius(subject.kind, subject.name, ns)
                    if radius:
                        broad.setdefault(
                            (str(g.binding), str(g.role), f"{subject.kind} {subject.name}"), set()
                        ).add(name)
    out = []
    for (binding, role, subject_text), names in sorted(broad.items()):
        kind, _, name = subject_text.partition(" ")
        out.append(
            BroadBinding(
                binding,
                role,
                subject_text,
                tuple(sorted(names)),
                _blast_radius(kind, name, "") or "",
            )
        )
    return tuple(rows), tuple(out)


def _blast_radius(kind: str, name: str, namespace: str) -> str | None:
    if kind != "Group":
        return None
    if name in BROAD_GROUPS:
        return BROAD_GROUPS[name]
    if name.startswith("system:serviceaccounts:"):
        return f"every service account in namespace {name.split(':', 2)[2]}"
    return None
