"""`kubectl debug` is no bypass: the webhook judges pod subresource requests that can change a
pod's spec (`pods/ephemeralcontainers`, and any it does not know) as an UPDATE of the pod, and
skips only those that cannot (PSA's list). Each test is the smallest request that showed it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from podgate.pss.admission import IGNORED_POD_SUBRESOURCES
from podgate.webhook.files import FilePolicySource
from podgate.webhook.review import MUTATE, VALIDATE, Settings, Sources, decide
from tests.webhook.test_webhook_review import patched, review

PSP_ONLY = Settings(psp=True)
DEBUGGER = {"name": "debugger", "image": "busybox", "securityContext": {"privileged": True}}
COMPLIANT_DEBUGGER = {
    "name": "debugger",
    "image": "busybox",
    "securityContext": {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    },
}


@pytest.fixture(scope="module")
def restricted() -> Sources:
    policies = FilePolicySource(["builtin:restricted"], max_bytes=1 << 20)
    policies.load()
    return Sources(policies)


def _plain_pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "serviceAccountName": "default",
            "containers": [{"name": "app", "image": "nginx"}],
        },
    }


@pytest.fixture(scope="module")
def running_pod(restricted: Sources) -> dict[str, Any]:
    """A pod as it runs after builtin:restricted admitted it (defaults and annotation in)."""
    pod = _plain_pod()
    answer = decide(MUTATE, review(pod), PSP_ONLY, restricted).response
    admitted = patched(pod, answer)
    assert admitted["metadata"]["annotations"]["kubernetes.io/psp"] == "restricted"
    return admitted


def _debug(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(pod)
    new["spec"]["ephemeralContainers"] = [container]
    return review(new, operation="UPDATE", old=pod, subresource="ephemeralcontainers")


def test_a_privileged_debug_container_is_denied_under_builtin_restricted(
    restricted: Sources, running_pod: dict[str, Any]
) -> None:
    outcome = decide(VALIDATE, _debug(running_pod, DEBUGGER), PSP_ONLY, restricted)
    response = outcome.response
    assert response["allowed"] is False
    assert response["status"]["code"] == 403
    message = response["status"]["message"]
    assert message.startswith('pods "web" is forbidden: PodSecurityPolicy: unable to validate pod')
    assert "spec.ephemeralContainers[0].securityContext.privileged" in message


def test_a_compliant_debug_container_is_admitted_by_the_annotated_policy(
    restricted: Sources, running_pod: dict[str, Any]
) -> None:
    outcome = decide(VALIDATE, _debug(running_pod, COMPLIANT_DEBUGGER), PSP_ONLY, restricted)
    assert outcome.response["allowed"] is True
    assert outcome.response["auditAnnotations"] == {"validate-policy": "restricted"}
    assert outcome.note == "the ephemeralcontainers subresource judged as an UPDATE of the pod"


def test_a_debug_container_needing_defaults_is_denied_since_updates_never_mutate(
    restricted: Sources, running_pod: dict[str, Any]
) -> None:
    bare = {"name": "debugger", "image": "busybox"}  # what `kubectl debug` sends by default
    response = decide(VALIDATE, _debug(running_pod, bare), PSP_ONLY, restricted).response
    assert response["allowed"] is False  # restricted would have to change it: silent, as upstream
    assert response["status"]["message"] == (
        'pods "web" is forbidden: PodSecurityPolicy: unable to validate pod: []'
    )


def test_mutate_answers_a_debug_request_without_a_patch_and_says_validate_checks_it(
    restricted: Sources, running_pod: dict[str, Any]
) -> None:
    outcome = decide(MUTATE, _debug(running_pod, DEBUGGER), PSP_ONLY, restricted)
    assert outcome.response == {"uid": outcome.uid, "allowed": True}
    assert outcome.note == (
        "PodSecurityPolicy does not mutate the ephemeralcontainers subresource: /validate checks it"
    )


def test_an_unknown_pod_subresource_is_judged_so_a_newer_api_server_fails_safe(
    restricted: Sources, running_pod: dict[str, Any]
) -> None:
    new = copy.deepcopy(running_pod)
    new["spec"]["containers"][0]["securityContext"]["privileged"] = True
    doc = review(new, operation="UPDATE", old=running_pod, subresource="frobnicate")
    assert decide(VALIDATE, doc, PSP_ONLY, restricted).response["allowed"] is False


@pytest.mark.parametrize("subresource", sorted(IGNORED_POD_SUBRESOURCES))
def test_subresources_that_cannot_change_the_spec_are_skipped(
    restricted: Sources, running_pod: dict[str, Any], subresource: str
) -> None:
    new = copy.deepcopy(running_pod)
    new["spec"]["containers"][0]["securityContext"]["privileged"] = True
    doc = review(new, operation="UPDATE", old=running_pod, subresource=subresource)
    outcome = decide(VALIDATE, doc, PSP_ONLY, restricted)
    assert outcome.response["allowed"] is True
    assert outcome.note == f"PodSecurityPolicy does not check the {subresource} subresource"


def test_a_debug_container_of_the_wrong_shape_is_refused_not_misread(
    restricted: Sources, running_pod: dict[str, Any]
) -> None:
    wrong = {"name": "debugger", "image": "busybox", "securityContext": {"privileged": "true"}}
    response = decide(VALIDATE, _debug(running_pod, wrong), PSP_ONLY, restricted).response
    assert response["allowed"] is False
    assert response["status"]["code"] == 400
    assert "ephemeralContainers[0].securityContext.privileged" in response["status"]["message"]


def test_a_debug_request_in_audit_mode_would_deny_and_is_recorded(
    restricted: Sources, running_pod: dict[str, Any]
) -> None:
    outcome = decide(VALIDATE, _debug(running_pod, DEBUGGER), Settings(mode="audit"), restricted)
    assert outcome.response["allowed"] is True
    assert "spec.ephemeralContainers[0].securityContext.privileged" in outcome.would_deny


def test_pss_denies_a_privileged_debug_container_in_a_restricted_namespace(
    running_pod: dict[str, Any],
) -> None:
    class Restricted:
        def labels(self, namespace: str) -> dict[str, str]:
            return {"pod-security.kubernetes.io/enforce": "restricted"}

        def ready(self) -> bool:
            return True

    doc = _debug(running_pod, DEBUGGER)
    response = decide(
        VALIDATE, doc, Settings(psp=False, pss=True), Sources(None, None, Restricted())
    )
    assert response.response["allowed"] is False
    assert (
        'violates PodSecurity "restricted:latest": privileged (container "debugger"'
        in (response.response["status"]["message"])
    )
