"""One scan: every workload against the Pod Security Standards and (optionally) the
PodSecurityPolicies in the input, with readiness, the use-policy overview, risk summaries and
exceptions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from podgate.errors import LoadError
from podgate.k8s import Obj, mapping
from podgate.k8s.defaults import default_object
from podgate.k8s.objects import CONTAINER_LISTS
from podgate.k8s.prepare import other_release_note, prepare_for_create
from podgate.k8s.shape import pod_shape_errors
from podgate.psp import Identity, PolicySet, Request, review
from podgate.psp.patch import json_patch
from podgate.psp.policy import is_policy
from podgate.pss import LATEST, Level, LevelVersion, Version, Violation, evaluate, highest_level
from podgate.pss.checks.capabilities_restricted import case_hints
from podgate.rbac import Attributes, Authorizer, Grant, UserInfo, service_account_user
from podgate.rbac.authorizer import USE_GROUPS
from podgate.scan.controls import Catalog, Control, invalid_control, psp_control, pss_control
from podgate.scan.coverage import (
    apart_notes,
    coverage,
    coverage_notes,
    duplicate_notes,
    every_workload,
)
from podgate.scan.definitions import (
    authorizer,
    namespace_levels,
    other_namespace_levels,
    policies,
)
from podgate.scan.exceptions import ExceptionStatus, matches
from podgate.scan.findings import Finding
from podgate.scan.inventory import Source, Workload, WorkloadRef, find_workloads
from podgate.scan.model import (
    BroadBinding,
    ControllerIdentity,
    PspOutcome,
    Readiness,
    ScanOptions,
    ScanResult,
    UsableBy,
    WorkloadResult,
)
from podgate.scan.owned import judge_with_owned

__all__ = [
    "BroadBinding",
    "ControllerIdentity",
    "PspOutcome",
    "Readiness",
    "ScanOptions",
    "ScanResult",
    "UsableBy",
    "WorkloadResult",
    "scan",
]

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
    ns_levels, ns_warnings = namespace_levels(objs, sources, options.config)
    ns_others = other_namespace_levels(objs, options.config)
    found = policies(objs, sources, enabled=options.psp)
    policy_sets = found.sets if found is not None else ()
    policy_set = policy_sets[-1] if policy_sets else None
    authz, rbac_warnings = authorizer(objs, sources)
    warnings = [*rbac_warnings, *(found.warnings if found else ()), *ns_warnings]
    notes: list[str] = [*warnings, *(found.notes if found else ())]
    if policy_set is not None and authz is None and policy_set.names:
        notes.append(
            "no RBAC objects in the input: every PodSecurityPolicy is taken as usable "
            "by everyone (in a cluster, nobody could use one without RBAC)"
        )
    if policy_set is not None and not policy_set.providers:
        notes.append(
            "PodSecurityPolicy simulation is on, but the input holds no usable policy: PSP "
            "admission rejects every pod (no providers available to validate pod request)"
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
            found = answers[key] = authz.can_use_policy(user, namespace, policy)
        return found

    def requester(w: Workload) -> Identity | None:
        creator = w.creator
        if creator is None or options.controller_identity is ControllerIdentity.NONE:
            return options.user if creator is None else None
        if options.controller_identity is ControllerIdentity.CONTROLLER_MANAGER:
            return Identity("system:kube-controller-manager", ("system:authenticated",))
        sa = service_account_user("kube-system", creator)
        return Identity(sa.name, sa.groups)

    def level_of(ns: str) -> tuple[LevelVersion, str]:
        if options.level is not None:
            return LevelVersion(options.level, options.version), "requested"
        if options.config.exemptions.namespace(ns):
            return LevelVersion(Level.PRIVILEGED, LATEST), "exempt namespace"
        if ns in ns_levels:
            return ns_levels[ns]
        d = options.config.defaults.enforce
        return LevelVersion(d.level, d.version), "configuration defaults"

    def judge(w: Workload, full: bool = True) -> WorkloadResult:
        """The verdict on `w`; without `full`, only what `same_verdict` compares (no
        findings, no highest level): enough to tell whether an owned object can be folded."""
        _check_shape(w)
        ns = w.ref.namespace
        lv, how = level_of(ns)
        seen = _as_admitted(w, options, notes if full else [])  # what Pod Security Admission sees
        violations = evaluate(lv.level, lv.version, seen.meta, seen.spec)
        if not violations and how == "namespace labels":
            # the Namespace is defined twice: a definition that rejects the workload wins
            for other in ns_others.get(ns, ()):
                rejected = evaluate(other.level, other.version, seen.meta, seen.spec)
                if rejected:
                    lv, violations = other, rejected
                    break
        if full and any(v.check == "capabilities_restricted" for v in violations):
            notes.extend(f"{w.ref}: {hint}" for hint in case_hints(seen.spec))
        findings = _pss_findings(seen, lv, violations, catalog) if full else []
        psp = None
        if policy_sets:
            who = requester(w)
            pod = w.as_pod()
            if not w.is_pod and options.defaults:
                # the pod a controller creates is defaulted as a pod (hostPort = containerPort
                # on hostNetwork) before PSP admission sees it
                pod = dict(default_object(pod)[0])
            request = Request("CREATE", pod, ns, who)
            use = can_use if authz is not None else None
            decisions = [review(ps, request, use) for ps in policy_sets]
            # a workload is admitted only if every definition of duplicated policies admits it
            decision = next((d for d in decisions if not d.allowed), decisions[-1])
            psp = PspOutcome(
                requester=who.name if who else "(none)",
                allowed=decision.allowed,
                policy=decision.policy,
                mutated=decision.mutated,
                patch=json_patch(pod, decision.object) if decision.allowed and full else [],
                message=decision.message,
                decision=decision,
            )
            refused = not decision.allowed and not decision.violations and not decision.invalid
            if refused and full:
                findings.append(_no_policy_finding(w, decision.message or ""))
            # the API server's refusal of what a policy admitted, then the policies' errors
            errors = [
                (decision.mutated_by or "validation", err, invalid_control(err))
                for err in decision.invalid
            ]
            errors.extend((p, err, psp_control(err.field)) for p, err in decision.violations)
            for policy, err, key in errors if full else ():
                control = catalog.get(key)
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
        highest = _highest(options.version, lv, violations, seen) if full else Level.PRIVILEGED
        return WorkloadResult(w, lv, how, highest, violations, psp, tuple(findings))

    results: list[WorkloadResult] = []
    for done, w in enumerate(workloads, 1):
        if on_workload is not None:
            on_workload(done, len(workloads))
        results.extend(judge_with_owned(w, judge))
    all_findings = [f for r in results for f in r.findings]

    accepted, statuses = _apply_exceptions(all_findings, options)
    by_id = {id(f): a for f, a in zip(all_findings, accepted, strict=True)}
    results = [replace(r, findings=tuple(by_id[id(f)] for f in r.findings)) for r in results]
    readiness = _readiness(results, workloads, objs, policy_set, authz, can_use, requester)
    readiness = replace(readiness, psp_files=found.files if found else ())
    notes.extend(duplicate_notes(every_workload(results)))
    notes.extend(apart_notes(results))
    is_psp = [is_policy(o) for o in objs]
    covered = coverage(objs, sources, is_psp)
    notes.extend(coverage_notes(covered))
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
        warnings=tuple(warnings),
        coverage=covered,
    )


NO_USABLE_POLICY = Control(
    "noUsablePolicy",
    "admission",
    "PodSecurityPolicy admission",
    "high",
    "no policy is usable by whoever creates the pod (or none exists): the pod cannot run once "
    "PodSecurityPolicy admission is on",
    (),
    (),
    (),
    (),
)


def _no_policy_finding(w: Workload, message: str) -> Finding:
    """A PSP denial that names no field (no policy exists, or none is usable): the workload
    cannot run, so it fails the scan although no field is at fault."""
    return Finding(
        rule=f"psp/admission/{NO_USABLE_POLICY.key}",
        engine="psp",
        check=NO_USABLE_POLICY.key,
        workload=w.ref,
        service_account=w.service_account,
        container=None,
        control=NO_USABLE_POLICY,
        title="no PodSecurityPolicy admits the pod",
        message=message,
        field=w.spec_path,
        source=w.source,
    )


def _as_admitted(w: Workload, options: ScanOptions, notes: list[str]) -> Workload:
    """A bare pod as the API server of `options.kubernetes` hands it to Pod Security Admission
    (PrepareForCreate's annotation/field sync); other workloads as they are (templates are never
    synced). What was copied, or what an older release would copy, goes to `notes`."""
    if not w.is_pod:
        return w
    hint = other_release_note(w.obj, options.kubernetes)
    if hint is not None:
        notes.append(f"{w.ref}: {hint}")
    prepared, synced = prepare_for_create(w.obj, options.kubernetes)
    if not synced:
        return w
    notes.append(f"{w.ref}: judged as the API server prepares it: " + "; ".join(map(str, synced)))
    return replace(w, obj=prepared, meta=prepared["metadata"], spec=prepared["spec"])


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
    if policy_set is not None and not policy_set.names:
        why = (
            "no PodSecurityPolicy exists: PSP admission rejects every pod (no providers "
            "available to validate pod request)"
        )
        lockouts = [(ns, sa, why) for ns, sa in _service_accounts(workloads, objs)]
    elif policy_set is not None and authz is not None:
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
            for group in USE_GROUPS:
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
            for group in USE_GROUPS:
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
