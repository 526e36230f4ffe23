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
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from podgate.k8s import Obj, mapping
from podgate.k8s.gotext import go_quote
from podgate.k8s.identity import PolicyUseAuthorizer, UserInfo
from podgate.k8s.shape import pod_shape_errors
from podgate.psp import (
    Decision,
    PolicySet,
    Request,
    admit_phase,
    review,
    validate_phase,
)
from podgate.pss.admission import (
    IGNORED_POD_SUBRESOURCES,
    AdmissionRequest,
    AdmissionResult,
    ClusterReadError,
    GroupVersionKind,
    MetricEvent,
    MetricKind,
    Operation,
    admit,
)
from podgate.pss.config import DEFAULT_CONFIGURATION, PodSecurityConfiguration
from podgate.webhook.sources import NamespaceSource, PolicySource

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
]

ADMISSION_VERSION = "admission.k8s.io/v1"
MUTATE = "mutate"
VALIDATE = "validate"

# bare audit annotation keys (podgate decision, webhook.md §1.7); PSA's own keys come from pss
ADMIT_POLICY = "admit-policy"
VALIDATE_POLICY = "validate-policy"
WOULD_DENY = "would-deny"
EXEMPT = "exempt"
ERROR = "error"

# apiserver warning limits (webhook.md §1.6, pkg/endpoints/filters/warning.go)
WARNING_TOTAL_RUNES = 4096
WARNING_ITEM_RUNES = 256

_OPERATIONS = tuple(o.value for o in Operation)
_WORKLOADS = frozenset(
    {
        ("", "replicationcontrollers"),
        ("", "podtemplates"),
        ("apps", "replicasets"),
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
    }
)


@dataclass(frozen=True, slots=True)
class Settings:
    """How the webhook decides; fixed for the life of the server."""

    mode: str = "enforce"  # enforce | audit
    on_error: str = "deny"  # deny | allow
    exempt_namespaces: frozenset[str] = frozenset({"kube-system"})
    psp: bool = True  # PodSecurityPolicies are in use
    pss: bool = False  # Pod Security Standards by namespace labels are in use
    pss_config: PodSecurityConfiguration = DEFAULT_CONFIGURATION


@dataclass(frozen=True, slots=True)
class Sources:
    """Where a decision's inputs come from (each may be absent)."""

    policies: PolicySource | None = None
    authorizer: PolicyUseAuthorizer | None = None  # None: every policy is usable by everyone
    namespaces: NamespaceSource | None = None  # None: every namespace has no labels


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One policy decision, for the metrics: engine psp|pss, policy name or `level:version`."""

    engine: str
    policy: str
    decision: str  # allow | deny
    mode: str  # enforce | audit | warn


@dataclass(slots=True)
class Outcome:
    """The response of one review and what to log and count about it."""

    uid: str
    response: dict[str, Any]
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
    evaluations: list[Evaluation] = field(default_factory=list)
    exemption: str = ""
    errors: list[tuple[str, bool]] = field(default_factory=list)  # (stage, fatal)

    @property
    def allowed(self) -> bool:
        return bool(self.response.get("allowed"))


class BadReview(ValueError):
    """An AdmissionReview podgate cannot understand."""


# -- parsing ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parsed:
    uid: str
    operation: str
    group: str
    resource: str
    subresource: str  # the subresource acted on (PSP's view)
    request_subresource: str  # the requested one (PSA's routing)
    kind: GroupVersionKind
    namespace: str
    name: str
    requester: UserInfo | None  # request.userInfo, verbatim
    object: Any
    old_object: Any
    dry_run: bool


def _str(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadReview(f"{where}: expected a string")
    return value


def _map(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadReview(f"{where}: expected an object")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadReview(f"{where}: expected a list of strings")
    return tuple(value)


def uid_of(doc: Any) -> str:
    """The request's uid when there is one, else "" (for answering what cannot be parsed)."""
    if isinstance(doc, Mapping):
        request = doc.get("request")
        if isinstance(request, Mapping):
            uid = request.get("uid")
            if isinstance(uid, str):
                return uid
    return ""


