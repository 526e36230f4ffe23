"""Enablement readiness at a cluster's scale: the workloads PodSecurityPolicy would reject,
grouped by reason (the control each of upstream's field errors falls under), each rejection's
errors per policy (as `podgate admit` shows them), and in words what upstream's bare
`unable to admit pod: []` means. Pure: a ScanResult in, groups out; upstream's exact message
stays on each workload's PspOutcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from podgate.k8s.field import FieldError
from podgate.psp.admission import NO_PROVIDERS
from podgate.scan.controls import SEVERITY_RANK, Control, invalid_control, psp_control
from podgate.scan.scan import ScanResult, WorkloadResult

NO_USABLE_POLICY = "noUsablePolicy"  # the reason of a denial that names no field error
NO_USABLE_POLICY_TITLE = "No policy usable by whoever creates the pod"

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PolicyErrors:
    """One policy's field errors for one pod, in upstream's order, with the control of each."""

    policy: str
    errors: tuple[tuple[Control, str], ...]  # (control, upstream's field error text)

    def of(self, control: str) -> tuple[str, ...]:
        return tuple(text for c, text in self.errors if c.key == control)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A workload whose pods PodSecurityPolicy admission would deny."""

    result: WorkloadResult
    by_policy: tuple[PolicyErrors, ...]
    reasons: tuple[str, ...]  # control keys, first seen first; NO_USABLE_POLICY without errors
    explanation: str | None  # what a denial without field errors means, in words
    system: bool  # kube-system or a DaemonSet

    @property
    def message(self) -> str:
        """Upstream's exact aggregate message."""
        psp = self.result.psp
        return (psp.message if psp is not None else None) or ""


@dataclass(frozen=True, slots=True)
class Group(Generic[_T]):
    """One reason and the items behind it (rejections, or workload results)."""

    key: str  # a control key, a policy name, or NO_USABLE_POLICY
    title: str
    severity: str  # "" when the reason has none
    items: tuple[_T, ...]

    @property
    def count(self) -> int:
        return len(self.items)


def explain(result: WorkloadResult) -> str | None:
    """Words for a PSP denial that lists no field error (upstream: `unable to admit pod: []`):
    every policy was skipped before validation because neither the requester nor the pod's
    service account may `use` it."""
    psp = result.psp
    if psp is None or psp.allowed or psp.decision.violations:
        return None
    if psp.decision.invalid:
        by = psp.decision.mutated_by
        return (
            f"policy {by!r} admits the pod with changes that make it invalid, and the API server "
            "refuses it in its validation, before the validating phase"
            if by
            else "the API server refuses the pod as invalid as written, whichever policy admits it"
        )
    if psp.message is not None and psp.message.endswith(NO_PROVIDERS):
        return (
            "no PodSecurityPolicy exists (or none can be built): with PodSecurityPolicy "
            "admission on, every pod is rejected"
        )
    w = result.workload
    sa = f"system:serviceaccount:{w.ref.namespace}:{w.service_account}"
    who = "nobody (no requester)" if psp.requester == "(none)" else psp.requester
    text = (
        f"no PodSecurityPolicy is usable by whoever creates the pod ({who}) or by its service "
        f"account ({sa}), so no policy was even tried and upstream lists no error"
    )
    if psp.decision.unauthorized:
        names = ", ".join(repr(n) for n in psp.decision.unauthorized)
        text += f"; neither may use {names}"
    return text


Said = dict[tuple[FieldError, bool], tuple[str, str]]
"""What `rejection` made of each PSP field error it met (and whether the API server's
validation reported it): its control key and its text, the same for every workload."""


_SAID_LIMIT = 4096


