"""A pod whose metadata or metadata.annotations is not a JSON object (nor null) is one the API
server cannot decode into a Pod: it answers 400 (`Pod in version "v1" cannot be handled as a
Pod: json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations of type
map[string]string`) and no admission plugin sees it. The CLI and the webhook refuse such a pod
by their shape checks first; the engine refuses it too, instead of failing with a TypeError
where a policy writes an annotation."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.psp import PolicySet, Request, admit_phase, review, validate_phase
from podgate.psp.admission import compute
from tests.psp_helpers import pod, policy

# writes container.apparmor... and seccomp.../pod annotations into every pod it admits
WRITES_ANNOTATIONS = policy(
    "writes",
    volumes=["*"],
    annotations={
        "apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default",
        "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default",
        "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
        "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
    },
)
PREFIX = 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal '
ANNOTATIONS = " into Go struct field ObjectMeta.metadata.annotations of type map[string]string"


def _with(metadata: Any) -> dict[str, Any]:
    p = pod()
    p["metadata"] = metadata
    return p


CASES = [
    (_with({"name": "p", "annotations": ["a"]}), PREFIX + "array" + ANNOTATIONS),
    (_with({"name": "p", "annotations": "a=b"}), PREFIX + "string" + ANNOTATIONS),
    (_with({"name": "p", "annotations": 1}), PREFIX + "number" + ANNOTATIONS),
    (_with({"name": "p", "annotations": True}), PREFIX + "bool" + ANNOTATIONS),
    (
        _with(["name", "p"]),
        PREFIX + "array into Go struct field Pod.metadata of type v1.ObjectMeta",
    ),
]


@pytest.mark.parametrize(("p", "message"), CASES)
def test_a_pod_the_api_server_cannot_decode_is_refused_with_its_message(
    p: dict[str, Any], message: str
) -> None:
    policies = PolicySet.compile([WRITES_ANNOTATIONS])
    for decision in (
        review(policies, Request("CREATE", p, "ns")),
        review(policies, Request("UPDATE", p, "ns")),
        admit_phase(policies, p, "ns", None, None),
        validate_phase(policies, p, "ns", None, None),
    ):
        assert (decision.allowed, decision.evaluated, decision.message) == (False, True, message)
        assert decision.object is p
        assert decision.violations == ()
    computed = compute(policies, p, "ns", None, None, mutation_allowed=True)
    assert (computed.pod, computed.fatal) == (None, message)


@pytest.mark.parametrize("metadata", [None, {}, {"annotations": None}, {"annotations": {}}])
def test_a_null_or_missing_metadata_or_annotations_is_decoded_and_written(metadata: Any) -> None:
    decision = review(
        PolicySet.compile([WRITES_ANNOTATIONS]), Request("CREATE", _with(metadata), "ns")
    )
    assert decision.allowed
    assert decision.object["metadata"]["annotations"]["kubernetes.io/psp"] == "writes"
