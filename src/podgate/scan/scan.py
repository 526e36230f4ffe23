"""One scan run: every workload against the Pod Security Standards and (optionally) the
PodSecurityPolicies in the input, then exceptions, readiness (`readiness.py`), the use-policy
overview (`overview.py`) and the notes. The findings are built in `findings.py`."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from podgate.errors import InternalError
from podgate.k8s.defaults import default_object
from podgate.k8s.identity import UserInfo, controller_user, requesting_user
from podgate.k8s.prepare import other_release_note, prepare_for_create
from podgate.k8s.source import Document
from podgate.psp import Request
from podgate.psp.memo import ReviewMemo
from podgate.pss import (
    LATEST,
    Level,
    LevelVersion,
    Version,
    Violation,
    checks_at,
    evaluate,
    restricted_implies_baseline,
)
from podgate.pss import namespaces as ns_policy
from podgate.pss.checks.capabilities_restricted import case_hints
from podgate.scan.controls import Catalog
from podgate.scan.coverage import (
    Coverage,
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
from podgate.scan.exceptions import apply_exceptions
from podgate.scan.findings import PspSeen, psp_findings, pss_findings
from podgate.scan.inventory import Workload, find_workloads, service_accounts
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
from podgate.scan.overview import overview
from podgate.scan.owned import judge_with_owned
from podgate.scan.packed import Originals, lightened, unpacked
from podgate.scan.readiness import lockouts, readiness

__all__ = [
    "BroadBinding",
    "ControllerIdentity",
    "JudgeEach",
    "Judged",
    "PspOutcome",
    "Readiness",
    "ScanOptions",
    "ScanResult",
    "UsableBy",
    "WorkloadResult",
    "scan",
]

Judged = tuple[list[WorkloadResult], list[str]]
"""The results of one workload (then of the objects judged apart from it), and the notes said."""
JudgeEach = Callable[[Callable[[Workload], Judged], Sequence[Workload]], Iterable[Judged]]
"""Judges each workload with the function given, handing the results back in order."""

_Unjudged = tuple[
    tuple[tuple[str, str, str], ...],
    Coverage,
    tuple[tuple[UsableBy, ...], tuple[BroadBinding, ...]],
]
"""What a scan says that needs no verdict: the lockouts, the coverage, the use-policy overview."""

# kube-controller-manager's one identity, when it does not use its controllers' own
CONTROLLER_MANAGER = requesting_user("system:kube-controller-manager")


class _Evaluations:
    """One workload's Pod Security Standards evaluations, each (level, version) at most once."""

    __slots__ = ("_done", "_meta", "_spec")

    def __init__(self, w: Workload) -> None:
        self._meta, self._spec = w.meta, w.spec
        self._done: dict[LevelVersion, tuple[Violation, ...]] = {}

    def at(self, lv: LevelVersion) -> tuple[Violation, ...]:
        found = self._done.get(lv)
        if found is None:
            found = self._done[lv] = evaluate(lv.level, lv.version, self._meta, self._spec)
        return found

    def highest(self, version: Version, judged: LevelVersion) -> Level:
        """The strictest level met at `version` (`highest_level`), from the evaluations done.
        A workload meeting the restricted level it was judged at is restricted without asking
        baseline, unless it sets `spec.os` (`restricted_implies_baseline`: upstream's v1.25+
        Windows exemptions let a pod pass restricted's checks and fail baseline's; it is then
        privileged, as `highest_level` answers)."""
        restricted = LevelVersion(Level.RESTRICTED, version)
        if (
            judged == restricted
            and not self.at(restricted)
            and restricted_implies_baseline(self._spec)
        ):
            return Level.RESTRICTED
        if self.at(LevelVersion(Level.BASELINE, version)):
            return Level.PRIVILEGED
        return Level.BASELINE if self.at(restricted) else Level.RESTRICTED


