"""One AdmissionReview in, one AdmissionResponse out: the webhook's decisions, without HTTP.

`decide(webhook, review, settings, sources)` answers a decoded `admission.k8s.io/v1`
AdmissionReview sent to `/mutate` or `/validate`:

* our own exempt namespaces (kube-system and podgate's own by default): allowed unevaluated,
  audit annotation `exempt: namespace`, so podgate can never lock a cluster out;
* Pod Security Standards (`/validate` only, as upstream's PodSecurity is a validating plugin):
  `podgate.pss.admission.admit` routes pods, namespaces and workloads; enforce denies pods,
  warn becomes `warnings`, audit becomes `auditAnnotations` (bare keys: the API server prefixes
  them with the webhook's name). PodSecurity runs before PodSecurityPolicy, as in the API
  server's plugin order; the first denial answers.
* PodSecurityPolicy (pods only): `/mutate` runs the mutating phase of a CREATE and answers
  with the JSON Patch (the `kubernetes.io/psp` annotation included); `/validate` runs the
  validating phase on the pod as received (other webhooks may have changed it) for CREATE and
  UPDATE, the annotation as hint; updates that only touch garbage-collector fields are not
  checked. Subresources: the in-tree plugin skipped them all, which let `kubectl debug` add a
  privileged ephemeral container to any pod. podgate skips only those that cannot change a
  pod's spec (PSA's list: `status`, `binding`, `eviction`, `exec`, `attach`, `log`,
  `portforward`, `proxy`); `/validate` judges any other (`ephemeralcontainers`, and one it does
  not know, so that a newer API server fails safe) as an UPDATE of the pod: the policy in
  `kubernetes.io/psp` first, then the others usable, nothing mutated. `/mutate` never mutates
  on a subresource (the in-tree plugin mutated only CREATEs of pods).
* `mode=audit` never denies: what would have been denied is allowed with a warning, the
  `would-deny` audit annotation, a log field and a metric. On `/mutate` it returns no patch, and
  `/validate` then judges a CREATE as both phases would (mutation allowed).

Requests that cannot be understood, and errors inside podgate, get the failure behaviour
(`on_error`): a denial (400 for a bad request, 500 for an internal error) or, with `allow`, an
allowed response with an `error` audit annotation and a warning. Always a response with the
request's uid ("" when it has none).

The parts: `reviews` (the wire format as TypedDicts), `decode` (the request checked, once, into
the value both engines read), `judge_pss` and `judge_psp` (each engine's judgement, a value),
`encode` (the response), and here the order of the engines and the fold of their judgements
into one `Outcome`. `authorization` binds an API-backed authorizer to the request's deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from podgate.k8s.identity import PolicyUseAuthorizer
from podgate.k8s.kinds import WORKLOAD_KINDS
from podgate.pss.admission import IGNORED_POD_SUBRESOURCES
from podgate.pss.config import DEFAULT_CONFIGURATION, PodSecurityConfiguration
from podgate.webhook.authorization import PerRequest, for_request
from podgate.webhook.decode import BadReview, ReviewRequest, parse, pod_problem, uid_of
from podgate.webhook.encode import ERROR, OnError, failure, response, sanitize_warnings
from podgate.webhook.judge_psp import judge_psp
from podgate.webhook.judge_pss import judge_pss
from podgate.webhook.reviews import ADMISSION_VERSION, MUTATE, VALIDATE, Response
from podgate.webhook.sources import NamespaceSource, PolicySource
from podgate.webhook.verdict import Evaluation, Judgement, Mode

__all__ = [
    "ADMISSION_VERSION",
    "MUTATE",
    "VALIDATE",
    "BadReview",
    "Evaluation",
    "Outcome",
    "Settings",
    "Sources",
    "decide",
    "failure",
    "parse",
    "sanitize_warnings",
    "uid_of",
]

# bare audit annotation keys (podgate decision, webhook.md §1.7); PSA's own keys come from pss
WOULD_DENY = "would-deny"
EXEMPT = "exempt"
MAX_AUTHORIZATION_ERROR = 1024  # characters of lookup errors in the `error` annotation

_WORKLOADS = frozenset((k.group, k.resource) for k in WORKLOAD_KINDS if k.template)


@dataclass(frozen=True, slots=True)
class Settings:
    """How the webhook decides; fixed for the life of the server."""

    mode: Mode = "enforce"
    on_error: OnError = "deny"
    exempt_namespaces: frozenset[str] = frozenset({"kube-system"})
    psp: bool = True  # PodSecurityPolicies are in use
    pss: bool = False  # Pod Security Standards by namespace labels are in use
    pss_config: PodSecurityConfiguration = DEFAULT_CONFIGURATION


@dataclass(frozen=True, slots=True)
class Sources:
    """Where a decision's inputs come from (each may be absent)."""

    policies: PolicySource | None = None
    # None: every policy is usable by everyone
    authorizer: PolicyUseAuthorizer | PerRequest | None = None
    namespaces: NamespaceSource | None = None  # None: every namespace has no labels


@dataclass(frozen=True, slots=True)
class Outcome:
    """The response of one review and what to log and count about it."""

    uid: str
    response: Response
    operation: str = ""
    resource: str = ""
    subresource: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""
    user: str = ""
    dry_run: bool = False
    policy: str = ""  # the PodSecurityPolicy that admitted the pod
    pss_policy: str = ""  # the Pod Security enforce level:version a pod was evaluated at
    note: str = ""
    would_deny: str = ""
    evaluations: tuple[Evaluation, ...] = ()
    exemption: str = ""
    errors: tuple[tuple[str, bool], ...] = ()  # (stage, fatal)

    @property
    def allowed(self) -> bool:
        return self.response["allowed"]


