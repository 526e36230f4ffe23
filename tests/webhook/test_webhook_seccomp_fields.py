"""The webhook's PodSecurityPolicy on the clusters it serves (1.25+): a seccomp profile is what a
pod's fields say. Kubelets ignore the seccomp annotations from 1.25, and from 1.27 the API server
no longer copies an annotation into its field before validating admission (kubernetes#114947;
PSP's 1.19-1.24 API servers did, between PSP's two phases). Found by the red team: /mutate wrote
a policy's default profile as the annotation alone, and /validate accepted a pod whose profile
was only an annotation, so under a policy that allows runtime/default alone, a pod ran with no
seccomp profile at all (a wrong allow that no output showed)."""

from __future__ import annotations

import copy
from typing import Any

from podgate.psp import PolicySet
from podgate.webhook.review import MUTATE, VALIDATE, Settings, Sources, decide
from tests.psp_helpers import policy
from tests.webhook.test_webhook_review import patched, review

POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_KEY = "container.seccomp.security.alpha.kubernetes.io/app"

RUNTIME_DEFAULT = policy(
    "runtime-default",
    annotations={
        "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
        "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
    },
)


class Policies:
    def __init__(self, *policies: dict[str, Any]) -> None:
        self.set = PolicySet.compile(list(policies))

    def current(self) -> PolicySet:
        return self.set


SOURCES = Sources(Policies(RUNTIME_DEFAULT))
SETTINGS = Settings(psp=True, pss=False)


def pod(annotations: dict[str, str] | None = None, **sc: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p", "namespace": "apps"}
    if annotations:
        meta["annotations"] = annotations
    spec: dict[str, Any] = {
        "serviceAccountName": "default",
        "containers": [{"name": "app", "image": "img"}],
    }
    if sc:
        spec["securityContext"] = sc
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def answer(webhook: str, obj: dict[str, Any]) -> dict[str, Any]:
    return dict(
        decide(webhook, review(copy.deepcopy(obj), namespace="apps"), SETTINGS, SOURCES).response
    )


def test_the_default_profile_is_written_where_it_takes_effect() -> None:
    given = pod()
    r = answer(MUTATE, given)
    assert r["allowed"] is True
    admitted = patched(given, r)
    # PSP's own record of it, and the field a 1.27+ kubelet reads
    assert admitted["metadata"]["annotations"][POD_KEY] == "runtime/default"
    assert admitted["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    # ... which /validate then accepts
    assert answer(VALIDATE, admitted)["allowed"] is True


def test_an_annotation_the_pod_gives_gets_its_field_as_psps_api_server_gave_it() -> None:
    given = pod({POD_KEY: "runtime/default"})
    admitted = patched(given, answer(MUTATE, given))
    assert admitted["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert answer(VALIDATE, admitted)["allowed"] is True


def test_a_profile_that_is_only_an_annotation_is_not_a_profile_at_validate() -> None:
    # as a 1.27+ API server hands it over when nothing wrote the field: the pod runs with no
    # seccomp profile, which the policy does not allow
    for given in ({POD_KEY: "runtime/default"}, {CONTAINER_KEY: "runtime/default"}):
        r = answer(VALIDATE, pod(given))
        assert r["allowed"] is False, given


def test_a_profile_given_as_the_field_is_judged_as_before() -> None:
    field = {"seccompProfile": {"type": "RuntimeDefault"}}
    assert answer(VALIDATE, pod({POD_KEY: "runtime/default"}, **field))["allowed"] is True
    # a field without its annotation: /mutate writes PSP's annotation, /validate accepts
    given = pod(**field)
    admitted = patched(given, answer(MUTATE, given))
    assert admitted["spec"]["securityContext"] == field
    assert answer(VALIDATE, admitted)["allowed"] is True
    unconfined = {"seccompProfile": {"type": "Unconfined"}}
    assert answer(VALIDATE, pod({POD_KEY: "unconfined"}, **unconfined))["allowed"] is False
