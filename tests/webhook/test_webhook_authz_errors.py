"""The request's deadline reaches an API-backed authorizer, and its lookup errors reach the
audit log (an `error` annotation); --write-policy-status goes with --policies-from-cluster."""

from __future__ import annotations

import orjson
import pytest

from podgate.errors import PodgateError
from podgate.k8s.identity import UserInfo
from podgate.webhook.app import WebhookApp
from podgate.webhook.authorization import PerRequest
from podgate.webhook.review import MUTATE, Settings, Sources, decide
from podgate.webhook.server import ServeOptions, build
from tests.webhook.test_webhook_review import call_app, review, runtime, sources, web_pod

__all__ = ["sources"]  # the module fixture, shared


class FailingLookups:
    """One request's lookups when the API server does not answer."""

    def __init__(self) -> None:
        self.met: list[str] = []

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        self.met.append("SubjectAccessReview: connection refused")
        return False

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(self.met)


class FailingAuthorizer(PerRequest):
    """Like the SubjectAccessReview authorizer when the API server does not answer."""

    def __init__(self) -> None:
        self.deadlines: list[float | None] = []

    def for_request(self, deadline: float | None) -> FailingLookups:
        self.deadlines.append(deadline)
        return FailingLookups()

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        raise AssertionError("a request's lookups go through for_request")


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


def test_each_request_reports_only_its_own_lookup_errors(sources: Sources) -> None:
    authorizer = FailingAuthorizer()
    failing = Sources(sources.policies, authorizer)
    first = decide(MUTATE, review(web_pod()), Settings(), failing, deadline=None)
    assert first.response["auditAnnotations"]["error"] == "SubjectAccessReview: connection refused"
    assert first.errors[-1] == ("authorization", False)
    # the same thread, an authorizer that meets no error: nothing carried over
    second = decide(MUTATE, review(web_pod()), Settings(), sources)
    assert "error" not in second.response.get("auditAnnotations", {})
    assert ("authorization", False) not in second.errors


def test_write_policy_status_needs_the_cluster_policies() -> None:
    with pytest.raises(PodgateError, match="--write-policy-status goes with"):
        build(ServeOptions(tls_cert="x", tls_key="y", write_policy_status=True, pss=True))
