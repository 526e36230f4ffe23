"""`webhook.decode`: an AdmissionReview request is checked and decoded once, into the one value
both engines read."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.pss.admission import GroupVersionKind, Operation
from podgate.webhook.decode import BadReview, parse, pod_problem
from podgate.webhook.reviews import Review


def _review(**request: Any) -> Review:
    base: dict[str, Any] = {
        "uid": "u-1",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "subResource": "ephemeralcontainers",
        "requestSubResource": "ephemeralcontainers",
        "name": "web",
        "namespace": "shop",
        "operation": "UPDATE",
        "userInfo": {"username": "alice", "groups": ["dev"], "uid": "a-1"},
        "object": {"kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": []}},
        "oldObject": {"kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": []}},
        "dryRun": True,
    }
    base.update(request)
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": base}


def test_the_pod_security_request_is_the_same_request_as_the_policy_engine_reads() -> None:
    request = parse(_review())
    pss = request.pss
    assert pss.operation == Operation.UPDATE
    assert (pss.group, pss.resource, pss.subresource) == ("", "pods", "ephemeralcontainers")
    assert pss.kind == GroupVersionKind("", "v1", "Pod")
    assert (pss.namespace, pss.name) == (request.namespace, request.name) == ("shop", "web")
    assert (pss.username, pss.groups) == ("alice", ("dev",))
    assert pss.object is request.object and pss.old_object is request.old_object
    assert pss.dry_run is request.dry_run is True


def test_psa_routes_on_the_requested_subresource_psp_on_the_one_acted_on() -> None:
    request = parse(_review(subResource="status", requestSubResource="ephemeralcontainers"))
    assert request.subresource == "status"
    assert request.pss.subresource == request.request_subresource == "ephemeralcontainers"


def test_an_object_that_is_not_a_mapping_reaches_psa_as_none() -> None:
    request = parse(_review(object=["not", "a", "pod"], oldObject="x"))
    assert request.pss.object is None and request.pss.old_object is None
    assert pod_problem(request) == "failed to decode pod: request.object is not a Pod"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("uid", "", "request.uid: missing"),
        ("operation", "PATCH", "request.operation: expected one of CREATE, UPDATE"),
        ("userInfo", {"groups": "dev"}, "request.userInfo.groups: expected a list of strings"),
        ("dryRun", "yes", "request.dryRun: expected a boolean"),
        ("requestSubResource", 1, "request.requestSubResource: expected a string"),
    ],
)
def test_a_field_of_the_wrong_type_is_a_bad_review_naming_it(
    field: str, value: Any, message: str
) -> None:
    with pytest.raises(BadReview, match=message):
        parse(_review(**{field: value}))


def test_a_missing_username_means_no_requester() -> None:
    assert parse(_review(userInfo={"groups": ["dev"]})).requester is None
