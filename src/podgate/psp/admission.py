"""The PodSecurityPolicy admission decision, as the in-tree plugin made it (Kubernetes 1.21-1.24).

Two phases: `admit` (mutating, CREATE only: mutation allowed, the hint ignored, the chosen policy
written to `kubernetes.io/psp`) and `validate` (CREATE and UPDATE: the pod must be accepted
unchanged; the incoming `kubernetes.io/psp` is tried first). `review` runs what the API server
runs for one request. Authorization of `use` is a `k8s.identity.PolicyUseAuthorizer`, so the
offline RBAC evaluator or SubjectAccessReviews can stand behind it; None is no authorization at
all: every policy is a candidate for every request, whoever (if anyone) makes it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.k8s.defaults import Defaulted
from podgate.k8s.field import FieldError, error_list
from podgate.k8s.identity import PolicyUseAuthorizer, UserInfo, pod_service_account
from podgate.k8s.pod_validation import invalid_message, pod_create_errors, settled_for_psp
from podgate.k8s.prepare import PSP_RELEASE, prepare_for_create
from podgate.psp.draft import Write
from podgate.psp.patch import json_patch, pointer_token
from podgate.psp.policy import BuildError
from podgate.psp.provider import IndependentCheck, Provider, build_provider
from podgate.psp.strategies import PodView, seccomp

PSP_ANNOTATION = "kubernetes.io/psp"
AUDIT_ADMIT = "podsecuritypolicy.policy.k8s.io/admit-policy"
AUDIT_VALIDATE = "podsecuritypolicy.policy.k8s.io/validate-policy"
NO_PROVIDERS = "no providers available to validate pod request"
GC_FIELDS = ("ownerReferences", "finalizers", "selfLink", "managedFields")


@dataclass(frozen=True, slots=True)
class Unusable:
    """A policy whose strategies cannot be built: upstream skips it silently."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Policies compiled once, in upstream's order (byte-wise by name)."""

    providers: tuple[Provider, ...]
    unusable: tuple[Unusable, ...] = ()
    # every distinct mutation-independent check of the providers, and each provider's checks
    # as indexes into it (a pod's results are a list: each check runs at most once per pod)
    checks: tuple[IndependentCheck, ...] = ()
    screens: tuple[tuple[int, ...], ...] = ()
    fails: tuple[Callable[[PodView], bool], ...] = ()  # each check's `fails`

    @classmethod
    def compile(cls, policies: Iterable[Obj]) -> PolicySet:
        providers: list[Provider] = []
        unusable: list[Unusable] = []
        interned: dict[Any, Any] = {}
        for policy in policies:
            try:
                providers.append(build_provider(policy, interned))
            except BuildError as e:
                name = mapping(policy.get("metadata")).get("name")
                unusable.append(Unusable(name if isinstance(name, str) else "", str(e)))
        providers.sort(key=lambda p: p.name.encode())
        slot: dict[int, int] = {}
        checks: list[IndependentCheck] = []
        screens: list[tuple[int, ...]] = []
        for provider in providers:
            for check in provider.independent:
                if id(check) not in slot:
                    slot[id(check)] = len(checks)
                    checks.append(check)
            screens.append(tuple(slot[id(c)] for c in provider.independent))
        return cls(
            tuple(providers),
            tuple(unusable),
            tuple(checks),
            tuple(screens),
            tuple(c.fails for c in checks),
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.providers)


@dataclass(frozen=True, slots=True)
class Computed:
    """The result of one pass over the policies (upstream's computeSecurityContext)."""

    pod: Obj | None  # the accepted (possibly mutated) pod, None when denied
    policy: str | None
    mutated: bool
    errors: tuple[tuple[str, FieldError], ...]  # (policy, error) of authorized policies
    fatal: str | None = None  # e.g. "no providers available to validate pod request"
    unauthorized: tuple[str, ...] = ()  # policies the requester may not use (errors hidden)