def parse(doc: Any) -> Parsed:
    """The fields of an AdmissionReview request that decisions read; BadReview otherwise."""
    if not isinstance(doc, Mapping):
        raise BadReview("the body is not a JSON object")
    if doc.get("apiVersion") != ADMISSION_VERSION or doc.get("kind") != "AdmissionReview":
        api, got_kind = go_quote(str(doc.get("apiVersion"))), go_quote(str(doc.get("kind")))
        got = f"apiVersion {api} kind {got_kind}"
        raise BadReview(f"expected apiVersion {ADMISSION_VERSION} kind AdmissionReview, got {got}")
    request = doc.get("request")
    if not isinstance(request, Mapping):
        raise BadReview("request: missing")
    uid = _str(request.get("uid"), "request.uid")
    if not uid:
        raise BadReview("request.uid: missing")
    operation = _str(request.get("operation"), "request.operation")
    if operation not in _OPERATIONS:
        raise BadReview(f"request.operation: expected one of {', '.join(_OPERATIONS)}")
    resource = _map(request.get("resource"), "request.resource")
    kind = _map(request.get("kind"), "request.kind")
    user = _map(request.get("userInfo"), "request.userInfo")
    extra = _map(user.get("extra"), "request.userInfo.extra")
    requester = UserInfo(
        _str(user.get("username"), "request.userInfo.username"),
        _strings(user.get("groups"), "request.userInfo.groups"),
        _str(user.get("uid"), "request.userInfo.uid"),
        tuple((k, _strings(v, f"request.userInfo.extra[{k}]")) for k, v in extra.items()),
    )
    subresource = _str(request.get("subResource"), "request.subResource")
    requested = request.get("requestSubResource")
    dry_run = request.get("dryRun")
    if dry_run is not None and not isinstance(dry_run, bool):
        raise BadReview("request.dryRun: expected a boolean")
    return Parsed(
        uid=uid,
        operation=operation,
        group=_str(resource.get("group"), "request.resource.group"),
        resource=_str(resource.get("resource"), "request.resource.resource"),
        subresource=subresource,
        request_subresource=(
            _str(requested, "request.requestSubResource") if requested is not None else subresource
        ),
        kind=GroupVersionKind(
            _str(kind.get("group"), "request.kind.group"),
            _str(kind.get("version"), "request.kind.version"),
            _str(kind.get("kind"), "request.kind.kind"),
        ),
        namespace=_str(request.get("namespace"), "request.namespace"),
        name=_str(request.get("name"), "request.name"),
        requester=requester if requester.name else None,
        object=request.get("object"),
        old_object=request.get("oldObject"),
        dry_run=bool(dry_run),
    )


# -- responses -------------------------------------------------------------------------------------


