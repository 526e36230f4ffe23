"""Where the webhook gets what a decision needs, as small interfaces: the policies, who may use
them, and namespace labels. Files and offline RBAC implement them in `files.py`; the Kubernetes
API (CRD watch, SubjectAccessReview, namespace watch) in `kube.py`.

Decisions run in a worker thread (a pod takes microseconds; an authorization lookup against the
API may block), so these are plain synchronous calls and must be thread-safe."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from podgate.psp import PolicySet


@dataclass(frozen=True, slots=True)
class Requester:
    """The requesting user of an AdmissionReview (`request.userInfo`), verbatim."""

    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: Mapping[str, Sequence[str]] = field(default_factory=dict)


class PolicySource(Protocol):
    def current(self) -> PolicySet | None:
        """The compiled policies now in force; None until the first load (not ready)."""


class UseAuthorizer(Protocol):
    def can_use(
        self,
        user: str,
        groups: tuple[str, ...],
        namespace: str,
        policy: str,
        requester: Requester | None = None,
    ) -> bool:
        """May this identity `use` PodSecurityPolicy `policy` in `namespace`? `requester` is
        the full userInfo when the identity is the requesting user (for uid and extra)."""


class NamespaceSource(Protocol):
    def labels(self, namespace: str) -> Mapping[str, Any] | None:
        """The namespace's labels as `pss.labels.stored_labels` gives them (a value that is not
        a string stays, and is an invalid label); None when the namespace is unknown."""

    def ready(self) -> bool:
        """Whether the initial list has been loaded."""
