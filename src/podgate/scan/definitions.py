"""The objects a scan reads besides workloads (PodSecurityPolicies, RBAC, Namespaces), and what it
does when the input defines one of them twice, differently (a kustomize base beside its rendered
output, variant files of one chart):

- RBAC: the later definition, in input order, as `kubectl apply` of both would leave it.
- Namespaces: the definition with the strictest enforce level (then the newest version); a
  workload it admits but another definition rejects is judged by that one (levels of different
  versions are not ordered check by check), so no violation is hidden; a cluster holds only one.
- PodSecurityPolicies: every workload is reviewed against each definition, and is reported
  denied when any of them denies it: keeping either one alone could hide the other's denial.

Each case is a warning that names every definition's file and line."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from podgate.errors import LoadError
from podgate.k8s import Obj, mapping
from podgate.k8s.source import Document, Source, where
from podgate.psp import PolicySet
from podgate.psp.policy import is_policy, not_a_policy
from podgate.pss import LevelVersion
from podgate.pss import namespaces as ns_policy
from podgate.pss.config import PodSecurityConfiguration
from podgate.rbac import Authorizer, ObjectError

RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
MAX_POLICY_VARIANTS = 16  # policy sets tried per workload when policies are defined twice


def _error_at(message: str, source: Source | None) -> LoadError:
    if source is None:
        return LoadError(message)
    return LoadError(
        message,
        file=source.file,
        document=source.document,
        line=source.line if source.line > 0 else None,
    )


def authorizer(docs: Sequence[Document]) -> tuple[Authorizer | None, list[str]]:
    """The RBAC of the input (None when it holds none) and a warning per object defined twice,
    differently. An invalid object is a LoadError naming its file, document and line."""
    found = [d for d in docs if d.obj.get("kind") in RBAC_KINDS]
    if not found:
        return None, []
    try:
        authz = Authorizer.from_objects([d.obj for d in found], default_namespace="default")
    except ObjectError as e:
        raise _error_at(str(e), found[e.index].source) from None
    warnings = [
        f"{r.where} is defined twice, differently ({where(found[r.first].source)} and "
        f"{where(found[r.later].source)}): the later one ({where(found[r.later].source)}) is "
        "used, as `kubectl apply` of both in this order would leave it"
        for r in authz.redefined
    ]
    return authz, warnings


def _namespace_definitions(
    docs: Sequence[Document], config: PodSecurityConfiguration
) -> dict[str, list[tuple[int, LevelVersion]]]:
    seen: dict[str, list[tuple[int, LevelVersion]]] = {}
    for i, doc in enumerate(docs):
        obj = doc.obj
        if obj.get("kind") != "Namespace":
            continue
        name = str(mapping(obj.get("metadata")).get("name") or "")
        enforce = ns_policy.resolve(ns_policy.labels_of(obj), config).policy.enforce
        seen.setdefault(name, []).append((i, LevelVersion(enforce.level, enforce.version)))
    return seen


def _judged(
    defs: list[tuple[int, LevelVersion]],
) -> tuple[tuple[int, LevelVersion], tuple[tuple[int, LevelVersion], ...]]:
    """The definition checked, and the others judged too (`pss.namespaces`)."""
    chosen, others = ns_policy.definitions_to_judge([lv for _, lv in defs])
    return defs[chosen], tuple(defs[i] for i in others)


def namespaces(
    docs: Sequence[Document], config: PodSecurityConfiguration
) -> tuple[dict[str, tuple[int, LevelVersion]], list[str]]:
    """The Namespace definition used for each name (its index in `docs`, and its enforce
    level), and a warning per namespace whose definitions enforce different levels: the
    strictest level is used, then the newest version, then the later definition. A level is
    not stricter than another in every check across versions (restricted:v1.33 lacks
    baseline:v1.34's host probe check), so each workload is also judged against the other
    definitions (`other_namespace_definitions`) and fails when any of them fails it."""
    out: dict[str, tuple[int, LevelVersion]] = {}
    warnings = []
    for name, defs in _namespace_definitions(docs, config).items():
        chosen, _ = _judged(defs)
        out[name] = chosen
        if len({lv for _, lv in defs}) > 1:
            listed = ", ".join(f"{lv} at {where(docs[i].source)}" for i, lv in defs)
            warnings.append(
                f'namespace "{name}" is defined {len(defs)} times with different enforce levels '
                f"({listed}): the strictest, {chosen[1]} ({where(docs[chosen[0]].source)}), is "
                "checked, and a workload it admits but another definition rejects is judged by "
                "that one, so no violation is hidden; a cluster holds only the one applied last"
            )
    return out, warnings


def other_namespace_definitions(
    docs: Sequence[Document], config: PodSecurityConfiguration
) -> dict[str, tuple[tuple[int, LevelVersion], ...]]:
    """For each Namespace defined more than once with different enforce levels, the
    definitions `namespaces` did not choose (one per distinct level, first read first)."""
    out: dict[str, tuple[tuple[int, LevelVersion], ...]] = {}
    for name, defs in _namespace_definitions(docs, config).items():
        _, others = _judged(defs)
        if others:
            out[name] = others
    return out


def namespace_levels(
    docs: Sequence[Document], config: PodSecurityConfiguration
) -> tuple[dict[str, tuple[LevelVersion, str]], list[str]]:
    """Each Namespace's enforce level (`namespace labels`), as `namespaces` chooses it."""
    chosen, warnings = namespaces(docs, config)
    return {name: (lv, "namespace labels") for name, (_, lv) in chosen.items()}, warnings


def other_namespace_levels(
    docs: Sequence[Document], config: PodSecurityConfiguration
) -> dict[str, tuple[LevelVersion, ...]]:
    """The enforce levels of `other_namespace_definitions`."""
    return {
        name: tuple(lv for _, lv in defs)
        for name, defs in other_namespace_definitions(docs, config).items()
    }


@dataclass(frozen=True, slots=True)
class Policies:
    """The PodSecurityPolicies a scan simulates: one PolicySet, or several when policies are
    defined twice differently (each combination of definitions; the last is what `kubectl
    apply` in input order leaves)."""

    sets: tuple[PolicySet, ...]
    files: tuple[str, ...]  # the files the policies were read from
    notes: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def applied(self) -> PolicySet:
        return self.sets[-1]


def policies(docs: Sequence[Document], *, enabled: bool | None) -> Policies | None:
    """The policies to simulate: with `enabled` None (auto), only when the input holds one;
    True, always (zero policies lock every workload out, as upstream does); False, never.
    An object of kind PodSecurityPolicy in an API version never served is not a policy."""
    found: dict[str, list[tuple[Obj, Source | None]]] = {}
    notes = []
    for doc in docs:
        obj, source = doc.obj, doc.source
        if is_policy(obj):
            name = str(mapping(obj.get("metadata")).get("name") or "")
            found.setdefault(name, []).append((obj, source))
            continue
        text = not_a_policy(obj)
        if text is not None:
            notes.append(f"{where(source)}: {text}")
    if enabled is False or (enabled is None and not found):
        if enabled is False and found:
            notes.append(
                f"--psp off: {sum(len(v) for v in found.values())} PodSecurityPolicy object(s) "
                "read but not simulated"
            )
        return None if not notes else Policies((), (), tuple(notes), ())
    variants: list[list[Obj]] = []
    warnings = []
    for name, defs in found.items():
        distinct: list[tuple[Obj, Source | None]] = []
        for obj, source in defs:
            distinct = [d for d in distinct if d[0] != obj]  # an equal one later replaces it
            distinct.append((obj, source))
        variants.append([o for o, _ in distinct])
        if len(distinct) > 1:
            listed = ", ".join(where(s) for _, s in distinct)
            warnings.append(
                f'PodSecurityPolicy "{name}" is defined {len(distinct)} times, differently '
                f"({listed}): each workload is reviewed against every definition and is "
                "reported denied when any of them denies it (a cluster holds only the one "
                f"applied last, {where(distinct[-1][1])})"
            )
    combos = list(itertools.islice(itertools.product(*variants), MAX_POLICY_VARIANTS + 1))
    if len(combos) > MAX_POLICY_VARIANTS:
        width = max(len(v) for v in variants)
        combos = [tuple(v[min(i, len(v) - 1)] for v in variants) for i in range(width)]
        notes.append(
            "too many PodSecurityPolicies are defined twice to try every combination of "
            f"their definitions: {width} were tried (the first of each, the second, ...)"
        )
    # the combination of every name's last definition last: it is the applied one
    last = tuple(v[-1] for v in variants)
    combos = [c for c in combos if c != last] + [last]
    files = tuple(dict.fromkeys(s.file for defs in found.values() for _, s in defs if s))
    sets = tuple(PolicySet.compile(list(c)) for c in combos)
    return Policies(sets, files, tuple(notes), tuple(warnings))
