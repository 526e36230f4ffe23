"""A provider's two evaluations: `evaluate` (the reference) gives every error in upstream's
order; admission asks less (`fails` of each independent check, then `admits`, and the errors
from `errors` or `mutated_errors` only to deny). Both must agree on whether the policy admits
the pod, on the pod it admits, and on the errors of a pod it refuses."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings

from podgate.k8s.field import FieldError
from podgate.psp import PolicySet, Provider
from podgate.psp.strategies import PodView
from tests.psp.test_psp_properties import pods
from tests.psp.test_psp_reference import POOL
from tests.psp_helpers import policy

PROVIDERS = PolicySet.compile(POOL).providers


def as_admission_asks(
    provider: Provider, pod: dict[str, Any]
) -> tuple[dict[str, Any] | None, bool, tuple[FieldError, ...]]:
    """(the admitted pod or None, whether the policy changed it, the errors of a refusal), by
    the calls admission makes."""
    view = PodView(pod)
    if any(check.fails(view) for check in provider.independent):
        return None, False, provider.errors(pod, view)
    made = provider.admits(pod, view)
    if isinstance(made, PodView):
        return None, False, provider.mutated_errors(made)
    return made.root, made.changed, ()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pods())
def test_admissions_calls_agree_with_the_full_evaluation(pod: dict[str, Any]) -> None:
    before = copy.deepcopy(pod)
    for provider in PROVIDERS:
        full = provider.evaluate(pod)
        admitted, mutated, errors = as_admission_asks(provider, pod)
        assert errors == full.errors, provider.name
        if not full.errors:
            assert (admitted, mutated) == (full.pod, full.mutated), provider.name
    assert pod == before


def test_evaluate_gives_every_error_in_upstreams_order_and_admission_the_same() -> None:
    provider = PolicySet.compile([policy("p", volumes=["secret"])]).providers[0]
    pod = {
        "metadata": {"name": "x"},
        "spec": {
            "containers": [
                {"name": "a", "securityContext": {"privileged": True}},
                {"name": "b", "securityContext": {"privileged": True}},
            ],
            "volumes": [{"name": "v", "emptyDir": {}}],
        },
    }
    want = [
        'spec.volumes[0]: Invalid value: "emptyDir": emptyDir volumes are not allowed to be used',
        "spec.containers[0].securityContext.privileged: Invalid value: true: "
        "Privileged containers are not allowed",
        "spec.containers[1].securityContext.privileged: Invalid value: true: "
        "Privileged containers are not allowed",
    ]
    assert [str(e) for e in provider.evaluate(pod).errors] == want
    admitted, _, errors = as_admission_asks(provider, pod)
    assert admitted is None
    assert [str(e) for e in errors] == want
