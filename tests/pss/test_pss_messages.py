"""Exact reason and detail texts of every check and every detail form, and the aggregated
messages of spec 4 (with its errata), byte for byte."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.pss import (
    LATEST,
    Level,
    LevelVersion,
    Violation,
    audit_annotation,
    enforce_message,
    evaluate,
    forbidden_detail,
    forbidden_message,
    forbidden_reason,
    v1,
    warning_message,
    warning_messages,
)
from podgate.pss.fields import security_contexts
from podgate.pss.registry import DEFAULT


def c(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "registry.k8s.io/pause", **fields}


def sc(**fields: Any) -> dict[str, Any]:
    return {"securityContext": fields}


def run(check_id: str, version: str, spec: dict[str, Any], meta: dict[str, Any] | None = None):
    """(reason, detail) of one check on a pod, or None when it allows it."""
    ver = LATEST if version == "latest" else v1(int(version.removeprefix("v1.")))
    for level in (Level.BASELINE, Level.RESTRICTED):
        for cid, fn in DEFAULT.plan(level, ver):
            if cid == check_id:
                result = fn(meta or {}, spec, security_contexts(spec))
                return None if result is None else result[:2]
    raise AssertionError(f"{check_id} is not active at {version}")


APPARMOR = "container.apparmor.security.beta.kubernetes.io/"

# (check, version, spec, meta, reason, detail)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str, str]] = [
    # appArmorProfile
    (
        "appArmorProfile",
        "v1.0",
        {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}, "containers": [c("app")]},
        {},
        "forbidden AppArmor profile",
        'pod must not set AppArmor profile type to "Unconfined"',
    ),
    (
        "appArmorProfile",
        "latest",
        {
            "securityContext": {"appArmorProfile": {"type": "Unconfined"}},
            "containers": [c("app", **sc(appArmorProfile={"type": "Unconfined"}))],
        },
        {"annotations": {APPARMOR + "x": "unconfined"}},
        "forbidden AppArmor profiles",
        'pod and container "app" and annotation must not set AppArmor profile type to'
        ' "Unconfined", "container.apparmor.security.beta.kubernetes.io/x="unconfined""',
    ),
    (
        "appArmorProfile",
        "latest",
        {
            "containers": [
                c("a", **sc(appArmorProfile={})),
                c("b", **sc(appArmorProfile={"type": "Localhost"})),
                c("d", **sc(appArmorProfile={"type": "Unconfined"})),
            ]
        },
        {"annotations": {APPARMOR + "b": "bad\n", APPARMOR: "localhost/x", APPARMOR + "a": "u"}},
        "forbidden AppArmor profiles",
        'containers "a", "d" and annotations must not set AppArmor profile type to "", "Unconfined",'
        ' "container.apparmor.security.beta.kubernetes.io/a="u"",'
        ' "container.apparmor.security.beta.kubernetes.io/b="bad\\n""',
    ),
    (
        "appArmorProfile",
        "latest",
        {"containers": [c("app")]},
        {"annotations": {APPARMOR + "x": "unconfined"}},
        "forbidden AppArmor profile",
        "annotation must not set AppArmor profile type to"
        ' "container.apparmor.security.beta.kubernetes.io/x="unconfined""',
    ),
    # capabilities_baseline
    (
        "capabilities_baseline",
        "latest",
        {
            "containers": [
                c("a", **sc(capabilities={"add": ["NET_RAW", "CHOWN", "CAP_SYS_ADMIN"]})),
                c("b", **sc(capabilities={"add": ["ALL", "NET_RAW"], "drop": ["ALL"]})),
                c("ok", **sc(capabilities={"add": ["KILL", "SETUID"]})),
            ]
        },
        {},
        "non-default capabilities",
        'containers "a", "b" must not include "ALL", "CAP_SYS_ADMIN", "NET_RAW" in'
        " securityContext.capabilities.add",
    ),
    # hostNamespaces
    (
        "hostNamespaces",
        "latest",
        {"hostIPC": True, "hostPID": True, "hostNetwork": True},
        {},
        "host namespaces",
        "hostNetwork=true, hostPID=true, hostIPC=true",
    ),
    ("hostNamespaces", "latest", {"hostIPC": True}, {}, "host namespaces", "hostIPC=true"),
    # hostPathVolumes
    (
        "hostPathVolumes",
        "latest",
        {"volumes": [{"name": "a", "hostPath": {"path": "/"}}]},
        {},
        "hostPath volumes",
        'volume "a"',
    ),
    (
        "hostPathVolumes",
        "latest",
        {
            "volumes": [
                {"name": "b", "hostPath": {"path": "/"}},
                {"name": "e", "emptyDir": {}},
                {"name": "a", "hostPath": {"path": "/x"}},
            ]
        },
        {},
        "hostPath volumes",
        'volumes "b", "a"',
    ),
    # hostPorts
    (
        "hostPorts",
        "latest",
        {"containers": [c("a", ports=[{"containerPort": 80, "hostPort": 80}])]},
        {},
        "hostPort",
        'container "a" uses hostPort 80',
    ),
    (
        "hostPorts",
        "latest",
        {
            "containers": [
                c("app", ports=[{"hostPort": 80}, {"hostPort": 8080}, {"hostPort": 9}]),
                c("side", ports=[{"hostPort": 443}, {"hostPort": 80}, {"hostPort": 0}]),
                c("none", ports=[{"containerPort": 1}]),
            ]
        },
        {},
        "hostPort",
        'containers "app", "side" use hostPorts 443, 80, 8080, 9',
    ),
    (
        "hostPorts",
        "latest",
        {"containers": [c("a", ports=[{"hostPort": 8080}, {"hostPort": 80}])]},
        {},
        "hostPort",
        'container "a" uses hostPorts 80, 8080',
    ),
    # hostProbesAndHostLifecycle
    (
        "hostProbesAndHostLifecycle",
        "v1.34",
        {
            "containers": [
                c(
                    "b",
                    livenessProbe={"httpGet": {"host": "localhost", "port": 80}},
                    lifecycle={"preStop": {"tcpSocket": {"host": "127.0.0.1", "port": 1}}},
                ),
                c(
                    "a",
                    readinessProbe={"tcpSocket": {"host": "::1", "port": 1}},
                    startupProbe={"httpGet": {"host": "", "port": 1}},
                    lifecycle={"postStart": {"httpGet": {"host": "localhost", "port": 1}}},
                ),
            ]
        },
        {},
        "probe or lifecycle host",
        'containers "a", "b" use probe or lifecycle hosts "127.0.0.1", "::1", "localhost"',
    ),
    (
        "hostProbesAndHostLifecycle",
        "latest",
        {
            "initContainers": [c("a", livenessProbe={"httpGet": {"host": "h", "port": 80}})],
            "containers": [c("a", startupProbe={"tcpSocket": {"host": "h", "port": 1}})],
        },
        {},
        "probe or lifecycle host",
        'container "a" uses probe or lifecycle host "h"',
    ),
    # privileged
    (
        "privileged",
        "latest",
        {
            "initContainers": [c("i", **sc(privileged=True))],
            "containers": [c("a", **sc(privileged=False)), c("b", **sc(privileged=True))],
            "ephemeralContainers": [c("e", **sc(privileged=True))],
        },
        {},
        "privileged",
        'containers "i", "b", "e" must not set securityContext.privileged=true',
    ),
    (
        "privileged",
        "latest",
        {"containers": [c("a", **sc(privileged=True))]},
        {},
        "privileged",
        'container "a" must not set securityContext.privileged=true',
    ),
    (
        "privileged",
        "latest",
        {
            "initContainers": [c("a", **sc(privileged=True))],
            "containers": [c("a", **sc(privileged=True))],
        },
        {},
        "privileged",
        'containers "a", "a" must not set securityContext.privileged=true',
    ),
    # procMount and procMount_restricted
    (
        "procMount",
        "latest",
        {
            "containers": [
                c("a", **sc(procMount="Unmasked")),
                c("b", **sc(procMount="Default")),
                c("c", **sc(procMount="")),
            ]
        },
        {},
        "procMount",
        'containers "a", "c" must not set securityContext.procMount to "", "Unmasked"',
    ),
    (
        "procMount_restricted",
        "latest",
        {"hostUsers": False, "containers": [c("a", **sc(procMount="Unmasked"))]},
        {},
        "procMount",
        'container "a" must not set securityContext.procMount to "Unmasked"',
    ),
    # seLinuxOptions
    (
        "seLinuxOptions",
        "latest",
        {
            "securityContext": {"seLinuxOptions": {"type": "foo", "user": "bar", "role": "baz"}},
            "containers": [
                c("a", **sc(seLinuxOptions={"type": "container_t"})),
                c("d", **sc(seLinuxOptions={"type": "container_engine_t"})),
                c("e", **sc(seLinuxOptions={"type": "bar"})),
                c("f", **sc(seLinuxOptions={"user": "bar"})),
                c("g", **sc(seLinuxOptions={"role": "baz", "level": "s0:c1"})),
            ],
        },
        {},
        "seLinuxOptions",
        'pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions:'
        ' types "bar", "foo"; user may not be set; role may not be set',
    ),
    (
        "seLinuxOptions",
        "v1.30",
        {"containers": [c("d", **sc(seLinuxOptions={"type": "container_engine_t"}))]},
        {},
        "seLinuxOptions",
        'container "d" set forbidden securityContext.seLinuxOptions: type "container_engine_t"',
    ),
    (
        "seLinuxOptions",
        "latest",
        {"securityContext": {"seLinuxOptions": {"user": "bad"}}},
        {},
        "seLinuxOptions",
        "pod set forbidden securityContext.seLinuxOptions: user may not be set",
    ),
    (
        "seLinuxOptions",
        "latest",
        {"securityContext": {"seLinuxOptions": {"role": "bad"}}},
        {},
        "seLinuxOptions",
        "pod set forbidden securityContext.seLinuxOptions: role may not be set",
    ),
    # seccompProfile_baseline: annotations (v1.0-v1.18), then fields
    (
        "seccompProfile_baseline",
        "v1.18",
        {"containers": [c("a"), c("b")]},
        {
            "annotations": {
                "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
                "container.seccomp.security.alpha.kubernetes.io/b": "",
                "container.seccomp.security.alpha.kubernetes.io/a": "runtime/default",
                "container.seccomp.security.alpha.kubernetes.io/zzz": "unconfined",
            }
        },
        "seccompProfile",
        'forbidden annotations container.seccomp.security.alpha.kubernetes.io/b="",'
        ' seccomp.security.alpha.kubernetes.io/pod="unconfined"',
    ),
    (
        "seccompProfile_baseline",
        "v1.0",
        {"containers": [c("a")]},
        {"annotations": {"container.seccomp.security.alpha.kubernetes.io/a": "docker/x"}},
        "seccompProfile",
        'forbidden annotation container.seccomp.security.alpha.kubernetes.io/a="docker/x"',
    ),
    (
        "seccompProfile_baseline",
        "v1.19",
        {
            "securityContext": {"seccompProfile": {"type": "Unconfined"}},
            "containers": [
                c("a", **sc(seccompProfile={"type": "Localhost"})),
                c("b", **sc(seccompProfile={})),
            ],
        },
        {},
        "seccompProfile",
        'pod and container "b" must not set securityContext.seccompProfile.type to "", "Unconfined"',
    ),
    (
        "seccompProfile_baseline",
        "v1.0",
        {"containers": [c("a")]},
        {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": None}},  # Go: ""
        "seccompProfile",
        'forbidden annotation seccomp.security.alpha.kubernetes.io/pod=""',
    ),
    # sysctls
    (
        "sysctls",
        "v1.26",
        {
            "securityContext": {
                "sysctls": [
                    {"name": "net.ipv4.ip_local_reserved_ports", "value": "1"},
                    {"name": "kernel.shm_rmid_forced", "value": "1"},
                    {"name": "net/ipv4/tcp_syncookies", "value": "1"},
                    {"name": "net.ipv4.ip_local_reserved_ports", "value": "2"},
                ]
            }
        },
        {},
        "forbidden sysctls",
        "net.ipv4.ip_local_reserved_ports, net/ipv4/tcp_syncookies,"
        " net.ipv4.ip_local_reserved_ports",
    ),
    (
        "sysctls",
        "v1.36",
        {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]}},
        {},
        "forbidden sysctls",
        "net.ipv4.tcp_notsent_lowat",
    ),
    # windowsHostProcess
    (
        "windowsHostProcess",
        "latest",
        {
            "securityContext": {"windowsOptions": {"hostProcess": True}},
            "containers": [c("a", **sc(windowsOptions={"hostProcess": True})), c("b")],
        },
        {},
        "hostProcess",
        'pod and container "a" must not set securityContext.windowsOptions.hostProcess=true',
    ),
    (
        "windowsHostProcess",
        "latest",
        {"securityContext": {"windowsOptions": {"hostProcess": True}}, "containers": [c("a")]},
        {},
        "hostProcess",
        "pod must not set securityContext.windowsOptions.hostProcess=true",
    ),
    # allowPrivilegeEscalation
    (
        "allowPrivilegeEscalation",
        "latest",
        {
            "containers": [
                c("a"),
                c("b", **sc(allowPrivilegeEscalation=True)),
                c("c", **sc(allowPrivilegeEscalation=False)),
            ]
        },
        {},
        "allowPrivilegeEscalation != false",
        'containers "a", "b" must set securityContext.allowPrivilegeEscalation=false',
    ),
    # capabilities_restricted
    (
        "capabilities_restricted",
        "latest",
        {
            "containers": [
                c("a"),
                c("b", **sc(capabilities={"drop": ["all"], "add": ["NET_BIND_SERVICE"]})),
                c("c", **sc(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN", "CHOWN"]})),
                c("d", **sc(capabilities={"add": ["CHOWN"]})),
            ]
        },
        {},
        "unrestricted capabilities",
        'containers "a", "b", "d" must set securityContext.capabilities.drop=["ALL"];'
        ' containers "c", "d" must not include "CHOWN", "SYS_ADMIN" in'
        " securityContext.capabilities.add",
    ),
    (
        "capabilities_restricted",
        "latest",
        {"containers": [c("c", **sc(capabilities={"drop": ["ALL"], "add": ["NET_RAW"]}))]},
        {},
        "unrestricted capabilities",
        'container "c" must not include "NET_RAW" in securityContext.capabilities.add',
    ),
    # restrictedVolumes
    (
        "restrictedVolumes",
        "latest",
        {
            "volumes": [
                {"name": "a", "hostPath": {"path": "/"}},
                {"name": "ok", "image": {"reference": "x"}},
                {"name": "b", "nfs": {"server": "s", "path": "/"}},
                {"name": "c", "hostPath": {"path": "/"}},
            ]
        },
        {},
        "restricted volume types",
        'volumes "a", "b", "c" use restricted volume types "hostPath", "nfs"',
    ),
    (
        "restrictedVolumes",
        "latest",
        {"volumes": [{"name": "v"}]},
        {},
        "restricted volume types",
        'volume "v" uses restricted volume type "unknown"',
    ),
    # runAsNonRoot
    (
        "runAsNonRoot",
        "latest",
        {
            "securityContext": {"runAsNonRoot": False},
            "containers": [
                c("a", **sc(runAsNonRoot=True)),
                c("b", **sc(runAsNonRoot=False)),
                c("c"),
            ],
        },
        {},
        "runAsNonRoot != true",
        'pod and container "b" must not set securityContext.runAsNonRoot=false',
    ),
    (
        "runAsNonRoot",
        "latest",
        {"containers": [c("a", **sc(runAsUser=1000)), c("b", **sc(runAsNonRoot=True)), c("c")]},
        {},
        "runAsNonRoot != true",
        'pod or containers "a", "c" must set securityContext.runAsNonRoot=true',
    ),
    # runAsUser
    (
        "runAsUser",
        "latest",
        {
            "securityContext": {"runAsUser": 0},
            "containers": [c("a", **sc(runAsUser=1000)), c("b", **sc(runAsUser=0))],
        },
        {},
        "runAsUser=0",
        'pod and container "b" must not set runAsUser=0',
    ),
    (
        "runAsUser",
        "latest",
        {"containers": [c("a", **sc(runAsUser=0)), c("b", **sc(runAsUser=0))]},
        {},
        "runAsUser=0",
        'containers "a", "b" must not set runAsUser=0',
    ),
    # seccompProfile_restricted
    (
        "seccompProfile_restricted",
        "latest",
        {
            "securityContext": {"seccompProfile": {"type": "Unconfined"}},
            "containers": [c("a", **sc(seccompProfile={"type": "RuntimeDefault"}))],
        },
        {},
        "seccompProfile",
        'pod must not set securityContext.seccompProfile.type to "Unconfined"',
    ),
    (
        "seccompProfile_restricted",
        "latest",
        {"containers": [c("a"), c("b", **sc(seccompProfile={"type": "Localhost"})), c("c")]},
        {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}},
        "seccompProfile",
        'pod or containers "a", "c" must set securityContext.seccompProfile.type to'
        ' "RuntimeDefault" or "Localhost"',
    ),
    (
        "seccompProfile_restricted",
        "latest",
        {"containers": [c("a", **sc(seccompProfile={"type": "Unconfined"})), c("b")]},
        {},
        "seccompProfile",
        'container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
    ),
]


@pytest.mark.parametrize(
    ("check", "version", "spec", "meta", "reason", "detail"),
    CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)],
)
def test_reason_and_detail(
    check: str, version: str, spec: dict[str, Any], meta: dict[str, Any], reason: str, detail: str
) -> None:
    assert run(check, version, spec, meta) == (reason, detail)


def test_every_check_has_a_message_case() -> None:
    ids = {check.id for check in DEFAULT.checks}
    assert ids == {case[0] for case in CASES}


# Spec 4.1, both examples, through evaluate and the aggregated forms.
EMPTY_APP = {"containers": [{"name": "app", "image": "x"}]}
EMPTY_APP_DETAIL = (
    'allowPrivilegeEscalation != false (container "app" must set'
    " securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container"
    ' "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or'
    ' container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or'
    ' container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or'
    ' "Localhost")'
)
BASELINE_POD = {
    "hostNetwork": True,
    "containers": [
        {
            "name": "app",
            "securityContext": {
                "privileged": True,
                "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]},
            },
            "ports": [{"hostPort": 80}, {"hostPort": 8080}, {"hostPort": 9}],
        },
        {"name": "side", "ports": [{"hostPort": 443}]},
    ],
    "volumes": [{"name": "a", "hostPath": {"path": "/"}}],
}
BASELINE_DETAIL = (
    'non-default capabilities (container "app" must not include "NET_ADMIN", "SYS_TIME" in'
    " securityContext.capabilities.add), host namespaces (hostNetwork=true), hostPath volumes"
    ' (volume "a"), hostPort (containers "app", "side" use hostPorts 443, 80, 8080, 9),'
    ' privileged (container "app" must not set securityContext.privileged=true)'
)


def test_spec_example_restricted_latest() -> None:
    violations = evaluate(Level.RESTRICTED, LATEST, {}, EMPTY_APP)
    assert forbidden_detail(violations) == EMPTY_APP_DETAIL
    assert forbidden_reason(violations) == (
        "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true,"
        " seccompProfile"
    )


def test_spec_example_baseline_v1_24() -> None:
    violations = evaluate(Level.BASELINE, v1(24), {}, BASELINE_POD)
    assert forbidden_detail(violations) == BASELINE_DETAIL
    assert [v.check for v in violations] == [
        "capabilities_baseline",
        "hostNamespaces",
        "hostPathVolumes",
        "hostPorts",
        "privileged",
    ]


def test_user_visible_forms() -> None:
    violations = evaluate(Level.RESTRICTED, LATEST, {}, EMPTY_APP)
    lv = LevelVersion(Level.RESTRICTED, LATEST)
    assert enforce_message(lv, violations) == (
        f'violates PodSecurity "restricted:latest": {EMPTY_APP_DETAIL}'
    )
    assert forbidden_message("x", lv, violations) == (
        f'pods "x" is forbidden: violates PodSecurity "restricted:latest": {EMPTY_APP_DETAIL}'
    )
    assert forbidden_message("", lv, violations) == (
        f'pods is forbidden: violates PodSecurity "restricted:latest": {EMPTY_APP_DETAIL}'
    )
    warning = f'would violate PodSecurity "restricted:latest": {EMPTY_APP_DETAIL}'
    assert warning_message(lv, violations) == warning
    assert warning_messages(lv, violations) == (warning,)
    assert warning_messages(lv, ()) == ()
    assert audit_annotation(lv, violations) == {"audit-violations": warning}
    assert audit_annotation(lv, ()) == {}


def test_requested_version_is_kept_in_messages() -> None:
    violations = evaluate(Level.BASELINE, v1(99), {}, {"hostPID": True})
    lv = LevelVersion(Level.BASELINE, v1(99))
    assert str(lv) == "baseline:v1.99"
    assert enforce_message(lv, violations) == (
        'violates PodSecurity "baseline:v1.99": host namespaces (hostPID=true)'
    )


def test_empty_reason_and_detail_rendering() -> None:
    violations = (Violation("x", "", ""), Violation("y", "r", ""), Violation("z", "s", "d"))
    assert forbidden_reason(violations) == "unknown forbidden reason, r, s"
    assert forbidden_detail(violations) == "unknown forbidden reason, r, s (d)"
