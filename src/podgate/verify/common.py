"""What every verifier shares: the pods tried (workloads as their requesters, boundary pods
per namespace and service account, as a controller and as a plain user), the pod as admission
reads it, and the tally of agreements and gaps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from podgate.export.cluster import Cluster
from podgate.export.model import (
    Direction,
    ExportResult,
    Gap,
    Outcome,
    Verdict,
    annotate,
    verdict_of,
)
from podgate.export.tried import (
    CONTROLLER,
    PROBE_USER,
    Tried,
    as_admitted,
    pods_to_try,
    without_nulls,
)
from podgate.k8s import Obj
from podgate.k8s.identity import UserInfo
from podgate.psp.admission import requesters

MUTATING_KINDS = frozenset(
    {
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "Assign",
        "AssignMetadata",
        "ModifySet",
    }
)

__all__ = [
    "CONTROLLER",
    "MUTATING_KINDS",
    "PROBE_USER",
    "Tally",
    "Tried",
    "as_admitted",
    "compare",
    "pods_to_try",
    "without_nulls",
]


class Tally:
    def __init__(self) -> None:
        self.tried = 0
        self.agreed = 0
        self.gaps: dict[tuple[str, Direction], list[str]] = defaultdict(list)
        self.errors: list[str] = []

    def add(self, t: Tried, got: bool, expected: bool, error: str) -> None:
        self.tried += 1
        if error:
            self.errors.append(f"{t.name}: {error}")
        if got == expected:
            self.agreed += 1
            return
        direction = Direction.LOOSER if got else Direction.STRICTER
        self.gaps[(t.field or "(workload)", direction)].append(t.name)

    def differs(self, t: Tried, field: str) -> None:
        """Both admit `t`, but the admitted pods differ at `field`."""
        self.tried += 1
        self.gaps[(field or "(pod)", Direction.DIFFERENT)].append(t.name)

    def outcome(self, name: str, engine: str) -> Outcome:
        gaps = []
        for (field, direction), who in sorted(self.gaps.items()):
            workloads = tuple(w for w in who if not w.startswith("(generated"))
            examples = [w for w in who if w.startswith("(generated")][:3]
            detail = (
                f"the engine admits {len(who)} pods PSP admits, but not as PSP mutated them"
                if direction is Direction.DIFFERENT
                else f"the engine {'admits' if direction is Direction.LOOSER else 'denies'} "
                f"{len(who)} pods PSP {'denies' if direction is Direction.LOOSER else 'admits'}"
            )
            if examples:
                detail += "; e.g. " + "; ".join(examples)
            gaps.append(Gap(field, direction, detail, workloads))
        if self.errors:
            gaps.append(
                Gap(
                    "(engine error)",
                    Direction.STRICTER,
                    f"{len(self.errors)} evaluations failed (denied under failurePolicy Fail); "
                    f"first: {self.errors[0]}",
                )
            )
        return Outcome(
            name,
            verdict_of(gaps, engine),
            engine,
            tuple(gaps),
            self.tried,
            self.agreed,
        )


Evaluate = Callable[[Obj, str, UserInfo], tuple[bool, dict[str, tuple[bool, bool]], str]]
"""(pod, namespace, requester) -> (admitted, per policy (admits, may use), error text)."""


def compare(
    result: ExportResult, cluster: Cluster, evaluate: Evaluate, engine: str, *, boundary: bool
) -> ExportResult:
    """`result` with each policy's and namespace's verdict from `engine`: the whole decision
    against PSP's validating phase, and each policy's own answer against that policy alone."""
    per_policy: dict[str, Tally] = {n: Tally() for n in cluster.policy_set.names}
    overall: dict[str, Tally] = defaultdict(Tally)
    for t in pods_to_try(cluster, boundary=boundary):
        admitted, answers, error = evaluate(t.pod, t.namespace, t.who)
        expected = cluster.admits_unchanged(t.pod, t.namespace, t.who) is not None
        overall[t.namespace].add(t, admitted, expected, error)
        who = requesters(t.pod, t.namespace, t.who)
        for provider in cluster.policy_set.providers:
            ev = provider.evaluate(t.pod)
            unchanged = not ev.errors and not ev.mutated
            usable = any(cluster.can_use(u, t.namespace, provider.name) for u in who)
            admits, may_use = answers.get(provider.name, (False, False))
            per_policy[provider.name].add(t, admits and may_use, unchanged and usable, error)
    policies = tuple(per_policy[n].outcome(n, engine) for n in cluster.policy_set.names)
    namespaces = tuple(overall[ns].outcome(ns, engine) for ns in sorted(overall))
    units = (*policies, *namespaces)
    verdict = Verdict.PROVED if all(u.verdict is Verdict.PROVED for u in units) else Verdict.PARTIAL
    objects = tuple(
        o
        if o["kind"] in MUTATING_KINDS  # mutating objects keep their own verdict
        else annotate(o, o["metadata"]["annotations"]["podgate.io/source-policy"], verdict)
        for o in result.objects
    )
    notes = tuple(n for n in result.notes if not n.startswith("unproved until"))
    return replace(result, objects=objects, policies=policies, namespaces=namespaces, notes=notes)
