"""The screen of a policy: admission asks each mutation-independent check only whether a pod
fails it (`Screened.fails`), and builds the errors only to deny. A `fails` that said False
where the validators give an error would admit a pod the policy refuses (a wrong allow); one
that said True where they give none would refuse it. Each is held here to its strategy's own
validators, over generated policies and pods and over every admission conformance case."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError
from podgate.psp import PolicySet
from podgate.psp.policy import BuildError
from podgate.psp.registry import registry
from podgate.psp.strategies import ContainerValidator, PodValidator, PodView, Screened, Strategy
from tests.psp.test_psp_conformance import ALL as CONFORMANCE
from tests.psp.test_psp_conformance import _pod, _policy
from tests.psp_helpers import policy

SECCOMP = "seccomp.security.alpha.kubernetes.io/"
NAMES = ["a", "b", "", 5]
PROFILES = [
    {"type": "RuntimeDefault"},
    {"type": "Unconfined"},
    {"type": "Localhost", "localhostProfile": "x"},
    {"type": "Localhost"},
    {"type": "Other"},
    {},
]
ANNOTATION_VALUES = ["", "runtime/default", "docker/default", "unconfined", "localhost/x", 5]
CAPS = ["ALL", "NET_RAW", "CHOWN", "SYS_ADMIN", 5]


def strategies_of(pol: Obj) -> list[Strategy]:
    """Every strategy a policy builds (those upstream could not build left out)."""
    spec = mapping(pol.get("spec"))
    ann = mapping(mapping(pol.get("metadata")).get("annotations"))
    built = []
    for family in registry().build:
        try:
            strategy = family.build(spec, ann)
        except BuildError:
            continue
        if strategy is not None:
            built.append(strategy)
    return built


def errors_of(strategy: Strategy, view: PodView) -> list[FieldError]:
    errs: list[FieldError] = []
    if isinstance(strategy, PodValidator):
        strategy.validate_pod(view, errs)
    if isinstance(strategy, ContainerValidator):
        for ctx in view.containers:
            strategy.validate_container(ctx, errs)
    return errs


def assert_screens_agree(pol: Obj, pod: Obj) -> int:
    """Each `fails` of the policy's strategies says of `pod` what their validators say; the
    number of strategies compared."""
    view = PodView(pod)
    compared = 0
    for strategy in strategies_of(pol):
        if isinstance(strategy, Screened):
            want = bool(errors_of(strategy, view))
            assert strategy.fails(view) is want, (strategy, pod)
            compared += 1
    return compared


maybe = st.sampled_from([None, True, False, "x"])


@st.composite
def security_contexts(draw: Any) -> Any:
    if draw(st.integers(0, 5)) == 0:
        return None
    sc: dict[str, Any] = {}
    for key, values in (
        ("privileged", [None, True, False, "x"]),
        ("procMount", [None, "Default", "Unmasked", "Other"]),
        ("seccompProfile", [None, *PROFILES]),
    ):
        value = draw(st.sampled_from(values))
        if value is not None:
            sc[key] = value
    if draw(st.booleans()):
        sc["capabilities"] = {
            k: draw(st.lists(st.sampled_from(CAPS), max_size=3) | st.sampled_from([None, "ALL"]))
            for k in ("add", "drop")
            if draw(st.booleans())
        }
    return sc


@st.composite
def containers(draw: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"image": "i"}
    name = draw(st.sampled_from([*NAMES, None]))
    if name is not None:
        c["name"] = name
    sc = draw(security_contexts())
    if sc is not None:
        c["securityContext"] = sc
    if draw(st.booleans()):
        ports = st.sampled_from([None, 0, -1, 80, 8080, 9000, 70000, True, False, "80", 1.5])
        c["ports"] = [
            {"containerPort": 1, **({} if (hp := draw(ports)) is None else {"hostPort": hp})}
            for _ in range(draw(st.integers(0, 2)))
        ]
    if draw(st.booleans()):
        c["volumeMounts"] = [
            {"name": draw(st.sampled_from(["v0", "v1"])), "readOnly": draw(maybe)}
            for _ in range(draw(st.integers(1, 2)))
        ]
    return c


VOLUMES = [
    {"emptyDir": {}},
    {"configMap": {"name": "x"}},
    {"secret": {"secretName": "s"}},
    {"emptyDir": None},
    {},
    {"ephemeral": {}},
    {"hostPath": {"path": "/var/log"}},
    {"hostPath": {"path": "/var/log/x/"}},
    {"hostPath": {"path": "/var/logs"}},
    {"hostPath": {"path": "/etc"}},
    {"hostPath": {}},
    {"flexVolume": {"driver": "a"}},
    {"flexVolume": {"driver": "z"}},
    {"flexVolume": {}},
    {"csi": {"driver": "a"}},
    {"csi": {"driver": "z"}},
    {"hostPath": {"path": "/etc"}, "emptyDir": {}},
]


@st.composite
def pods(draw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        n = draw(st.integers(1 if list_name == "containers" else 0, 2))
        if n:
            spec[list_name] = [draw(containers()) for _ in range(n)]
    vols = draw(st.lists(st.sampled_from(VOLUMES), max_size=3))
    if vols:
        spec["volumes"] = [{"name": f"v{i}", **v} for i, v in enumerate(vols)]
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        value = draw(maybe)
        if value is not None:
            spec[key] = value
    psc: dict[str, Any] = {}
    prof = draw(st.sampled_from([None, *PROFILES]))
    if prof is not None:
        psc["seccompProfile"] = prof
    if draw(st.booleans()):
        names = ["kernel.shm_rmid_forced", "kernel.msgmax", "net.core.x", "", 5]
        psc["sysctls"] = [{"name": n} for n in draw(st.lists(st.sampled_from(names), max_size=2))]
    if psc or draw(st.booleans()):
        spec["securityContext"] = psc
    annotations: dict[str, Any] = {}
    for key in ("pod", *(f"container.{SECCOMP}{n}" for n in ("a", "b", ""))):
        full = SECCOMP + key if key == "pod" else key
        value = draw(st.sampled_from([None, *ANNOTATION_VALUES]))
        if value is not None:
            annotations[full] = value
    meta: dict[str, Any] = {"name": "p"}
    if annotations:
        meta["annotations"] = annotations
    return {"kind": "Pod", "metadata": meta, "spec": spec}


def subset(values: list[Any]) -> Any:
    return st.lists(st.sampled_from(values), unique=True, max_size=3)


@st.composite
def policies(draw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "volumes": draw(
            subset(["*", "hostPath", "emptyDir", "configMap", "flexVolume", "csi", "ephemeral"])
        ),
        "hostPorts": [
            {"min": lo, "max": hi}
            for lo, hi in draw(st.lists(st.sampled_from([(0, 65535), (80, 80), (8000, 9000)])))
        ],
        "allowedCapabilities": draw(subset(["*", "CHOWN", "SYS_ADMIN"])),
        "requiredDropCapabilities": draw(subset(["ALL", "NET_RAW"])),
        "defaultAddCapabilities": draw(subset(["CHOWN"])),
        "allowedProcMountTypes": draw(subset(["Default", "Unmasked"])),
        "forbiddenSysctls": draw(subset(["kernel.msgmax", "kernel.*", "*"])),
        "allowedUnsafeSysctls": draw(subset(["net.core.x", "net.*", "*"])),
    }
    if draw(st.booleans()):
        spec["allowedHostPaths"] = [
            {"pathPrefix": p, "readOnly": draw(st.booleans())}
            for p in draw(subset(["/var/log", "/var/log/", "/etc", "/"]))
        ]
    if draw(st.booleans()):
        spec["allowedFlexVolumes"] = [{"driver": "a"}]
    if draw(st.booleans()):
        spec["allowedCSIDrivers"] = [{"name": "a"}]
    for key in ("privileged", "hostNetwork", "hostPID", "hostIPC"):
        spec[key] = draw(st.booleans())
    annotations = {}
    allowed = draw(
        st.sampled_from([None, "*", "", "runtime/default", "docker/default,localhost/x"])
    )
    if allowed is not None:
        annotations[SECCOMP + "allowedProfileNames"] = allowed
    if draw(st.booleans()):
        annotations[SECCOMP + "defaultProfileName"] = "runtime/default"
    return policy("p", annotations, **spec)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), pods())
def test_each_screen_fails_a_generated_pod_exactly_when_its_validators_give_an_error(
    pol: dict[str, Any], pod: dict[str, Any]
) -> None:
    assert assert_screens_agree(pol, pod) > 0


ADMISSION_CASES = [c for _, kind, c in CONFORMANCE if kind == "admit"]


@pytest.mark.parametrize("case", ADMISSION_CASES, ids=range(len(ADMISSION_CASES)))
def test_each_screen_fails_a_conformance_pod_exactly_when_its_validators_give_an_error(
    case: dict[str, Any],
) -> None:
    from podgate.k8s.defaults import default_policy

    pod = _pod(case.get("pod") or {})
    for p in case["policies"]:
        assert_screens_agree(default_policy(_policy(p))[0], pod)


def test_the_screened_strategies_are_the_checks_admission_screens_with() -> None:
    """A policy's mutation-independent checks answer `fails` with the strategy's own method
    where it has one (the others run their validators to the first error)."""
    pol = policy(
        "p",
        {SECCOMP + "allowedProfileNames": "runtime/default"},
        volumes=["configMap"],
        allowedCapabilities=["CHOWN"],
        supplementalGroups={"rule": "MayRunAs", "ranges": [{"min": 1, "max": 5}]},
    )
    (provider,) = PolicySet.compile([pol]).providers
    kinds = {type(c.strategy).__name__: c for c in provider.independent}
    screened = {n for n, c in kinds.items() if isinstance(c.strategy, Screened)}
    assert screened == {
        "Seccomp",
        "HostNamespaces",
        "Sysctls",
        "Volumes",
        "Privileged",
        "ProcMount",
        "Capabilities",
        "HostPorts",
    }
    for name in screened:
        assert kinds[name].fails == kinds[name].strategy.fails  # type: ignore[attr-defined]
    groups = kinds["SupplementalGroups"]
    bad = {"spec": {"containers": [{}], "securityContext": {"supplementalGroups": [9]}}}
    assert groups.fails(PodView(bad)) is True
    assert groups.fails(PodView({"spec": {"containers": [{}]}})) is False