def _printable(text: str) -> str:
    """No control characters (the API server drops a warning with any): each becomes a space."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else " " for c in text)


def sanitize_warnings(warnings: Iterable[str]) -> list[str]:
    """Warnings as the API server will show them (webhook.md §1.6): control characters replaced,
    duplicates dropped, and once the total passes 4096 runes every warning cut to 256 and the
    rest dropped when the budget is spent."""
    out = list(dict.fromkeys(_printable(unicodedata.normalize("NFC", w)) for w in warnings if w))
    if sum(len(w) for w in out) <= WARNING_TOTAL_RUNES:
        return out
    kept: list[str] = []
    total = 0
    for w in out:
        w = w[: WARNING_ITEM_RUNES - 3] + "..." if len(w) > WARNING_ITEM_RUNES else w
        if total + len(w) > WARNING_TOTAL_RUNES:
            break
        kept.append(w)
        total += len(w)
    return kept


def _status(code: int, reason: str, message: str, details: Mapping[str, Any] | None = None) -> Obj:
    status: dict[str, Any] = {
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        status["details"] = dict(details)
    return status


def failure(uid: str, settings: Settings, message: str, *, code: int = 500) -> dict[str, Any]:
    """The failure behaviour: deny (fail closed) or allow with an `error` annotation."""
    if settings.on_error == "allow":
        return {
            "uid": uid,
            "allowed": True,
            "warnings": sanitize_warnings([f"podgate failed open: {message}"]),
            "auditAnnotations": {ERROR: message},
        }
    reason = "BadRequest" if code == 400 else "InternalError"
    return {
        "uid": uid,
        "allowed": False,
        "status": _status(code, reason, message),
        "auditAnnotations": {ERROR: message},
    }


def _pss_status(result: AdmissionResult) -> Obj:
    status = result.status
    assert status is not None
    details: dict[str, Any] = {}
    if status.name:
        details["name"] = status.name
    if status.group:
        details["group"] = status.group
    if status.kind:
        details["kind"] = status.kind
    if status.causes:
        details["causes"] = [
            {k: v for k, v in (("reason", c.type), ("message", c.message), ("field", c.field)) if v}
            for c in status.causes
        ]
    return _status(status.code, status.reason, status.message, details)


# -- the decision ----------------------------------------------------------------------------------


def _pod_name(parsed: Parsed) -> str:
    if parsed.name:
        return parsed.name
    meta = mapping(mapping(parsed.object).get("metadata"))
    name = meta.get("name") or meta.get("generateName")
    return name if isinstance(name, str) else ""


@dataclass(slots=True)
class _Answer:
    """The answer being built."""

    allowed: bool = True
    refused: bool = False  # denied, or in audit mode would have been
    status: Obj | None = None
    patch: list[dict[str, Any]] | None = None
    warnings: list[str] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)


def _refuse(answer: _Answer, outcome: Outcome, settings: Settings, status: Obj) -> None:
    """A policy denial, or in audit mode what would have been one."""
    message = str(status.get("message", ""))
    answer.refused = True
    if settings.mode == "audit":
        outcome.would_deny = message
        answer.warnings.append(f"podgate audit mode: would deny: {message}")
        answer.annotations.setdefault(WOULD_DENY, message)
        return
    answer.allowed = False
    answer.status = status


def _pss(
    parsed: Parsed,
    settings: Settings,
    sources: Sources,
    deadline_passed: Callable[[], bool],
    answer: _Answer,
    outcome: Outcome,
) -> None:
    namespaces = sources.namespaces

    def get_namespace(name: str) -> Obj:
        if namespaces is None:
            return {"metadata": {"name": name}}
        labels = namespaces.labels(name)
        if labels is None:
            raise ClusterReadError(f"namespace {go_quote(name)} not found")
        return {"metadata": {"name": name, "labels": dict(labels)}}

    request = AdmissionRequest(
        operation=Operation(parsed.operation),
        resource=parsed.resource,
        group=parsed.group,
        kind=parsed.kind,
        subresource=parsed.request_subresource,
        namespace=parsed.namespace,
        name=parsed.name,
        username=parsed.requester.name if parsed.requester else "",
        groups=parsed.requester.groups if parsed.requester else (),
        object=parsed.object if isinstance(parsed.object, Mapping) else None,
        old_object=parsed.old_object if isinstance(parsed.old_object, Mapping) else None,
        dry_run=parsed.dry_run,
    )
    result = admit(
        request,
        config=settings.pss_config,
        get_namespace=get_namespace,
        list_pods=None,  # the namespace flow's pod listing: not available from files
        deadline_passed=deadline_passed,
    )
    _count_pss(result.metrics, outcome)
    answer.annotations.update(result.audit_annotations)
    answer.warnings.extend(result.warnings)
    if result.status is not None:
        _refuse(answer, outcome, settings, _pss_status(result))
    outcome.pss_policy = result.audit_annotations.get("enforce-policy", "")


def _count_pss(events: Iterable[MetricEvent], outcome: Outcome) -> None:
    for event in events:
        if event.kind == MetricKind.EVALUATION and event.policy is not None:
            mode = str(event.mode) if event.mode is not None else ""
            outcome.evaluations.append(Evaluation("pss", str(event.policy), event.decision, mode))
        elif event.kind == MetricKind.EXEMPTION:
            outcome.exemption = outcome.exemption or "pss"
        elif event.kind == MetricKind.ERROR:
            outcome.errors.append(("pss", event.fatal))


def _psp(
    webhook: str,
    parsed: Parsed,
    settings: Settings,
    sources: Sources,
    answer: _Answer,
    outcome: Outcome,
) -> None:
    if parsed.operation not in ("CREATE", "UPDATE"):
        outcome.note = f"PodSecurityPolicy does not check {parsed.operation} requests"
        return
    sub = parsed.subresource
    if sub in IGNORED_POD_SUBRESOURCES:
        outcome.note = f"PodSecurityPolicy does not check the {sub} subresource"
        return
    if webhook == MUTATE and sub:
        outcome.note = (
            f"PodSecurityPolicy does not mutate the {sub} subresource: /validate checks it"
        )
        return
    if webhook == MUTATE and parsed.operation == "UPDATE":
        outcome.note = "PodSecurityPolicy does not mutate on UPDATE"
        return
    policies: PolicySet | None = sources.policies.current() if sources.policies else None
    if policies is None:
        raise RuntimeError("the PodSecurityPolicies are not loaded yet")
    pod = mapping(parsed.object)
    user = parsed.requester
    can_use = sources.authorizer
    ns = parsed.namespace
    decision: Decision
    audit_create = settings.mode == "audit" and parsed.operation == "CREATE"
    if webhook == MUTATE:
        decision = admit_phase(policies, pod, ns, user, can_use)
    elif parsed.operation == "UPDATE" or sub:  # a subresource is judged as a pod UPDATE
        old = parsed.old_object if isinstance(parsed.old_object, Mapping) else None
        decision = review(policies, Request("UPDATE", pod, ns, user, old), can_use)
        if sub:
            outcome.note = f"the {sub} subresource judged as an UPDATE of the pod"
    elif audit_create:  # no patch was applied in audit mode: judge as both phases would
        decision = review(policies, Request("CREATE", pod, ns, user), can_use)
    else:
        decision = validate_phase(policies, pod, ns, user, can_use)
    engine_mode = settings.mode
    if not decision.evaluated:
        outcome.note = decision.skipped_reason
        return
    if not decision.allowed:
        outcome.evaluations.append(Evaluation("psp", "", "deny", engine_mode))
        message = f"pods {go_quote(_pod_name(parsed))} is forbidden: {decision.message}"
        details = {"name": _pod_name(parsed), "kind": "pods"}
        _refuse(answer, outcome, settings, _status(403, "Forbidden", message, details))
        return
    policy = decision.policy or ""
    outcome.policy = policy
    outcome.evaluations.append(Evaluation("psp", policy, "allow", engine_mode))
    key = ADMIT_POLICY if webhook == MUTATE else VALIDATE_POLICY
    answer.annotations[key] = policy
    if webhook == MUTATE and decision.patch and settings.mode != "audit":
        answer.patch = decision.patch


def decide(
    webhook: str,
    doc: Any,
    settings: Settings,
    sources: Sources,
    *,
    deadline_passed: Callable[[], bool] | None = None,
) -> Outcome:
    """The response to one decoded AdmissionReview sent to `webhook` (`mutate`|`validate`)."""
    try:
        parsed = parse(doc)
    except BadReview as e:
        uid = uid_of(doc)
        outcome = Outcome(
            uid, failure(uid, settings, f"podgate: bad AdmissionReview: {e}", code=400)
        )
        outcome.errors.append(("decode", True))
        return outcome
    outcome = Outcome(
        parsed.uid,
        {},
        operation=parsed.operation,
        resource=f"{parsed.group}/{parsed.resource}" if parsed.group else parsed.resource,
        subresource=parsed.request_subresource,
        kind=parsed.kind.kind,
        namespace=parsed.namespace,
        name=_pod_name(parsed),
        user=parsed.requester.name if parsed.requester else "",
        dry_run=parsed.dry_run,
    )
    try:
        outcome.response = _decide(webhook, parsed, settings, sources, deadline_passed, outcome)
    except Exception as e:  # noqa: BLE001 - any bug must still answer, with the failure behaviour
        outcome.errors.append(("decide", True))
        message = f"podgate: internal error: {type(e).__name__}: {e}"
        outcome.response = failure(parsed.uid, settings, message)
    return outcome


def _never() -> bool:
    return False


def _decide(
    webhook: str,
    parsed: Parsed,
    settings: Settings,
    sources: Sources,
    deadline_passed: Callable[[], bool] | None,
    outcome: Outcome,
) -> dict[str, Any]:
    answer = _Answer()
    is_pod = parsed.group == "" and parsed.resource == "pods"
    if parsed.namespace and parsed.namespace in settings.exempt_namespaces:
        outcome.exemption = "namespace"
        return {"uid": parsed.uid, "allowed": True, "auditAnnotations": {EXEMPT: "namespace"}}
    judged = parsed.subresource not in IGNORED_POD_SUBRESOURCES
    if is_pod and parsed.operation in ("CREATE", "UPDATE") and judged:
        problem = _pod_problem(parsed)
        if problem:
            outcome.errors.append(("decode", True))
            return failure(parsed.uid, settings, f"podgate: {problem}", code=400)
    pss_routes = (
        is_pod
        or (parsed.group, parsed.resource) in _WORKLOADS
        or (parsed.group == "" and parsed.resource == "namespaces")
    )
    if webhook == VALIDATE and settings.pss and pss_routes:
        _pss(parsed, settings, sources, deadline_passed or _never, answer, outcome)
    if is_pod and settings.psp and not answer.refused:
        _psp(webhook, parsed, settings, sources, answer, outcome)
    elif not is_pod and not (webhook == VALIDATE and settings.pss and pss_routes):
        outcome.note = f"not a pod ({outcome.resource}): allowed unevaluated"
    response: dict[str, Any] = {"uid": parsed.uid, "allowed": answer.allowed}
    if answer.status is not None:
        response["status"] = answer.status
    if answer.patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(orjson.dumps(answer.patch)).decode("ascii")
    warnings = sanitize_warnings(answer.warnings)
    if warnings:
        response["warnings"] = warnings
    if answer.annotations:
        response["auditAnnotations"] = answer.annotations
    return response


def _pod_problem(parsed: Parsed) -> str:
    """Why the request's pod (and old pod) cannot be evaluated; "" when they can."""
    for label, obj in (("object", parsed.object), ("oldObject", parsed.old_object)):
        if obj is None and (label == "object" or parsed.operation == "CREATE"):
            if label == "object":
                return "failed to decode pod: request.object is missing"
            continue
        if obj is None:
            continue
        if not isinstance(obj, Mapping) or obj.get("kind") not in (None, "Pod"):
            return f"failed to decode pod: request.{label} is not a Pod"
        errors = pod_shape_errors(obj)
        if errors:
            return f"failed to decode pod: request.{label}.{errors[0]}"
    return ""
