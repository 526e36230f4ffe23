"""`psp.memo.ReviewMemo` asks every policy's `use` up front, once per requester, and keeps the
answers: it is for a scan's offline authorizer only. A SubjectAccessReview (remote) authorizer
would be sent a review per policy and have its answers replayed after the API server changed
them; the webhook's reloading RBAC files change under it. The memo refuses both."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.k8s.identity import UserInfo, answers_fixed
from podgate.psp import PolicySet, Request
from podgate.psp.memo import ReviewMemo
from podgate.rbac.authorizer import Authorizer
from podgate.webhook.files import FileRbacAuthorizer
from podgate.webhook.kube_authz import SubjectAccessReviewAuthorizer
from tests.psp_helpers import policy

POLICIES = PolicySet.compile([policy("p", volumes=["*"])])


class Counting:
    """An authorizer that says nothing of its answers, counting the questions asked."""

    def __init__(self) -> None:
        self.asked = 0

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        self.asked += 1
        return True


def test_the_memo_refuses_a_subject_access_review_authorizer() -> None:
    remote = SubjectAccessReviewAuthorizer(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"SubjectAccessReviewAuthorizer .*answers_fixed"):
        ReviewMemo(POLICIES, remote)
    assert remote.requests == 0


def test_the_memo_refuses_the_webhooks_reloading_rbac_files(tmp_path: Any) -> None:
    files = FileRbacAuthorizer([str(tmp_path / "rbac.yaml")], max_bytes=1 << 20)
    with pytest.raises(TypeError, match="FileRbacAuthorizer"):
        ReviewMemo(POLICIES, files)


def test_the_memo_refuses_an_authorizer_that_does_not_say_its_answers_are_fixed() -> None:
    counting = Counting()
    with pytest.raises(TypeError, match="Counting"):
        ReviewMemo(POLICIES, counting)
    assert counting.asked == 0
    counting.answers_fixed = False  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        ReviewMemo(POLICIES, counting)


def test_the_memo_takes_the_offline_rbac_authorizer_and_no_authorizer() -> None:
    assert answers_fixed(None)
    offline = Authorizer.from_objects([])
    assert answers_fixed(offline)
    pod = {"kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": [{"name": "c"}]}}
    for authorizer in (None, offline):
        memo = ReviewMemo(POLICIES, authorizer)
        decision = memo.review(Request("CREATE", pod, "ns", UserInfo("alice")))
        assert decision.allowed is (authorizer is None)
