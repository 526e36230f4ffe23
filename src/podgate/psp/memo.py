"""Remembered PodSecurityPolicy reviews of pod shapes, for a scan's many pods of few shapes
(the replicas of one template; a ReplicaSet's and its pods' templates are their Deployment's).

`ReviewMemo(policies, authorizer).review(request)` is `review(policies, request, authorizer)`,
field for field. A CREATE of a pod with a key (psp/reads.py) is looked up by that key and the
authorizer's answers for its requesters (may the pod's service account or the user `use` each
policy, in the namespace): what the review worked out for the first pod of that shape (the
policy, or the denial and its errors; the policy's writes to the pod; what PrepareForCreate
and the API server's validation made of it) is made again for this pod from the pod itself:
the policy's writes replayed on it (`draft.replay`), `kubernetes.io/psp` written, the patch
diffed, and the name in an invalid pod's message read from it.

The answers are asked of the authorizer for every policy up front, once per (namespace,
service account, user), and kept. So the memo is for a scan's authorizer only: one whose
answers do not change while it lives and that may be asked freely (the offline RBAC evaluator,
which says so with `answers_fixed`, or none). It is NOT for a SubjectAccessReview (remote)
authorizer: that would send a review for every policy, not only for those the decision needs,
and replay answers the API server may since have changed (nor for the webhook's reloading
RBAC files). `ReviewMemo` refuses any authorizer that does not say `answers_fixed = True`.

Memory is bounded: at most `limit` shapes and `limit` requesters are remembered (the oldest
forgotten first), each shape's key at most `reads.MAX_KEY` bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from podgate.k8s import Obj
from podgate.k8s.defaults import Defaulted
from podgate.k8s.field import FieldError
from podgate.k8s.identity import PolicyUseAuthorizer, UserInfo, answers_fixed
from podgate.psp.admission import (
    Chosen,
    Computed,
    Decision,
    PolicySet,
    Request,
    _after_admission,
    _authorization,
    _choose,
    _denied,
    review,
)
from podgate.psp.draft import Write, replay
from podgate.psp.reads import key

__all__ = ["LIMIT", "ReviewMemo"]

LIMIT: Final = 4096


@dataclass(frozen=True, slots=True)
class _Denied:
    """What the review of a shape no policy admits gave: its errors and its message (neither
    names the pod)."""

    computed: Computed
    message: str


@dataclass(frozen=True, slots=True)
class _Admitted:
    """What the review of a shape admitted by a policy gave, but the pod's own parts."""

    policy: str
    mutated: bool
    annotations_only: bool
    writes: tuple[Write, ...]
    checked: tuple[tuple[Defaulted, ...], tuple[FieldError, ...]]


class ReviewMemo:
    """`review(policies, request, authorizer)`, remembered per pod shape (see the module)."""

    __slots__ = ("_answers", "_authorizer", "_shapes", "hits", "limit", "misses", "policies")

    def __init__(
        self,
        policies: PolicySet,
        authorizer: PolicyUseAuthorizer | None,
        limit: int = LIMIT,
    ) -> None:
        if not answers_fixed(authorizer):
            raise TypeError(
                f"ReviewMemo asks every policy's use up front and keeps the answers: "
                f"{type(authorizer).__name__} does not say that its answers are fixed and free "
                "to ask (answers_fixed); review each request with psp.review instead"
            )
        self.policies = policies
        self._authorizer = authorizer
        self.limit = limit
        self._shapes: dict[tuple[Any, bytes], _Denied | _Admitted] = {}
        self._answers: dict[tuple[str, Any, UserInfo | None], tuple[bool, ...]] = {}
        self.hits = 0
        self.misses = 0

    def review(self, request: Request) -> Decision:
        """`review(self.policies, request, authorizer)`."""
        pod = request.pod
        if (
            request.operation != "CREATE"
            or request.subresource
            or request.resource != "pods"
            or request.group != ""
            or pod.get("kind") not in (None, "Pod")
        ):
            return review(self.policies, request, self._authorizer)
        made = key(pod)
        if made is None:  # an undecodable pod among them (`undecodable`)
            return review(self.policies, request, self._authorizer)
        answers = self._asked(pod, request.namespace, request.user)
        shape = (answers, made)
        found = self._shapes.get(shape)
        if found is None:
            self.misses += 1
            decision, found = self._reviewed(request, answers)
            shapes = self._shapes
            if len(shapes) >= self.limit:
                del shapes[next(iter(shapes))]
            shapes[shape] = found
            return decision
        self.hits += 1
        if isinstance(found, _Denied):
            computed = found.computed
            return Decision(False, True, None, pod, False, [], computed.errors, found.message,
                            unauthorized=computed.unauthorized)  # fmt: skip
        draft = replay(pod, found.writes)
        chosen: Chosen = (draft.root, found.policy, found.mutated, found.annotations_only, ())
        return _after_admission(request, chosen, found.checked)[0]

    def _reviewed(
        self, request: Request, answers: tuple[bool, ...] | None
    ) -> tuple[Decision, _Denied | _Admitted]:
        """The review of a CREATE (as `review` makes it, the authorizer's `answers` for its
        requesters known), and what the memo keeps of it."""
        chosen = _choose(
            self.policies,
            request.pod,
            request.namespace,
            request.user,
            self._authorizer,
            True,
            "",
            answers,
        )
        if isinstance(chosen, Computed):
            decision = _denied(request.pod, "admit", chosen)
            return decision, _Denied(chosen, decision.message or "")
        decision, checked = _after_admission(request, chosen)
        _, policy, mutated, annotations_only, writes = chosen
        return decision, _Admitted(policy, mutated, annotations_only, writes, checked)

    def _asked(self, pod: Obj, namespace: str, user: UserInfo | None) -> tuple[bool, ...] | None:
        """Whether the pod's requesters may use each policy, in order (None: no authorizer)."""
        authorizer = self._authorizer
        if authorizer is None:
            return None
        spec = pod.get("spec")
        account = spec.get("serviceAccountName") if type(spec) is dict else None
        who = (namespace, account if type(account) is str else None, user)
        answers = self._answers.get(who)
        if answers is None:
            authorized = _authorization(pod, namespace, user, authorizer)
            names = self.policies.names
            answers = tuple(authorized(n) for n in names) if authorized else (False,) * len(names)
            if len(self._answers) >= self.limit:
                del self._answers[next(iter(self._answers))]
            self._answers[who] = answers
        return answers