def requesters(pod: Obj, namespace: str, user: UserInfo | None) -> tuple[UserInfo, ...]:
    """Whom PSP admission asks whether they may `use` a policy for `pod`, in this order: the
    pod's service account (when it names one), then the requesting user (when there is one).
    A policy either may use is usable."""
    sa = mapping(pod.get("spec")).get("serviceAccountName")
    who = (pod_service_account(namespace, sa),) if isinstance(sa, str) and sa else ()
    return (*who, user) if user is not None else who


def compute(
    policies: PolicySet,
    pod: Obj,
    namespace: str,
    user: UserInfo | None,
    authorizer: PolicyUseAuthorizer | None,
    *,
    mutation_allowed: bool,
    hint: str = "",
) -> Computed:
    """Choose the policy for `pod`: the first (by name; the hint first when mutation is not
    allowed) that accepts it unchanged, else the first that accepts it with mutation when
    mutation is allowed; otherwise the errors of the policies the requester may use.

    A policy is usable when the pod's service account or `user` may use it (each asked of
    `authorizer` at most once per policy); with no authorizer every policy is. A pod the API
    server could not decode (`undecodable`) has no policy, its refusal as the fatal error."""
    refused = undecodable(pod)
    if refused is not None:
        return Computed(None, None, False, (), fatal=refused)
    chosen = _choose(policies, pod, namespace, user, authorizer, mutation_allowed, hint)
    if isinstance(chosen, Computed):
        return chosen
    return Computed(chosen[0], chosen[1], chosen[2], ())


Chosen = tuple[Obj, str, bool, bool, tuple[Write, ...]]
"""An admitted pod: (the pod as the policy left it, the policy, whether it changed the pod,
whether every change is to a key of metadata.annotations, the policy's writes to the pod)."""


def _choose(
    policies: PolicySet,
    pod: Obj,
    namespace: str,
    user: UserInfo | None,
    authorizer: PolicyUseAuthorizer | None,
    mutation_allowed: bool,
    hint: str,
    known: tuple[bool, ...] | None = None,
) -> Chosen | Computed:
    """`compute`: an admitted pod as its `Chosen`, a denial as its Computed. `known`: whether
    the requesters may use each policy, in order, when the authorizer's answers are known up
    front (psp/memo.py); None: asked of `authorizer` as the review needs them."""
    if not policies.providers:
        return Computed(None, None, False, (), fatal=NO_PROVIDERS)
    plan: Iterable[tuple[Provider, tuple[int, ...]]] = zip(
        policies.providers, policies.screens, strict=True
    )
    if known is None:
        authorized = (
            None if authorizer is None else _authorization(pod, namespace, user, authorizer)
        )
    else:
        # a policy the requesters may not use is never chosen and its errors are never shown:
        # with the answers known, it is not evaluated at all
        usable = {p.name for p, ok in zip(policies.providers, known, strict=True) if ok}
        authorized = usable.__contains__
        plan = [pair for pair, ok in zip(plan, known, strict=True) if ok]
    if not mutation_allowed and hint:
        pairs = list(plan)
        plan = [*(p for p in pairs if p[0].name == hint), *(p for p in pairs if p[0].name != hint)]
    # the policies that refuse the pod, each with the view of the pod as it mutated it when it
    # did (its errors are those of that view), else None
    failed: list[tuple[Provider, PodView | None]] = []
    chosen: Chosen | None = None
    view = PodView(pod)  # the input pod, read once for every policy ...
    fails = policies.fails
    results: list[Any] = [None] * len(fails)  # ... each distinct independent check run once
    for provider, screen in plan:
        # whether a policy fails is all that is asked here: the errors are gathered below, for
        # the policies the requester may use, only when the pod is denied
        for i in screen:
            failing = results[i]
            if failing is None:
                failing = results[i] = fails[i](view)
            if failing:
                break
        else:
            failing = False
        if failing:
            failed.append((provider, None))
            continue
        draft = provider.admits(pod, view)
        if isinstance(draft, PodView):
            failed.append((provider, draft))
            continue
        mutated = draft.changed
        if mutated and not mutation_allowed:
            continue
        if authorized is not None and not authorized(provider.name):
            continue
        if not mutated:
            return pod, provider.name, False, True, ()
        if chosen is None:
            chosen = (draft.root, provider.name, True, draft.annotations_only, tuple(draft.writes))
            # when every policy must change the pod, the first that admits it with changes is
            # the answer: no later one can admit it unchanged
            if seccomp.written_by_every_policy(view):
                break
    if chosen is not None:
        return chosen
    # upstream concatenates the groups in Go map order; podgate sorts them by policy name
    failed.sort(key=lambda f: f[0].name.encode())
    errors = tuple(
        (p.name, e)
        for p, after in failed
        if authorized is None or authorized(p.name)
        for e in (p.errors(pod, view) if after is None else p.mutated_errors(after))
    )
    if authorized is None:
        return Computed(None, None, False, errors)
    hidden = tuple(p.name for p in policies.providers if not authorized(p.name))
    return Computed(None, None, False, errors, unauthorized=hidden)