def _answer(
    request: ReviewRequest, response: Response, judgements: list[Judgement], would_deny: str = ""
) -> Outcome:
    """The outcome of a decided request: the response and what the engines said about it."""
    return Outcome(
        request.uid,
        response,
        operation=request.operation.value,
        resource=request.group_resource,
        subresource=request.request_subresource,
        kind=request.kind.kind,
        namespace=request.namespace,
        name=request.pod_name,
        user=request.username,
        dry_run=request.dry_run,
        policy=next((j.policy for j in judgements if j.policy), ""),
        pss_policy=next((j.pss_policy for j in judgements if j.pss_policy), ""),
        note=next((j.note for j in reversed(judgements) if j.note), ""),
        evaluations=tuple(e for j in judgements for e in j.evaluations),
        exemption=next((j.exemption for j in judgements if j.exemption), ""),
        errors=tuple(e for j in judgements for e in j.errors),
        would_deny=would_deny,
    )


def _never() -> bool:
    return False


def decide(
    webhook: str,
    doc: Any,
    settings: Settings,
    sources: Sources,
    *,
    deadline: float | None = None,
) -> Outcome:
    """The response to one decoded AdmissionReview sent to `webhook` (`mutate`|`validate`).
    `deadline` (on `time.monotonic`) bounds the namespace flow and the authorization lookups."""
    try:
        request = parse(doc)
    except BadReview as e:
        uid = uid_of(doc)
        message = f"podgate: bad AdmissionReview: {e}"
        return Outcome(
            uid, failure(uid, settings.on_error, message, code=400), errors=(("decode", True),)
        )
    authorizer = for_request(sources.authorizer, deadline)
    judged: list[Judgement] = []
    try:
        outcome = _decide(webhook, request, settings, sources, deadline, authorizer, judged)
    except Exception as e:  # noqa: BLE001 - any bug must still answer, with the failure behaviour
        message = f"podgate: internal error: {type(e).__name__}: {e}"
        failed = failure(request.uid, settings.on_error, message)
        outcome = _answer(request, failed, [*judged, Judgement(errors=(("decide", True),))])
    problems = authorizer.errors if authorizer is not None else ()
    if not problems:
        return outcome
    # such lookups counted as "not authorized"; say why in the audit log
    annotations = dict(outcome.response.get("auditAnnotations", {}))
    annotations.setdefault(ERROR, "; ".join(dict.fromkeys(problems))[:MAX_AUTHORIZATION_ERROR])
    answered = outcome.response.copy()
    answered["auditAnnotations"] = annotations
    return replace(outcome, response=answered, errors=(*outcome.errors, ("authorization", False)))


def _decide(
    webhook: str,
    request: ReviewRequest,
    settings: Settings,
    sources: Sources,
    deadline: float | None,
    authorizer: PolicyUseAuthorizer | None,
    judged: list[Judgement],
) -> Outcome:
    """The engines in the API server's plugin order (PodSecurity, then PodSecurityPolicy; the
    first refusal answers), each judgement added to `judged` as it is made."""
    if request.namespace and request.namespace in settings.exempt_namespaces:
        exempt = Response(uid=request.uid, allowed=True, auditAnnotations={EXEMPT: "namespace"})
        return _answer(request, exempt, [Judgement(exemption="namespace")])
    judged_pod = request.subresource not in IGNORED_POD_SUBRESOURCES
    if request.is_pod and request.operation in ("CREATE", "UPDATE") and judged_pod:
        problem = pod_problem(request)
        if problem:
            failed = failure(request.uid, settings.on_error, f"podgate: {problem}", code=400)
            return _answer(request, failed, [Judgement(errors=(("decode", True),))])
    pss_routes = (
        request.is_pod
        or (request.group, request.resource) in _WORKLOADS
        or (request.group == "" and request.resource == "namespaces")
    )
    run_pss = webhook == VALIDATE and settings.pss and pss_routes
    if run_pss:
        passed = _never if deadline is None else lambda: time.monotonic() > deadline
        judged.append(judge_pss(request, settings.pss_config, sources.namespaces, passed))
    if request.is_pod and settings.psp and not any(j.refusal for j in judged):
        policies = sources.policies.current() if sources.policies else None
        judged.append(judge_psp(webhook, request, policies, authorizer, settings.mode))
    elif not request.is_pod and not run_pss:
        judged.append(Judgement(note=f"not a pod ({request.group_resource}): allowed unevaluated"))
    return _fold(request, settings, judged)


def _fold(request: ReviewRequest, settings: Settings, judged: list[Judgement]) -> Outcome:
    """One response from the engines' judgements; in audit mode a refusal is a warning, the
    `would-deny` annotation, a log field and a metric instead."""
    allowed, refusal, would_deny = True, None, ""
    patch = None
    warnings: list[str] = []
    annotations: dict[str, str] = {}
    for j in judged:
        annotations.update(j.annotations)
        warnings.extend(j.warnings)
        patch = j.patch or patch
        if j.refusal is None:
            continue
        message = j.refusal["message"]
        if settings.mode == "audit":
            would_deny = message
            warnings.append(f"podgate audit mode: would deny: {message}")
            annotations.setdefault(WOULD_DENY, message)
        else:
            allowed, refusal = False, j.refusal
    answered = response(
        request.uid,
        allowed=allowed,
        refusal=refusal,
        patch=patch,
        warnings=warnings,
        annotations=annotations,
    )
    return _answer(request, answered, judged, would_deny=would_deny)