def scan(
    docs: Sequence[Document],
    catalog: Catalog,
    options: ScanOptions,
    on_workload: Callable[[int, int], None] | None = None,
    judge_each: JudgeEach | None = None,
) -> ScanResult:
    """Scan the documents read, as `io.prepare` leaves them (pod fields checked for their
    types, defaulted unless asked not to). `on_workload(done, total)` is called after each
    workload, for progress bars. `judge_each` judges the workloads (`map` on this core when
    not given; `io/parallel.py` on every core). Python's cyclic GC is suspended meanwhile:
    the scan makes no reference cycles (tests/scan/test_scan_memory.py), and the collections
    its allocations set off would walk every result built so far again and again (1.5-1.9 s
    of 8.4 s CPU on a 20,000-pod snapshot)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _scan(docs, catalog, options, on_workload, judge_each)
    finally:
        if enabled:
            gc.enable()


def _scan(
    docs: Sequence[Document],
    catalog: Catalog,
    options: ScanOptions,
    on_workload: Callable[[int, int], None] | None,
    judge_each: JudgeEach | None,
) -> ScanResult:
    workloads = find_workloads(docs)
    ns_levels, ns_warnings = namespace_levels(docs, options.config)
    ns_others = other_namespace_levels(docs, options.config)
    found = policies(docs, enabled=options.psp)
    policy_sets = found.sets if found is not None else ()
    policy_set = policy_sets[-1] if policy_sets else None
    authz, rbac_warnings = authorizer(docs)
    objs = [d.obj for d in docs]
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
    # (every workload, the readiness pass): `authz.can_use` answers each question once.

    def requester(w: Workload) -> UserInfo | None:
        creator = w.creator
        if creator is None or options.controller_identity is ControllerIdentity.NONE:
            return options.user if creator is None else None
        if options.controller_identity is ControllerIdentity.CONTROLLER_MANAGER:
            return CONTROLLER_MANAGER
        return controller_user(creator)

    def level_of(ns: str) -> tuple[LevelVersion, str]:
        if options.level is not None:
            return LevelVersion(options.level, options.version), "requested"
        if ns_policy.is_exempt(ns, options.config):
            return LevelVersion(Level.PRIVILEGED, LATEST), "exempt namespace"
        if ns in ns_levels:
            return ns_levels[ns]
        # a namespace not in the input: the configuration's defaults
        return ns_policy.policy_of(ns, None, options.config).enforce, "configuration defaults"

    # pods of one shape (a template's replicas) are reviewed once (psp/memo.py)
    reviews = [ReviewMemo(ps, authz) for ps in policy_sets]
    psp_seen: PspSeen = {}

    def judge(w: Workload, full: bool, said: list[str]) -> WorkloadResult:
        """The verdict on `w` (notes go to `said`); without `full`, only what `same_verdict`
        compares (no findings, no highest level): enough to tell whether an owned object can be
        folded."""
        ns = w.ref.namespace
        lv, how = level_of(ns)
        seen = _as_admitted(w, options, said if full else [])  # what Pod Security Admission sees
        evaluations = _Evaluations(seen)
        violations = evaluations.at(lv)
        if not violations and how == "namespace labels":
            # the Namespace is defined twice: a definition that rejects the workload wins
            for other in ns_others.get(ns, ()):
                rejected = evaluations.at(other)
                if rejected:
                    lv, violations = other, rejected
                    break
        if full and any(v.check == "capabilities_restricted" for v in violations):
            said.extend(f"{w.ref}: {hint}" for hint in case_hints(seen.spec))
        findings = pss_findings(seen, lv, violations, catalog) if full else []
        psp = None
        if policy_sets:
            who = requester(w)
            pod = w.as_pod()
            if not w.is_pod and options.defaults:
                # the pod a controller creates is defaulted as a pod (hostPort = containerPort
                # on hostNetwork) before PSP admission sees it
                pod = dict(default_object(pod)[0])
            request = Request("CREATE", pod, ns, who)
            decisions = [memo.review(request) for memo in reviews]
            # a workload is admitted only if every definition of duplicated policies admits it
            decision = next((d for d in decisions if not d.allowed), decisions[-1])
            psp = PspOutcome(
                requester=who.name if who else "(none)",
                allowed=decision.allowed,
                policy=decision.policy,
                mutated=decision.mutated,
                # the decision's patch is the one from `pod` (the request's pod) to the
                # admitted object; [] for a request PSP does not evaluate
                patch=decision.patch if decision.allowed and full else [],
                message=decision.message,
                decision=decision,
            )
            if full:
                findings.extend(psp_findings(w, decision, catalog, psp_seen))
        highest = evaluations.highest(options.version, lv) if full else Level.PRIVILEGED
        checks = checks_at(lv.level, lv.version)
        return WorkloadResult(w, lv, how, highest, violations, psp, tuple(findings), checks)

    def judge_root(w: Workload) -> Judged:
        """The results of `w` and what is folded into it, judged unpacked; each result keeps
        its workload packed again (scan/packed.py), so that the objects of one root at a time
        are unpacked, and of those folded into it only the ones judged (an object that reads
        as one judged before is told apart by the digest it was packed with)."""
        said: list[str] = []
        originals: Originals = {}
        judged = judge_with_owned(
            unpacked(w, originals),
            lambda o, full: judge(o, full, said),
            lambda o: unpacked(o, originals),
        )
        return [lightened(r, originals) for r in judged], said

    def unjudged() -> _Unjudged:
        """What needs no verdict: every ServiceAccount of the input and every one a workload
        runs as (with PSP only), those locked out, the coverage and the use-policy overview."""
        accounts = service_accounts(workloads, objs) if policy_set is not None else []
        locked = lockouts(workloads, accounts, policy_set, authz, requester)
        return locked, coverage(docs, policies_read=True), overview(accounts, policy_set, authz)

    results: list[WorkloadResult] = []
    made: list[_Unjudged] = []
    judged = (judge_each or map)(judge_root, workloads)
    done = 0
    for done, (each, said) in enumerate(judged, 1):
        if on_workload is not None:
            on_workload(done, len(workloads))
        results.extend(each)
        notes.extend(said)
        if not made:  # made once the first is judged: with a pool, while the workers judge
            made.append(unjudged())
    if not made:
        made.append(unjudged())
    locked, covered, (usable_by, broad) = made[0]
    if done != len(workloads):  # a workload left unjudged would pass unseen
        raise InternalError(f"{len(workloads)} workloads, {done} judged")
    all_findings = [f for r in results for f in r.findings]

    accepted, statuses = apply_exceptions(all_findings, options.exceptions, options.today)
    # a finding an exception accepts is a new one: the results that hold one are made again
    by_id = {id(f): a for f, a in zip(all_findings, accepted, strict=True) if a is not f}
    if by_id:
        results = [
            replace(r, findings=tuple(by_id.get(id(f), f) for f in r.findings))
            if any(id(f) in by_id for f in r.findings)
            else r
            for r in results
        ]
    ready = readiness(results, locked, policy_set, authz)
    ready = replace(ready, psp_files=found.files if found else ())
    notes.extend(duplicate_notes(every_workload(results)))
    notes.extend(apart_notes(results))
    notes.extend(coverage_notes(covered))
    return ScanResult(
        options=options,
        workloads=tuple(results),
        findings=tuple(accepted),
        readiness=ready,
        overview=usable_by,
        broad_bindings=broad,
        exceptions=statuses,
        notes=tuple(notes),
        warnings=tuple(warnings),
        coverage=covered,
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
