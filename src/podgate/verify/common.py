"""What every verifier shares: the pods tried (workloads as their requesters, boundary pods
per namespace and service account, as a controller and as a plain user), the pod as admission
reads it, and the tally of agreements and gaps."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from podgate.export.cluster import Cluster, requester
from podgate.export.model import (
    Direction,
    ExportResult,
    Gap,
    Outcome,
    Verdict,
    annotate,
    verdict_of,
)
from podgate.export.probes import minimal_pod, probes, restricted_pod
from podgate.k8s import Obj, mapping
from podgate.k8s.identity import UserInfo, controller_user, requesting_user
from podgate.psp.admission import requesters
from podgate.psp.strategies import seccomp

PROBE_USER = requesting_user("podgate:probe-user")
CONTROLLER = controller_user("replicaset-controller")


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


def as_admitted(pod: Obj) -> dict[str, Any]:
    """The pod as validating admission reads it: null fields dropped (the API server decodes
    into typed objects), a pod-level seccomp profile field mirrored into the annotation (as
    the API server of PSP's time synchronised them). PSP and the engine see the same pod."""
    out: dict[str, Any] = without_nulls(copy.deepcopy(dict(pod)))
    spec = mapping(out.get("spec"))
    field = seccomp.profile_of_field(mapping(spec.get("securityContext")))
    meta = out.setdefault("metadata", {})
    annotations = meta.get("annotations") or {}
    if field and not annotations.get(seccomp.POD_KEY):
        meta["annotations"] = {**annotations, seccomp.POD_KEY: field}
    return out


@dataclass(frozen=True, slots=True)
class Tried:
    name: str  # the workload, or "(generated: ...)"
    field: str  # the probe's field ("" for workloads)
    pod: Obj
    namespace: str
    who: UserInfo


def pods_to_try(cluster: Cluster, *, boundary: bool) -> Iterator[Tried]:
    """The input's workloads (each as its requester) and, with `boundary`, generated pods for
    every namespace and service account, requested by a controller and by a plain user."""
    for w in cluster.workloads:
        ns = w.ref.namespace or "default"
        who = requester(w) or PROBE_USER
        yield Tried(str(w.ref), "", as_admitted(w.as_pod()), ns, who)
    if not boundary:
        return
    namespaces = sorted(set(cluster.namespaces) | {ns for ns, _ in cluster.service_accounts})
    for ns in namespaces:
        bases = [
            b
            for sa in cluster.representative_service_accounts(ns)
            for b in (minimal_pod(ns, sa), restricted_pod(ns, sa))
        ]
        for p in probes(bases, cluster.policies):
            pod = as_admitted(p.pod)
            sa = mapping(pod.get("spec")).get("serviceAccountName")
            for who in (CONTROLLER, PROBE_USER):
                label = f"(generated: {p.label}, serviceAccount {ns}/{sa}, by {who.name})"
                yield Tried(label, p.field, pod, ns, who)


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
        annotate(o, o["metadata"]["annotations"]["podgate.io/source-policy"], verdict)
        for o in result.objects
    )
    notes = tuple(n for n in result.notes if not n.startswith("unproved until"))
    return replace(result, objects=objects, policies=policies, namespaces=namespaces, notes=notes)
