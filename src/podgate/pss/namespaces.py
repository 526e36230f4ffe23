"""Which Pod Security policy applies to a namespace: the one answer for the webhook, `podgate pss`,
the scanner and Pod Security Admission's own flows (spec §6.3, §7).

* A known namespace: its `pod-security.kubernetes.io/*` labels with upstream's rules, each mode
  falling back to the configuration's defaults (`labels.resolve_labels`; invalid labels give
  upstream's fallbacks and the errors).
* An unknown namespace (not in the input, not in `--namespaces-from`): the caller chooses
  (`Unknown`). `DEFAULTS`: the configuration's defaults apply (`podgate pss` and `scan`, which say
  so in a note). `REFUSE`: no policy (the webhook with a namespace source, which then fails the
  lookup as upstream does when it cannot read the namespace: a pod is denied, fail closed).
* Exemptions: the configuration's exempt namespaces are reported (`exempt`), never decided here:
  PSA lets an exempt namespace's pods through unevaluated, the scanner judges them as privileged,
  `podgate pss` marks them exempt.
* A namespace defined more than once (files): the definition enforcing the strictest level, then
  the newest version, then the later one (`strictness`), is checked first; a workload it admits
  is judged by the other definitions too, and refused when any of them refuses it
  (`definitions_to_judge`), so that a second definition never makes a namespace less strict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, overload

from podgate.k8s import Obj, mapping
from podgate.pss.config import PodSecurityConfiguration
from podgate.pss.labels import ResolvedPolicy, resolve_labels
from podgate.pss.model import LevelVersion, Version

__all__ = [
    "NamespacePolicy",
    "Unknown",
    "definitions_to_judge",
    "is_exempt",
    "labels_of",
    "namespace_object",
    "policy_of",
    "resolve",
    "strictness",
]


class Unknown(StrEnum):
    """What applies to a namespace that is not known."""

    DEFAULTS = "defaults"  # the configuration's defaults
    REFUSE = "refuse"  # nothing: the caller refuses the request


@dataclass(frozen=True, slots=True)
class NamespacePolicy:
    """The policy that applies to one namespace."""

    name: str
    resolved: ResolvedPolicy
    known: bool  # its labels were read; False: the configuration's defaults apply
    exempt: bool  # one of the configuration's exempt namespaces

    @property
    def enforce(self) -> LevelVersion:
        return self.resolved.policy.enforce


def labels_of(namespace: Obj) -> Mapping[str, Any]:
    """A Namespace object's labels (empty when absent or not a mapping)."""
    return mapping(mapping(namespace.get("metadata")).get("labels"))


def resolve(labels: Mapping[str, Any], config: PodSecurityConfiguration) -> ResolvedPolicy:
    """The policy these namespace labels give under `config`'s defaults, with the label errors."""
    return resolve_labels(labels, config.defaults)


def is_exempt(name: str, config: PodSecurityConfiguration) -> bool:
    """Whether `config` exempts the namespace `name`."""
    return config.exemptions.namespace(name)


@overload
def policy_of(
    name: str,
    labels: Mapping[str, Any] | None,
    config: PodSecurityConfiguration,
    *,
    unknown: Literal[Unknown.DEFAULTS] = Unknown.DEFAULTS,
) -> NamespacePolicy: ...


@overload
def policy_of(
    name: str,
    labels: Mapping[str, Any] | None,
    config: PodSecurityConfiguration,
    *,
    unknown: Unknown,
) -> NamespacePolicy | None: ...


def policy_of(
    name: str,
    labels: Mapping[str, Any] | None,
    config: PodSecurityConfiguration,
    *,
    unknown: Unknown = Unknown.DEFAULTS,
) -> NamespacePolicy | None:
    """The policy of namespace `name` whose labels are `labels` (None: the namespace is not
    known); None only for an unknown namespace with `Unknown.REFUSE`."""
    exempt = is_exempt(name, config)
    if labels is None:
        if unknown == Unknown.REFUSE:
            return None
        return NamespacePolicy(name, ResolvedPolicy(config.defaults), known=False, exempt=exempt)
    return NamespacePolicy(name, resolve(labels, config), known=True, exempt=exempt)


def strictness(enforce: LevelVersion) -> tuple[int, Version]:
    """How strict a definition enforcing `enforce` is (level, then version): of a namespace
    defined more than once, the largest is used, the later definition on a tie."""
    return enforce.level.strictness, enforce.version


def definitions_to_judge(enforces: Sequence[LevelVersion]) -> tuple[int, tuple[int, ...]]:
    """Of a namespace defined more than once, given each definition's enforce level in the order
    read: the definition checked (the strictest level, then the newest version, then the later
    one) and those a workload it admits is judged by as well (the first definition of each
    other enforce level, in the order read). Levels of different versions are not ordered check
    by check (restricted:v1.33 lacks baseline:v1.34's host-probe check), so a workload is
    refused when any of them refuses it. The CLI, the scanner and the webhook all judge so."""
    chosen = max(reversed(range(len(enforces))), key=lambda i: strictness(enforces[i]))
    others: dict[LevelVersion, int] = {}
    for i, enforce in enumerate(enforces):
        if enforce != enforces[chosen]:
            others.setdefault(enforce, i)
    return chosen, tuple(sorted(others.values()))


def namespace_object(
    name: str, labels: Mapping[str, Any] | None, *, unknown: Unknown
) -> Obj | None:
    """The Namespace as Pod Security Admission's flows read it, from its labels (None: the
    namespace is not known): an unknown namespace is unlabelled with `Unknown.DEFAULTS` (the
    defaults apply) and None with `Unknown.REFUSE` (the lookup fails)."""
    if labels is None and unknown == Unknown.REFUSE:
        return None
    meta: dict[str, Any] = {"name": name}
    if labels is not None:
        meta["labels"] = dict(labels)
    return {"metadata": meta}
