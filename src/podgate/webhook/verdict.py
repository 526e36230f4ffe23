"""What one engine (Pod Security Admission or PodSecurityPolicy) made of a request, as a value:
`review.decide` runs the engines in the API server's plugin order and folds their judgements
into one outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from podgate.webhook.reviews import Status

__all__ = ["Evaluation", "Judgement", "Mode"]

Mode = Literal["enforce", "audit"]
"""How the webhook applies a denial (`serve --mode`): refuse the request, or admit it with a
warning and an audit annotation."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One policy decision, for the metrics: engine psp|pss, policy name or `level:version`."""

    engine: str
    policy: str
    decision: str  # allow | deny
    mode: str  # enforce | audit | warn


@dataclass(frozen=True, slots=True)
class Judgement:
    """One engine's answer: the refusal (the status of a denial, which audit mode turns into a
    warning), warnings, audit annotations (bare keys, in order), the JSON Patch to return, and
    what to log and count."""

    refusal: Status | None = None
    warnings: tuple[str, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)
    patch: Sequence[Any] | None = None
    evaluations: tuple[Evaluation, ...] = ()
    exemption: str = ""  # pss: an exemption counted
    errors: tuple[tuple[str, bool], ...] = ()  # (stage, fatal)
    note: str = ""
    policy: str = ""  # the PodSecurityPolicy that admitted the pod
    pss_policy: str = ""  # the Pod Security enforce level:version a pod was evaluated at
