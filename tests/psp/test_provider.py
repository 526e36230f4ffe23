"""A provider's two evaluations: `evaluate` gives every error in upstream's order,
`evaluate_first_error` stops at the first; both must agree on whether the policy admits the
pod and, when it does, on the pod it admits."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings

from podgate.psp import PolicySet
from podgate.psp.strategies import PodView
from tests.psp.test_psp_properties import pods
from tests.psp.test_psp_reference import POOL
from tests.psp_helpers import policy

PROVIDERS = PolicySet.compile(POOL).providers


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pods())
def test_first_error_evaluation_agrees_with_the_full_one(pod: dict[str, Any]) -> None:
    before = copy.deepcopy(pod)
    view = PodView(pod)
    memo: dict[int, Any] = {}
    for provider in PROVIDERS:
        full = provider.evaluate(pod)
        first = provider.evaluate_first_error(pod, view=view, memo=memo)
        alone = provider.evaluate_first_error(pod)
        assert first == alone
        assert bool(first.errors) == bool(full.errors), provider.name
        assert len(first.errors) <= 1
        if first.errors:
            assert first.errors[0] in full.errors
        else:
            assert (first.pod, first.mutated) == (full.pod, full.mutated)
    assert pod == before


def test_evaluate_gives_every_error_in_upstreams_order_first_error_only_one() -> None:
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
    assert [str(e) for e in provider.evaluate(pod).errors] == [
        'spec.volumes[0]: Invalid value: "emptyDir": emptyDir volumes are not allowed to be used',
        "spec.containers[0].securityContext.privileged: Invalid value: true: "
        "Privileged containers are not allowed",
        "spec.containers[1].securityContext.privileged: Invalid value: true: "
        "Privileged containers are not allowed",
    ]
    assert len(provider.evaluate_first_error(pod).errors) == 1