def _authorization(
    pod: Obj, namespace: str, user: UserInfo | None, authorizer: PolicyUseAuthorizer | None
) -> Callable[[str], bool] | None:
    """Whether the pod's service account or `user` may use a policy (by name), each asked of
    `authorizer` at most once per policy; None when there is no authorization at all."""
    if authorizer is None:
        return None
    cache: dict[str, bool] = {}
    who: tuple[UserInfo, ...] | None = None  # asked for when a policy's use is first asked

    def authorized(name: str) -> bool:
        nonlocal who
        ok = cache.get(name)
        if ok is None:
            if who is None:
                who = requesters(pod, namespace, user)
            ok = False
            for u in who:
                if authorizer.can_use(u, namespace, name):
                    ok = True
                    break
            cache[name] = ok
        return ok

    return authorized


@dataclass(frozen=True, slots=True)
class Decision:
    """What the PSP admission plugin decides for one request."""

    allowed: bool
    evaluated: bool  # False: the plugin does not look at this request at all
    policy: str | None
    object: Obj  # the admitted pod (annotation included), or the input when denied/ignored
    mutated: bool  # differs from the input in more than the kubernetes.io/psp annotation
    patch: list[dict[str, Any]]
    violations: tuple[tuple[str, FieldError], ...]
    message: str | None
    audit_annotations: Mapping[str, str] = field(default_factory=dict)
    skipped_reason: str = ""  # why the request is not evaluated
    unauthorized: tuple[str, ...] = ()  # on denial: policies the requester may not use
    # CREATE: what the API server changed between the phases (PrepareForCreate's seccomp sync)
    prepared: tuple[Defaulted, ...] = ()
    # CREATE: the API server's validation refused the admitted pod (`message` says so); the
    # policy whose changes were validated is `mutated_by` when it changed the pod
    invalid: tuple[FieldError, ...] = ()
    mutated_by: str | None = None


def _ignored(pod: Obj, why: str) -> Decision:
    return Decision(True, False, None, pod, False, [], (), None, {}, why)


