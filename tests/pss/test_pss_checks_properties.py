"""Properties of the PSS engine on random pods (hypothesis): restricted-allowed implies
baseline-allowed, inputs are never modified, any JSON never crashes, and versions beyond the
newest evaluate like it."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from podgate.pss import (
    LATEST,
    MAX_VERSION,
    Level,
    evaluate,
    highest_level,
    restricted_implies_baseline,
    v1,
)

SETTINGS = settings(max_examples=250, deadline=None)

names = st.sampled_from(["app", "init", "side", "", "debug"])
caps = st.lists(
    st.sampled_from(["ALL", "NET_RAW", "CHOWN", "NET_BIND_SERVICE", "SYS_ADMIN", "all"]), max_size=3
)
maybe_bool = st.sampled_from([None, True, False])
profile_type = st.sampled_from(["RuntimeDefault", "Localhost", "Unconfined", ""])


@st.composite
def security_context(draw: st.DrawFn, pod: bool) -> dict[str, Any]:
    sc: dict[str, Any] = {}
    for key in ("runAsNonRoot",) + (() if pod else ("privileged", "allowPrivilegeEscalation")):
        value = draw(maybe_bool)
        if value is not None:
            sc[key] = value
    if draw(st.booleans()):
        sc["runAsUser"] = draw(st.sampled_from([0, 1000, 65534]))
    if draw(st.booleans()):
        sc["seccompProfile"] = {"type": draw(profile_type)}
    if draw(st.integers(0, 4)) == 0:
        sc["appArmorProfile"] = {"type": draw(profile_type)}
    if draw(st.integers(0, 4)) == 0:
        sc["seLinuxOptions"] = {"type": draw(st.sampled_from(["container_t", "spc_t", ""]))}
    if draw(st.integers(0, 4)) == 0:
        sc["windowsOptions"] = {"hostProcess": draw(st.booleans())}
    if pod:
        if draw(st.integers(0, 3)) == 0:
            sc["sysctls"] = [
                {"name": draw(st.sampled_from(["kernel.shm_rmid_forced", "kernel.msgmax"]))}
            ]
    else:
        if draw(st.booleans()):
            sc["capabilities"] = {"drop": draw(caps), "add": draw(caps)}
        if draw(st.integers(0, 4)) == 0:
            sc["procMount"] = draw(st.sampled_from(["Default", "Unmasked"]))
    return sc


@st.composite
def container(draw: st.DrawFn) -> dict[str, Any]:
    c: dict[str, Any] = {"name": draw(names), "image": "x"}
    if draw(st.integers(0, 3)) > 0:
        c["securityContext"] = draw(security_context(pod=False))
    if draw(st.integers(0, 5)) == 0:
        c["ports"] = [{"containerPort": 80, "hostPort": draw(st.sampled_from([0, 80, 443]))}]
    if draw(st.integers(0, 5)) == 0:
        c["livenessProbe"] = {"httpGet": {"port": 80, "host": draw(st.sampled_from(["", "h"]))}}
    return c


@st.composite
def pods(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    spec: dict[str, Any] = {"containers": draw(st.lists(container(), min_size=1, max_size=3))}
    if draw(st.booleans()):
        spec["initContainers"] = draw(st.lists(container(), max_size=2))
    if draw(st.integers(0, 5)) == 0:
        spec["ephemeralContainers"] = draw(st.lists(container(), max_size=1))
    if draw(st.booleans()):
        spec["securityContext"] = draw(security_context(pod=True))
    for key in ("hostNetwork", "hostPID", "hostIPC", "hostUsers"):
        if draw(st.integers(0, 5)) == 0:
            spec[key] = draw(st.booleans())
    if draw(st.integers(0, 4)) == 0:
        spec["os"] = {"name": draw(st.sampled_from(["windows", "linux"]))}
    if draw(st.integers(0, 3)) == 0:
        source = draw(st.sampled_from(["emptyDir", "hostPath", "nfs", "secret", "configMap"]))
        spec["volumes"] = [{"name": "v", source: {}}]
    meta: dict[str, Any] = {}
    if draw(st.integers(0, 4)) == 0:
        key = draw(
            st.sampled_from(
                [
                    "container.apparmor.security.beta.kubernetes.io/app",
                    "seccomp.security.alpha.kubernetes.io/pod",
                ]
            )
        )
        meta["annotations"] = {key: draw(st.sampled_from(["unconfined", "runtime/default"]))}
    return meta, spec


versions = st.sampled_from([v1(0), v1(8), v1(19), v1(22), v1(25), v1(34), v1(35), LATEST])


@SETTINGS
@given(pods(), versions)
def test_restricted_allowed_implies_baseline_allowed(
    pod: tuple[dict[str, Any], dict[str, Any]], version: Any
) -> None:
    meta, spec = pod
    before = copy.deepcopy(pod)
    restricted = evaluate(Level.RESTRICTED, version, meta, spec)
    baseline = evaluate(Level.BASELINE, version, meta, spec)
    # Upstream's one exception: from v1.25 capabilities_restricted and seccompProfile_restricted
    # allow Windows pods unconditionally and, at restricted, replace capabilities_baseline and
    # seccompProfile_baseline, so a Windows pod adding a non-default capability or setting an
    # Unconfined seccomp profile meets restricted but not baseline.
    windows_caps = (
        version >= v1(25)
        and isinstance(spec.get("os"), dict)
        and spec["os"].get("name") == "windows"
        and bool(baseline)
        and {v.check for v in baseline} <= {"capabilities_baseline", "seccompProfile_baseline"}
    )
    if not restricted and not windows_caps:
        assert not baseline
    if not restricted and restricted_implies_baseline(spec):  # the scanner's shortcut
        assert not baseline
    if baseline:
        assert restricted or windows_caps
    assert evaluate(Level.PRIVILEGED, version, meta, spec) == ()
    expected = Level.PRIVILEGED if baseline else Level.BASELINE if restricted else Level.RESTRICTED
    assert highest_level(version, meta, spec) is expected
    assert pod == before  # never modified


@SETTINGS
@given(pods(), st.integers(MAX_VERSION.minor + 1, 10**6))
def test_future_versions_evaluate_as_the_newest(
    pod: tuple[dict[str, Any], dict[str, Any]], minor: int
) -> None:
    meta, spec = pod
    for level in (Level.BASELINE, Level.RESTRICTED):
        newest = evaluate(level, MAX_VERSION, meta, spec)
        assert evaluate(level, v1(minor), meta, spec) == newest
        assert evaluate(level, LATEST, meta, spec) == newest


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "containers",
                    "initContainers",
                    "securityContext",
                    "capabilities",
                    "add",
                    "drop",
                    "volumes",
                    "name",
                    "hostPath",
                    "ports",
                    "hostPort",
                    "annotations",
                    "seccompProfile",
                    "type",
                    "sysctls",
                    "livenessProbe",
                    "httpGet",
                    "host",
                    "lifecycle",
                    "os",
                    "privileged",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@SETTINGS
@given(json_values, json_values, versions)
def test_any_json_never_crashes(meta: Any, spec: Any, version: Any) -> None:
    for level in Level:
        for v in evaluate(level, version, meta, spec):
            assert v.reason
            assert isinstance(v.detail, str)


def test_a_windows_pod_with_an_unconfined_seccomp_profile_meets_restricted_not_baseline() -> None:
    """From v1.25 seccompProfile_restricted allows Windows pods and replaces
    seccompProfile_baseline at restricted (upstream; API validation refuses such a pod)."""
    spec = {
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": True},
        "containers": [
            {
                "name": "app",
                "image": "x",
                "securityContext": {"seccompProfile": {"type": "Unconfined"}},
            }
        ],
    }
    assert not evaluate(Level.RESTRICTED, v1(25), {}, spec)
    assert [v.check for v in evaluate(Level.BASELINE, v1(25), {}, spec)] == [
        "seccompProfile_baseline"
    ]