def rejection(result: WorkloadResult, said: Said | None = None) -> Rejection | None:
    """The rejection of one workload, or None when PSP admits it (or was not checked).
    `said`: what earlier calls made of their errors (filled in here)."""
    psp = result.psp
    if psp is None or psp.allowed:
        return None
    if said is None:
        said = {}
    controls = {f.control.key: f.control for f in result.findings if f.engine == "psp"}
    policies: dict[str, list[tuple[Control, str]]] = {}
    errors = [(policy, err, False) for policy, err in psp.decision.violations]
    errors.extend((psp.decision.mutated_by or "", err, True) for err in psp.decision.invalid)
    for policy, err, invalid in errors:
        made = said.get((err, invalid))
        if made is None:
            key = invalid_control(err) if invalid else psp_control(err.field)
            if len(said) >= _SAID_LIMIT:
                said.clear()
            made = said[(err, invalid)] = (key, str(err))
        key, text = made
        control = controls.get(key) or Control(key, "other", "Other", "medium", "", (), (), (), ())
        policies.setdefault(policy, []).append((control, text))
    by_policy = tuple(PolicyErrors(p, tuple(e)) for p, e in policies.items())
    reasons = tuple(dict.fromkeys(c.key for p in by_policy for c, _ in p.errors))
    ref = result.workload.ref
    return Rejection(
        result=result,
        by_policy=by_policy,
        reasons=reasons or (NO_USABLE_POLICY,),
        explanation=explain(result),
        system=ref.namespace == "kube-system" or ref.kind == "DaemonSet",
    )


def rejections(result: ScanResult) -> tuple[Rejection, ...]:
    said: Said = {}
    return tuple(r for w in result.workloads if (r := rejection(w, said)) is not None)


def _grouped(
    items: Iterable[_T],
    keys: Callable[[_T], Iterable[tuple[str, str, str]]],
) -> tuple[Group[_T], ...]:
    """Items under each of their (key, title, severity), most severe, then largest first."""
    found: dict[str, tuple[str, str, list[_T]]] = {}
    for item in items:
        for key, title, severity in dict.fromkeys(keys(item)):
            entry = found.get(key)
            if entry is None:
                entry = found[key] = (title, severity, [])
            entry[2].append(item)
    order = sorted(
        found.items(),
        key=lambda kv: (
            kv[0] != NO_USABLE_POLICY,
            -SEVERITY_RANK.get(kv[1][1], -1),
            -len(kv[1][2]),
            kv[1][0],
            kv[0],
        ),
    )
    return tuple(Group(k, title, sev, tuple(its)) for k, (title, sev, its) in order)


def _control_key(c: Control) -> tuple[str, str, str]:
    return c.key, f"{c.category_title}: {c.key}", c.severity


def _control_keys() -> Callable[[Iterable[Control]], list[tuple[str, str, str]]]:
    """`_control_key` of each control, each made once per control (the controls outlive the
    function returned: a result holds them)."""
    made: dict[int, tuple[str, str, str]] = {}

    def keys(controls: Iterable[Control]) -> list[tuple[str, str, str]]:
        out = []
        for c in controls:
            key = made.get(id(c))
            if key is None:
                key = made[id(c)] = _control_key(c)
            out.append(key)
        return out

    return keys


def by_reason(found: Sequence[Rejection]) -> tuple[Group[Rejection], ...]:
    """Rejections under each control their errors fall under (a workload may be under
    several); denials without errors under NO_USABLE_POLICY, first."""
    control_keys = _control_keys()

    def keys(r: Rejection) -> Iterable[tuple[str, str, str]]:
        if not r.by_policy:
            return [(NO_USABLE_POLICY, NO_USABLE_POLICY_TITLE, "")]
        return control_keys(c for p in r.by_policy for c, _ in p.errors)

    return _grouped(found, keys)


def mutated_by_policy(result: ScanResult) -> tuple[Group[WorkloadResult], ...]:
    """Workloads PSP would admit with changes, under the policy that changes them."""
    return _grouped(
        (
            w
            for w in result.workloads
            if w.psp is not None and w.psp.allowed and w.psp.mutated and w.psp.policy
        ),
        lambda w: (
            [(w.psp.policy, f"policy {w.psp.policy!r}", "")] if w.psp and w.psp.policy else []
        ),
    )


def pss_failing_by_control(result: ScanResult) -> tuple[Group[WorkloadResult], ...]:
    """Workloads failing their Pod Security Standards level, under each control they fail."""
    control_keys = _control_keys()
    return _grouped(
        (w for w in result.workloads if w.violations),
        lambda w: control_keys([f.control for f in w.findings if f.engine == "pss"]),
    )


def lockouts_by_namespace(
    lockouts: Sequence[tuple[str, str, str]],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Locked-out service accounts per namespace, namespaces in order."""
    out: dict[str, list[str]] = {}
    for ns, sa, _ in lockouts:
        out.setdefault(ns, []).append(sa)
    return tuple((ns, tuple(sas)) for ns, sas in sorted(out.items()))