def _only_gc_fields_changed(new: Obj, old: Obj) -> bool:
    new_meta = dict(mapping(new.get("metadata")))
    old_meta = mapping(old.get("metadata"))
    for key in GC_FIELDS:
        if old_meta.get(key) is None:
            new_meta.pop(key, None)
        else:
            new_meta[key] = old_meta[key]
    return semantic_equal({**new, "metadata": new_meta}, old)


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def semantic_equal(a: Any, b: Any) -> bool:
    """Equality as apimachinery's semantic DeepEqual sees decoded JSON: absent, null, empty
    lists and empty maps are alike."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in a.keys() | b.keys():
            x, y = a.get(key), b.get(key)
            if _empty(x) and _empty(y):
                continue
            if not semantic_equal(x, y):
                return False
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(semantic_equal(x, y) for x, y in zip(a, b, strict=True))
    if _empty(a) and _empty(b):
        return True
    return type(a) is type(b) and a == b


def _with_annotation(pod: Obj, name: str) -> Obj:
    """The pod with `kubernetes.io/psp` set to `name`: new dicts along that path, everything
    else shared (a metadata or annotations that is not a mapping is replaced, as the draft
    replaces it)."""
    meta = pod.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    annotations = meta.get("annotations")
    annotations = {**annotations} if isinstance(annotations, dict) else {}
    annotations[PSP_ANNOTATION] = name
    # each copy then set (`{**d, key: value}` builds a dict for `key: value` as well)
    meta = {**meta}
    meta["annotations"] = annotations
    admitted = {**pod}
    admitted["metadata"] = meta
    return admitted


_ANNOTATION_POINTER = "/metadata/annotations/" + pointer_token(PSP_ANNOTATION)


def _admission_patch(
    pod: Obj, chosen: Obj, admitted: Obj, annotations_only: bool
) -> list[dict[str, Any]]:
    """`json_patch(pod, admitted)`, where `admitted` is `_with_annotation(chosen, ...)` and
    `annotations_only` says that the policy changed no more than keys of metadata.annotations.
    When the pod's metadata and annotations are mappings, nothing outside the annotations can
    differ then: the patch is their diff. When the policy left the pod as it is (`chosen is
    pod`), that diff is the one operation of kubernetes.io/psp (or none)."""
    meta = pod.get("metadata")
    if not annotations_only or type(meta) is not dict:
        return json_patch(pod, admitted)
    annotations = meta.get("annotations", _ABSENT)
    new_annotations = admitted["metadata"]["annotations"]
    if annotations is _ABSENT:
        return [{"op": "add", "path": "/metadata/annotations", "value": new_annotations}]
    if type(annotations) is not dict:
        return json_patch(pod, admitted)
    if chosen is not pod:
        return json_patch(annotations, new_annotations, "/metadata/annotations")
    name = new_annotations[PSP_ANNOTATION]
    if PSP_ANNOTATION not in annotations:
        return [{"op": "add", "path": _ANNOTATION_POINTER, "value": name}]
    old = annotations[PSP_ANNOTATION]
    if type(old) is str and old == name:
        return []
    return [{"op": "replace", "path": _ANNOTATION_POINTER, "value": name}]


_ABSENT = object()
_NO_MAP: Obj = {}  # an absent annotations, as a dict


def _denied(pod: Obj, phase: str, computed: Computed) -> Decision:
    return Decision(
        False,
        True,
        None,
        pod,
        False,
        [],
        computed.errors,
        _denial(phase, computed),
        unauthorized=computed.unauthorized,
    )


def _denial(phase: str, computed: Computed) -> str:
    if computed.fatal:
        return f"PodSecurityPolicy: {computed.fatal}"
    return f"PodSecurityPolicy: unable to {phase} pod: {error_list(e for _, e in computed.errors)}"


_JSON_KINDS = ((dict, "object"), (list, "array"), (str, "string"), (bool, "bool"))


def undecodable(pod: Obj) -> str | None:
    """The API server's refusal of a pod whose metadata, or metadata.annotations, is of a JSON
    type other than an object (or null): it fails to decode the request body into a Pod and
    answers 400 with this message, so no admission plugin ever sees such a pod. None when
    neither is."""
    meta = pod.get("metadata")
    if meta is None or type(meta) is dict or isinstance(meta, Mapping):
        annotations = meta.get("annotations") if meta is not None else None
        if annotations is None or type(annotations) is dict or isinstance(annotations, Mapping):
            return None
        value, field, go_type = annotations, "ObjectMeta.metadata.annotations", "map[string]string"
    else:
        value, field, go_type = meta, "Pod.metadata", "v1.ObjectMeta"
    kind = next((name for t, name in _JSON_KINDS if isinstance(value, t)), "number")
    return (
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal '
        f"{kind} into Go struct field {field} of type {go_type}"
    )


def admit_phase(
    policies: PolicySet,
    pod: Obj,
    namespace: str,
    user: UserInfo | None,
    authorizer: PolicyUseAuthorizer | None,
) -> Decision:
    """The mutating phase of a CREATE: choose a policy, mutate, write `kubernetes.io/psp`."""
    refused = undecodable(pod)
    if refused is not None:
        return Decision(False, True, None, pod, False, [], (), refused)
    chosen = _choose(policies, pod, namespace, user, authorizer, True, "")
    if isinstance(chosen, Computed):
        return _denied(pod, "admit", chosen)
    result, policy, mutated, annotations_only, _ = chosen
    admitted = _with_annotation(result, policy)
    patch = _admission_patch(pod, result, admitted, annotations_only)
    return _admitted(policy, admitted, mutated, patch, {AUDIT_ADMIT: policy}, ())


def validate_phase(
    policies: PolicySet,
    pod: Obj,
    namespace: str,
    user: UserInfo | None,
    authorizer: PolicyUseAuthorizer | None,
) -> Decision:
    """The validating phase (CREATE and UPDATE): some usable policy must accept the pod as it
    is; the policy named in its `kubernetes.io/psp` annotation is tried first."""
    refused = undecodable(pod)
    if refused is not None:
        return Decision(False, True, None, pod, False, [], (), refused)
    hint = mapping(mapping(pod.get("metadata")).get("annotations")).get(PSP_ANNOTATION)
    hint = hint if isinstance(hint, str) else ""
    chosen = _choose(policies, pod, namespace, user, authorizer, False, hint)
    if isinstance(chosen, Computed):
        return _denied(pod, "validate", chosen)
    return _admitted(chosen[1], pod, False, [], {AUDIT_VALIDATE: chosen[1]}, ())


@dataclass(frozen=True, slots=True, init=False)
class Request:
    """One admission request for a pod, as the API server hands it to admission."""

    operation: str  # CREATE, UPDATE, DELETE, CONNECT
    pod: Obj
    namespace: str
    user: UserInfo | None = None
    old_pod: Obj | None = None
    subresource: str = ""
    resource: str = "pods"
    group: str = ""

    def __init__(
        self,
        operation: str,
        pod: Obj,
        namespace: str,
        user: UserInfo | None = None,
        old_pod: Obj | None = None,
        subresource: str = "",
        resource: str = "pods",
        group: str = "",
    ) -> None:
        # the dataclass' own __init__ of a frozen class calls object.__setattr__ per field (a
        # third of a microsecond each, on every review): the fields are set as those of an
        # `_OpenRequest`, whose slots are the same, and the object made a Request again
        made = type(self)
        this: Any = self
        _set_attr(this, "__class__", _OpenRequest)
        this.operation = operation
        this.pod = pod
        this.namespace = namespace
        this.user = user
        this.old_pod = old_pod
        this.subresource = subresource
        this.resource = resource
        this.group = group
        this.__class__ = made


class _OpenRequest:
    """A Request's slots, in its order, in a class that lets them be set (`Request.__init__`;
    `_OpenDecision` says why)."""

    __slots__ = Request.__slots__


_set_attr = object.__setattr__


def review(
    policies: PolicySet, request: Request, authorizer: PolicyUseAuthorizer | None = None
) -> Decision:
    """Both phases, as the API server runs them for one request (`authorizer`: see `compute`)."""
    pod = request.pod
    if request.group != "" or request.resource != "pods":
        return _ignored(pod, f"resource {request.resource} is not pods")
    if request.subresource:
        return _ignored(pod, f"subresource {request.subresource} requests are not checked")
    if request.operation not in ("CREATE", "UPDATE"):
        return _ignored(pod, f"{request.operation} requests are not checked")
    if pod.get("kind") not in (None, "Pod"):
        return Decision(False, True, None, pod, False, [], (), f"unexpected type {pod.get('kind')}")
    meta = pod.get("metadata")
    if type(meta) is not dict or type(meta.get("annotations", _NO_MAP)) is not dict:
        refused = undecodable(pod)  # (or a pod without metadata, or annotations)
        if refused is not None:
            return Decision(False, True, None, pod, False, [], (), refused)
    if request.operation == "UPDATE":
        if request.old_pod is not None and _only_gc_fields_changed(pod, request.old_pod):
            return _ignored(pod, "only garbage-collector fields changed")
        return validate_phase(policies, pod, request.namespace, request.user, authorizer)
    # the mutating phase, as admit_phase decides it (its Decision is not built: the one
    # returned says what happened after it as well)
    chosen = _choose(policies, pod, request.namespace, request.user, authorizer, True, "")
    if isinstance(chosen, Computed):
        return _denied(pod, "admit", chosen)
    return _after_admission(request, chosen)[0]


Checked = tuple[tuple[Defaulted, ...], tuple[FieldError, ...]]
"""What the API server made of an admitted pod between the phases: PrepareForCreate's changes
and the validation errors of the prepared pod."""


def _after_admission(
    request: Request, chosen_as: Chosen, checked: Checked | None = None
) -> tuple[Decision, Checked]:
    """What happens to a CREATE admitted by a policy (`chosen_as`: the pod as it mutated it,
    the policy ...) between the phases and in the validating phase: the API server prepares the pod
    (PrepareForCreate: the seccomp annotation/field sync of 1.19-1.24) and validates it,
    refusing it as invalid before validating admission runs (spec/psp-errata.md D1); the
    validating phase then judges the prepared pod. `checked`: what that gave for a pod that
    reads the same (psp/memo.py), not done again; the Decision comes with it."""
    chosen, policy, mutated, annotations_only, _ = chosen_as
    admitted = _with_annotation(chosen, policy)
    synced: tuple[Defaulted, ...]
    invalid: tuple[FieldError, ...]
    if checked is None:
        if settled_for_psp(admitted):  # (most pods: nothing to sync, nothing invalid)
            prepared, synced, invalid = admitted, (), ()
        else:
            prepared, synced = prepare_for_create(admitted, PSP_RELEASE)
            invalid = pod_create_errors(prepared)
        checked = (synced, invalid)
    else:
        prepared = admitted  # the sync changes no name: the message below reads only that
        synced, invalid = checked
    if invalid:
        message = invalid_message(prepared, invalid)
        return Decision(False, True, None, request.pod, False, [], (), message,
                        {AUDIT_ADMIT: policy}, prepared=synced, invalid=invalid,
                        mutated_by=policy if mutated else None), checked  # fmt: skip
    # The validating phase evaluates the prepared pod with the admitting policy first (it is
    # named in kubernetes.io/psp). Mutation is idempotent, and the seccomp sync only writes a
    # profile the pod already has in its other spelling (annotation <-> field, docker/default
    # counting as runtime/default), so that policy accepts it unchanged and is chosen again:
    # the outcome is known without evaluating it twice. (A webhook calls validate_phase itself,
    # since other webhooks may change the pod in between; the property tests check both.)
    return _admitted(
        policy,
        admitted,
        mutated,
        _admission_patch(request.pod, chosen, admitted, annotations_only),
        {AUDIT_ADMIT: policy, AUDIT_VALIDATE: policy},
        synced,
    ), checked


class _OpenDecision:
    """A Decision's slots, in its order, in a class that lets them be set: `_admitted` fills
    one in and makes it a Decision by assigning `__class__` (allowed between classes whose
    slots are the same). A frozen dataclass' `__init__` calls `object.__setattr__` per field,
    and a slot descriptor's `__set__` is a method-wrapper call each: 14 of either cost about
    11k instructions per admitted pod, against about 4k for plain slot stores and the class
    assignment (a test compares the result with the dataclass' own)."""

    __slots__ = Decision.__slots__


def _admitted(
    policy: str,
    admitted: Obj,
    mutated: bool,
    patch: list[dict[str, Any]],
    audit: Mapping[str, str],
    prepared: tuple[Defaulted, ...],
) -> Decision:
    """`Decision(True, True, policy, admitted, mutated, patch, (), None, audit,
    prepared=prepared)`, built for less (`_OpenDecision`)."""
    d: Any = _new(_OpenDecision)
    d.allowed = True
    d.evaluated = True
    d.policy = policy
    d.object = admitted
    d.mutated = mutated
    d.patch = patch
    d.violations = ()
    d.message = None
    d.audit_annotations = audit
    d.skipped_reason = ""
    d.unauthorized = ()
    d.prepared = prepared
    d.invalid = ()
    d.mutated_by = None
    d.__class__ = Decision
    result: Decision = d
    return result


_new = object.__new__
