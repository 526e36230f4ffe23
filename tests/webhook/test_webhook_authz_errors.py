"""The request's deadline reaches an API-backed authorizer, and its lookup errors reach the
audit log (an `error` annotation); --write-policy-status goes with --policies-from-cluster."""

from __future__ import annotations

import orjson
import pytest

from podgate.errors import PodgateError
from podgate.k8s.identity import UserInfo
from podgate.webhook.app import WebhookApp
from podgate.webhook.review import Sources
from podgate.webhook.server import ServeOptions, build
from tests.webhook.test_webhook_review import call_app, review, runtime, sources, web_pod

__all__ = ["sources"]  # the module fixture, shared


class FailingAuthorizer:
    """Like the SubjectAccessReview authorizer when the API server does not answer."""

    def __init__(self) -> None:
        self.deadlines: list[float | None] = []
        self._errors: list[str] = []

    def set_deadline(self, at: float | None) -> None:
        self.deadlines.append(at)

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        self._errors.append("SubjectAccessReview: connection refused")
        return False

    def take_errors(self) -> list[str]:
        found, self._errors = self._errors, []
        return found


def test_lookup_errors_become_an_audit_annotation(sources: Sources) -> None:
    authorizer = FailingAuthorizer()
    rt = runtime(Sources(sources.policies, authorizer), psp=True)
    rt.blocking_sources = True
    status, _, body = call_app(WebhookApp(rt), "/mutate", orjson.dumps(review(web_pod())))
    assert status == 200
    response = orjson.loads(body)["response"]
    assert response["allowed"] is False  # not authorized: fail closed
    assert response["auditAnnotations"]["error"] == "SubjectAccessReview: connection refused"
    assert len(authorizer.deadlines) == 1
    assert authorizer.deadlines[0] is not None


def test_write_policy_status_needs_the_cluster_policies() -> None:
    with pytest.raises(PodgateError, match="--write-policy-status goes with"):
        build(ServeOptions(tls_cert="x", tls_key="y", write_policy_status=True, pss=True))
