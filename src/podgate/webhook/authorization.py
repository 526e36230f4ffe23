"""Who may use which PodSecurityPolicy, for one admission request.

An offline authorizer (RBAC read from files) answers the same whatever the request. One backed
by the API server (`kube_authz.SubjectAccessReviewAuthorizer`) depends on the request: its
lookups may take no longer than the request has left, and its errors (counted as "not
authorized": fail closed) belong in that request's audit annotations. Such an authorizer is a
`PerRequest`: the decision path asks it for a `RequestAuthorizer` bound to the request's
deadline, and reads that value's `errors` when the decision is made. Nothing is kept per thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

from podgate.k8s.identity import PolicyUseAuthorizer, UserInfo

__all__ = ["PerRequest", "RequestAuthorizer", "for_request"]


class RequestAuthorizer(PolicyUseAuthorizer, Protocol):
    """A `PolicyUseAuthorizer` for one request, with the lookup errors it met."""

    @property
    def errors(self) -> tuple[str, ...]:
        """The lookup errors so far, in the order met."""
        ...


class PerRequest(ABC):
    """An authorizer whose lookups are bound to a request."""

    @abstractmethod
    def for_request(self, deadline: float | None) -> RequestAuthorizer:
        """An authorizer for one request whose lookups end by `deadline` (on `time.monotonic`;
        None: no bound) and which collects its errors."""


@dataclass(frozen=True, slots=True)
class _Unbound:
    """An authorizer that answers the same for every request, and meets no errors to report."""

    authorizer: PolicyUseAuthorizer

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        return self.authorizer.can_use(user, namespace, policy)

    @property
    def errors(self) -> tuple[str, ...]:
        return ()


def for_request(
    authorizer: PolicyUseAuthorizer | PerRequest | None, deadline: float | None
) -> RequestAuthorizer | None:
    """The authorizer for one request (None: every policy is usable by everyone)."""
    if authorizer is None:
        return None
    if isinstance(authorizer, PerRequest):
        return authorizer.for_request(deadline)
    return _Unbound(authorizer)
