"""Where the webhook gets what a decision needs, as small interfaces: the policies, who may use
them (the core's `k8s.identity.PolicyUseAuthorizer`), and namespace labels. Files and offline
RBAC implement them in `files.py`; the Kubernetes API (CRD watch, SubjectAccessReview, namespace
watch) in `kube.py`.

Decisions run in a worker thread (a pod takes microseconds; an authorization lookup against the
API may block), so these are plain synchronous calls and must be thread-safe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from podgate.psp import PolicySet


class PolicySource(Protocol):
    def current(self) -> PolicySet | None:
        """The compiled policies now in force; None until the first load (not ready)."""


class NamespaceSource(Protocol):
    def labels(self, namespace: str) -> Mapping[str, Any] | None:
        """The namespace's labels as `pss.labels.stored_labels` gives them (a value that is not
        a string stays, and is an invalid label); None when the namespace is unknown."""

    def other_labels(self, namespace: str) -> tuple[Mapping[str, Any], ...]:
        """The labels of the namespace's other definitions, when it is defined more than once
        with different enforce levels (files): a pod its `labels` admit is judged by each of
        these too (`pss.namespaces.definitions_to_judge`). Empty for a cluster's namespaces."""

    def ready(self) -> bool:
        """Whether the initial list has been loaded."""
