"""Hypothesis-generated PodSecurityPolicies through the VAP exporter and the cel-cpp verifier:
for each, the CEL agrees with PSP's validating phase on every boundary pod, for each identity."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.export import Verdict, export
from podgate.verify import verify
from tests.export.test_export_psa import deployment
from tests.psp_helpers import policy

pytest.importorskip("cel_expr_python", reason="the verify extra (cel-expr-python) is not installed")

CAPS = ["NET_BIND_SERVICE", "SYS_ADMIN", "CHOWN", "NET_RAW", "ALL"]
VOLUMES = [
    "configMap",
    "emptyDir",
    "secret",
    "hostPath",
    "csi",
    "flexVolume",
    "nfs",
    "projected",
    "*",
]


@st.composite
def ranges(draw: Any, low: int = 0) -> list[dict[str, int]]:
    out = []
    for _ in range(draw(st.integers(1, 2))):
        a = draw(st.integers(low, 3000))
        out.append({"min": a, "max": a + draw(st.integers(0, 2000))})
    return out


@st.composite
def id_rule(draw: Any, rules: tuple[str, ...]) -> dict[str, Any]:
    rule = draw(st.sampled_from(rules))
    return {"rule": rule} if rule == "RunAsAny" else {"rule": rule, "ranges": draw(ranges())}


@st.composite
def policies(draw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "privileged": draw(st.booleans()),
        "hostNetwork": draw(st.booleans()),
        "hostPID": draw(st.booleans()),
        "hostIPC": draw(st.booleans()),
        "readOnlyRootFilesystem": draw(st.booleans()),
        "allowPrivilegeEscalation": draw(st.booleans()),
        "volumes": draw(st.lists(st.sampled_from(VOLUMES), max_size=4, unique=True)),
        "allowedCapabilities": draw(
            st.lists(st.sampled_from([*CAPS, "*"]), max_size=2, unique=True)
        ),
        "defaultAddCapabilities": draw(st.lists(st.sampled_from(CAPS), max_size=1)),
        "requiredDropCapabilities": draw(st.lists(st.sampled_from(CAPS), max_size=2, unique=True)),
        "fsGroup": draw(id_rule(("RunAsAny", "MustRunAs", "MayRunAs"))),
        "supplementalGroups": draw(id_rule(("RunAsAny", "MustRunAs", "MayRunAs"))),
    }
    user = draw(st.sampled_from(["RunAsAny", "MustRunAsNonRoot", "MustRunAs"]))
    spec["runAsUser"] = (
        {"rule": user, "ranges": draw(ranges())} if user == "MustRunAs" else {"rule": user}
    )
    if draw(st.booleans()):
        spec["runAsGroup"] = draw(id_rule(("RunAsAny", "MustRunAs", "MayRunAs")))
    if draw(st.booleans()):
        spec["defaultAllowPrivilegeEscalation"] = draw(st.booleans())
    if draw(st.booleans()):
        spec["hostPorts"] = draw(ranges(low=1))
    if draw(st.booleans()):
        spec["allowedHostPaths"] = [
            {
                "pathPrefix": draw(st.sampled_from(["/var/log", "/etc/", "/"])),
                "readOnly": draw(st.booleans()),
            }
        ]
    if draw(st.booleans()):
        spec["allowedUnsafeSysctls"] = draw(
            st.lists(st.sampled_from(["net.core.*", "kernel.msgmax"]), max_size=2)
        )
        spec["forbiddenSysctls"] = draw(
            st.lists(st.sampled_from(["kernel.shm_rmid_forced", "net.*"]), max_size=1)
        )
    if draw(st.booleans()):
        spec["allowedProcMountTypes"] = draw(
            st.sampled_from([["Default"], ["Default", "Unmasked"]])
        )
    if draw(st.booleans()):
        spec["runtimeClass"] = {
            "allowedRuntimeClassNames": draw(st.sampled_from([["gvisor"], ["*"]]))
        }
        if draw(st.booleans()):
            spec["runtimeClass"]["defaultRuntimeClassName"] = "gvisor"
    if draw(st.booleans()):
        spec["seLinux"] = {
            "rule": "MustRunAs",
            "seLinuxOptions": {"level": "s0:c2,c1", "type": "container_t"},
        }
    annotations = {}
    if draw(st.booleans()):
        annotations["seccomp.security.alpha.kubernetes.io/allowedProfileNames"] = draw(
            st.sampled_from(["runtime/default", "*", "runtime/default,localhost/profiles/p.json"])
        )
        if draw(st.booleans()):
            annotations["seccomp.security.alpha.kubernetes.io/defaultProfileName"] = (
                "runtime/default"
            )
    if draw(st.booleans()):
        annotations["apparmor.security.beta.kubernetes.io/allowedProfileNames"] = "runtime/default"
        if draw(st.booleans()):
            annotations["apparmor.security.beta.kubernetes.io/defaultProfileName"] = (
                "runtime/default"
            )
    return policy("generated", annotations=annotations or None, **spec)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_generated_policy_agrees_with_psp_on_every_boundary_pod(psp: dict[str, Any]) -> None:
    app = deployment("apps", "web", {"containers": [{"name": "c", "image": "i"}]})
    result = verify(export([psp], [], [app], "vap", "1.36"), [psp, app])
    (outcome,) = result.policies
    assert outcome.verdict is Verdict.PROVED, outcome.gaps
    assert outcome.agreed == outcome.pods > 100
