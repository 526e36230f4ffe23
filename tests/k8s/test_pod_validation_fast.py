"""The fast paths of `pod_create_errors` against the checks they stand for: a securityContext
that `_clean` (container) or `_pod_clean` (pod) passes must be one the full checks find no error
in, and one they refuse must have an error (so the full checks run only where they speak)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.k8s import pod_validation as pv

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ints at and beyond both ends of 0..2147483647, and values of other types that look alike
ids = st.sampled_from([0, 1, 1000, pv.MAX_ID, pv.MAX_ID + 1, -1, 2**63, True, False, 1.5, "5"])
anything = st.none() | st.booleans() | ids | st.sampled_from(["", "x", [], {}])
cap_names = st.sampled_from(["CAP_SYS_ADMIN", "SYS_ADMIN", "NET_RAW", "cap_sys_admin", 5, None])


@st.composite
def security_contexts(draw: Any) -> Any:
    sc: dict[str, Any] = {}
    for key in ("runAsUser", "runAsGroup"):
        if draw(st.booleans()):
            sc[key] = draw(ids | anything)
    for key in ("allowPrivilegeEscalation", "privileged"):
        if draw(st.booleans()):
            sc[key] = draw(anything)
    if draw(st.booleans()):
        add = draw(st.lists(cap_names, max_size=3) | anything)
        caps: Any = {"add": add} if draw(st.booleans()) else {"drop": ["ALL"]}
        sc["capabilities"] = MappingProxyType(caps) if draw(st.booleans()) else caps
    return MappingProxyType(sc) if draw(st.integers(0, 5)) == 0 else sc


@SETTINGS
@given(security_contexts())
def test_a_container_context_is_clean_exactly_when_its_checks_find_nothing(sc: Any) -> None:
    at = ("spec", "containers", 0, "securityContext")
    assert pv._clean(sc) == (not list(pv._container_errors(sc, at)))


@st.composite
def pod_security_contexts(draw: Any) -> Any:
    psc: dict[str, Any] = {}
    for key in ("fsGroup", "runAsUser", "runAsGroup"):
        if draw(st.booleans()):
            psc[key] = draw(ids | anything)
    if draw(st.booleans()):
        psc["supplementalGroups"] = draw(st.lists(ids, max_size=3) | anything)
    return MappingProxyType(psc) if draw(st.integers(0, 5)) == 0 else psc


@SETTINGS
@given(pod_security_contexts())
def test_a_pod_context_is_clean_exactly_when_its_checks_find_nothing(psc: Any) -> None:
    assert pv._pod_clean(psc) == (not pv._pod_errors(psc))


@SETTINGS
@given(st.lists(security_contexts(), max_size=3), st.none() | pod_security_contexts())
def test_the_errors_of_a_pod_are_those_of_each_context_in_upstreams_order(
    contexts: list[Any], psc: Any
) -> None:
    containers = [{"name": f"c{i}", "securityContext": sc} for i, sc in enumerate(contexts)]
    spec: dict[str, Any] = {"initContainers": containers[:1], "containers": containers[1:]}
    if psc is not None:
        spec["securityContext"] = psc
    want: list[Any] = []
    for list_name in ("containers", "initContainers"):
        for i, c in enumerate(spec[list_name]):
            want.extend(
                pv._container_errors(
                    c["securityContext"], ("spec", list_name, i, "securityContext")
                )
            )
    if psc is not None:
        want.extend(pv._pod_errors(psc))
    assert pv.pod_create_errors({"spec": spec}) == tuple(want)
