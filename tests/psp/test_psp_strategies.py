"""Each PSP strategy: mutation and validation, asserting upstream's exact paths and texts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.psp_helpers import RUN_AS_ANY, admit, container, errors_of, pod, policy

C0 = "spec.containers[0].securityContext"

CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    # runAsUser
    (
        "runAsUser MustRunAs out of range",
        policy(
            runAsUser={
                "rule": "MustRunAs",
                "ranges": [{"min": 100, "max": 200}, {"min": 300, "max": 400}],
            }
        ),
        pod(container(runAsUser=5)),
        [f"{C0}.runAsUser: Invalid value: 5: must be in the ranges: [{{100 200}} {{300 400}}]"],
    ),
    (
        "runAsUser MustRunAs pod-level value satisfies containers",
        policy(runAsUser={"rule": "MustRunAs", "ranges": [{"min": 100, "max": 200}]}),
        pod(container(), securityContext={"runAsUser": 150}),
        [],
    ),
    (
        "runAsUser MustRunAsNonRoot with root uid",
        policy(runAsUser={"rule": "MustRunAsNonRoot"}),
        pod(container(runAsUser=0)),
        [f"{C0}.runAsUser: Invalid value: 0: running with the root UID is forbidden"],
    ),
    (
        "runAsUser MustRunAsNonRoot with runAsNonRoot false and a non-zero uid",
        policy(runAsUser={"rule": "MustRunAsNonRoot"}),
        pod(container(runAsNonRoot=False, runAsUser=5)),
        [f"{C0}.runAsNonRoot: Invalid value: false: must be true"],
    ),
    (
        "runAsUser MustRunAsNonRoot with a uid suppresses the default and passes",
        policy(runAsUser={"rule": "MustRunAsNonRoot"}),
        pod(container(runAsUser=1000)),
        [],
    ),
    # runAsGroup
    (
        "runAsGroup MustRunAs out of range, reported at the securityContext",
        policy(runAsGroup={"rule": "MustRunAs", "ranges": [{"min": 1, "max": 10}]}),
        pod(container(runAsGroup=50)),
        [f"{C0}: Invalid value: []int64{{50}}: group 50 must be in the ranges: [{{1 10}}]"],
    ),
    (
        "runAsGroup MayRunAs leaves an unset group alone",
        policy(runAsGroup={"rule": "MayRunAs", "ranges": [{"min": 1, "max": 10}]}),
        pod(container()),
        [],
    ),
    (
        "runAsGroup MayRunAs checks a set group",
        policy(runAsGroup={"rule": "MayRunAs", "ranges": [{"min": 1, "max": 10}]}),
        pod(container(runAsGroup=0)),
        [f"{C0}: Invalid value: []int64{{0}}: group 0 must be in the ranges: [{{1 10}}]"],
    ),
    # fsGroup / supplementalGroups
    (
        "fsGroup MustRunAs out of range",
        policy(fsGroup={"rule": "MustRunAs", "ranges": [{"min": 1, "max": 5}]}),
        pod(container(), securityContext={"fsGroup": 9}),
        [
            "spec.securityContext.fsGroup: Invalid value: []int64{9}: group 9 must be in the ranges: [{1 5}]"
        ],
    ),
    (
        "supplementalGroups MustRunAs with an explicit empty list is not defaulted",
        policy(supplementalGroups={"rule": "MustRunAs", "ranges": [{"min": 1, "max": 5}]}),
        pod(container(), securityContext={"supplementalGroups": []}),
        [
            "spec.securityContext.supplementalGroups: Invalid value: []int64{}: unable to validate empty "
            "groups against required ranges"
        ],
    ),
    (
        "supplementalGroups MayRunAs one error per group with the whole list",
        policy(supplementalGroups={"rule": "MayRunAs", "ranges": [{"min": 1, "max": 5}]}),
        pod(container(), securityContext={"supplementalGroups": [2, 7, 8]}),
        [
            "spec.securityContext.supplementalGroups: Invalid value: []int64{2, 7, 8}: group 7 must be "
            "in the ranges: [{1 5}]",
            "spec.securityContext.supplementalGroups: Invalid value: []int64{2, 7, 8}: group 8 must be "
            "in the ranges: [{1 5}]",
        ],
    ),
    # seLinux
    (
        "seLinux MustRunAs mismatching level and type (pod and container)",
        policy(seLinux={"rule": "MustRunAs", "seLinuxOptions": {"level": "s0:c1,c2", "type": "t"}}),
        pod(
            container(seLinuxOptions={"level": "s0:c2,c1", "type": "x"}),
            securityContext={"seLinuxOptions": {"level": "s1:c1", "type": "t"}},
        ),
        [
            'spec.securityContext.seLinuxOptions.level: Invalid value: "s1:c1": must be s0:c1,c2',
            f'{C0}.seLinuxOptions.type: Invalid value: "x": must be t',
        ],
    ),
    (
        "seLinux MustRunAs user must be empty when the policy leaves it empty",
        policy(seLinux={"rule": "MustRunAs", "seLinuxOptions": {"level": "s0"}}),
        pod(container(), securityContext={"seLinuxOptions": {"level": "s0", "user": "u"}}),
        [
            'spec.securityContext.seLinuxOptions.user: Invalid value: "u": must be ',
            f'{C0}.seLinuxOptions.user: Invalid value: "u": must be ',
        ],
    ),
    (
        "seLinux categories compare as sorted lists, duplicates matter",
        policy(seLinux={"rule": "MustRunAs", "seLinuxOptions": {"level": "s0:c1"}}),
        pod(container(), securityContext={"seLinuxOptions": {"level": "s0:c1,c1"}}),
        [
            'spec.securityContext.seLinuxOptions.level: Invalid value: "s0:c1,c1": must be s0:c1',
            f'{C0}.seLinuxOptions.level: Invalid value: "s0:c1,c1": must be s0:c1',
        ],
    ),
    # privileged, procMount
    (
        "privileged container",
        policy(),
        pod(container(privileged=True)),
        [f"{C0}.privileged: Invalid value: true: Privileged containers are not allowed"],
    ),
    ("explicit privileged false is fine", policy(), pod(container(privileged=False)), []),
    (
        "procMount Unmasked needs allowedProcMountTypes",
        policy(),
        pod(container(procMount="Unmasked")),
        [f'{C0}.procMount: Invalid value: "Unmasked": ProcMountType is not allowed'],
    ),
    (
        "procMount Unmasked allowed",
        policy(allowedProcMountTypes=["Unmasked"]),
        pod(container(procMount="Unmasked")),
        [],
    ),
    # capabilities
    (
        "capability not allowed",
        policy(allowedCapabilities=["CHOWN"]),
        pod(container(capabilities={"add": ["NET_ADMIN", "CHOWN"]})),
        [f'{C0}.capabilities.add: Invalid value: "NET_ADMIN": capability may not be added'],
    ),
    (
        "capability wildcard",
        policy(allowedCapabilities=["*"]),
        pod(container(capabilities={"add": ["SYS_ADMIN"]})),
        [],
    ),
    (
        "adding a required-drop capability fails as an add",
        policy(requiredDropCapabilities=["NET_RAW"]),
        pod(container(capabilities={"add": ["NET_RAW"]})),
        [f'{C0}.capabilities.add: Invalid value: "NET_RAW": capability may not be added'],
    ),
    # host namespaces and ports
    (
        "host namespaces",
        policy(),
        pod(container(), hostNetwork=True, hostPID=True, hostIPC=True),
        [
            "spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used",
            "spec.securityContext.hostPID: Invalid value: true: Host PID is not allowed to be used",
            "spec.securityContext.hostIPC: Invalid value: true: Host IPC is not allowed to be used",
        ],
    ),
    (
        "host port outside the ranges",
        policy(hostPorts=[{"min": 80, "max": 80}, {"min": 8000, "max": 9000}]),
        pod({"name": "c", "image": "i", "ports": [{"containerPort": 1, "hostPort": 7000}]}),
        [
            "spec.containers[0].hostPort: Invalid value: 7000: Host port 7000 is not allowed to be used. "
            "Allowed ports: [80,8000-9000]"
        ],
    ),
    (
        "host port with no ranges",
        policy(),
        pod({"name": "c", "image": "i", "ports": [{"containerPort": 1, "hostPort": 80}]}),
        [
            "spec.containers[0].hostPort: Invalid value: 80: Host port 80 is not allowed to be used. "
            "Allowed ports: []"
        ],
    ),
    # sysctls
    (
        "sysctls: forbidden, safe, allowed unsafe, unsafe",
        policy(forbiddenSysctls=["kernel.msg*"], allowedUnsafeSysctls=["net.core.somaxconn"]),
        pod(
            container(),
            securityContext={
                "sysctls": [
                    {"name": "kernel.msgmax", "value": "1"},
                    {"name": "kernel.shm_rmid_forced", "value": "1"},
                    {"name": "net.core.somaxconn", "value": "1"},
                    {"name": "kernel.sem", "value": "1"},
                ]
            },
        ),
        [
            'pod.spec.securityContext.sysctls[0]: Forbidden: sysctl "kernel.msgmax" is not allowed',
            'pod.spec.securityContext.sysctls[3]: Forbidden: unsafe sysctl "kernel.sem" is not allowed',
        ],
    ),
    # volumes
    (
        "volume type not allowed",
        policy(volumes=["secret"]),
        pod(container(), volumes=[{"name": "v", "emptyDir": {}}]),
        ['spec.volumes[0]: Invalid value: "emptyDir": emptyDir volumes are not allowed to be used'],
    ),
    (
        "empty volumes list allows no volume at all",
        policy(),
        pod(container(), volumes=[{"name": "s", "secret": {"secretName": "x"}}]),
        ['spec.volumes[0]: Invalid value: "secret": secret volumes are not allowed to be used'],
    ),
    (
        "host path not allowed",
        policy(volumes=["hostPath"], allowedHostPaths=[{"pathPrefix": "/foo"}]),
        pod(container(), volumes=[{"name": "h", "hostPath": {"path": "/foobar"}}]),
        [
            'spec.volumes[0].hostPath.pathPrefix: Invalid value: "/foobar": is not allowed to be used'
        ],
    ),
    (
        "host path read-only mount required",
        policy(volumes=["hostPath"], allowedHostPaths=[{"pathPrefix": "/foo/", "readOnly": True}]),
        pod(
            {
                "name": "c",
                "image": "i",
                "volumeMounts": [
                    {"name": "h", "mountPath": "/a"},
                    {"name": "h", "mountPath": "/b", "readOnly": True},
                ],
            },
            initContainers=[
                {"name": "i", "image": "i", "volumeMounts": [{"name": "h", "mountPath": "/a"}]}
            ],
            volumes=[{"name": "h", "hostPath": {"path": "/foo/bar"}}],
        ),
        [
            "spec.initContainers[0].volumeMounts[0].readOnly: Invalid value: false: must be read-only",
            "spec.containers[0].volumeMounts[0].readOnly: Invalid value: false: must be read-only",
        ],
    ),
    (
        "any matching read-write host path entry wins",
        policy(
            volumes=["hostPath"],
            allowedHostPaths=[{"pathPrefix": "/foo/bar", "readOnly": True}, {"pathPrefix": "/foo"}],
        ),
        pod(
            {"name": "c", "image": "i", "volumeMounts": [{"name": "h", "mountPath": "/a"}]},
            volumes=[{"name": "h", "hostPath": {"path": "/foo/bar/x"}}],
        ),
        [],
    ),
    (
        "flex driver not allowed",
        policy(volumes=["flexVolume"], allowedFlexVolumes=[{"driver": "a/b"}]),
        pod(container(), volumes=[{"name": "f", "flexVolume": {"driver": "c/d"}}]),
        [
            'spec.volumes[0].driver: Invalid value: "c/d": Flexvolume driver is not allowed to be used'
        ],
    ),
    (
        "inline CSI driver not allowed",
        policy(volumes=["csi"], allowedCSIDrivers=[{"name": "a.example.com"}]),
        pod(container(), volumes=[{"name": "f", "csi": {"driver": "b.example.com"}}]),
        [
            'spec.volumes[0].csi.driver: Invalid value: "b.example.com": Inline CSI driver is not '
            "allowed to be used"
        ],
    ),
    # runtime class
    (
        "runtime class not allowed",
        policy(runtimeClass={"allowedRuntimeClassNames": ["gvisor"]}),
        pod(container(), runtimeClassName="kata"),
        ['spec.runtimeClassName: Invalid value: "kata"'],
    ),
    # readOnlyRootFilesystem, allowPrivilegeEscalation
    (
        "explicit readOnlyRootFilesystem false is never overridden",
        policy(readOnlyRootFilesystem=True),
        pod(container(readOnlyRootFilesystem=False)),
        [
            f"{C0}.readOnlyRootFilesystem: Invalid value: false: ReadOnlyRootFilesystem must be set to true"
        ],
    ),
    (
        "explicit allowPrivilegeEscalation true",
        policy(allowPrivilegeEscalation=False),
        pod(container(allowPrivilegeEscalation=True)),
        [
            f"{C0}.allowPrivilegeEscalation: Invalid value: true: Allowing privilege escalation for "
            "containers is not allowed"
        ],
    ),
    # seccomp
    (
        "seccomp may not be set",
        policy(),
        pod(
            container(), annotations={"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}
        ),
        [
            "pod.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Forbidden: seccomp may "
            "not be set",
            "pod.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/c]: Forbidden: "
            "seccomp may not be set",
        ],
    ),
    (
        "seccomp field profile not in the allowed list",
        policy(
            annotations={
                "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default"
            }
        ),
        pod(container(seccompProfile={"type": "Unconfined"})),
        [
            "pod.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Forbidden:  is not an "
            "allowed seccomp profile. Valid values are runtime/default",
            "pod.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/c]: Forbidden: "
            "unconfined is not an allowed seccomp profile. Valid values are runtime/default",
        ],
    ),
    (
        "seccomp empty profile with an allowed list: double space",
        policy(
            annotations={
                "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default"
            }
        ),
        pod(container()),
        [
            "pod.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Forbidden:  is not an "
            "allowed seccomp profile. Valid values are runtime/default",
            "pod.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/c]: Forbidden:  is "
            "not an allowed seccomp profile. Valid values are runtime/default",
        ],
    ),
    (
        "seccomp docker/default and runtime/default are interchangeable",
        policy(
            annotations={
                "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "docker/default"
            }
        ),
        pod(
            container(), annotations={"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}
        ),
        [],
    ),
    # AppArmor
    (
        "apparmor profile not allowed",
        policy(
            annotations={
                "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default"
            }
        ),
        pod(
            container(),
            annotations={"container.apparmor.security.beta.kubernetes.io/c": "unconfined"},
        ),
        [
            "pod.metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: Forbidden: "
            'unconfined is not an allowed profile. Allowed values: "runtime/default"'
        ],
    ),
    (
        "apparmor profile must be set",
        policy(
            annotations={
                "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default"
            }
        ),
        pod(container()),
        [
            "pod.metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: Forbidden: "
            "AppArmor profile must be set"
        ],
    ),
]


@pytest.mark.parametrize(("pol", "p", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validation_texts(pol: dict[str, Any], p: dict[str, Any], want: list[str]) -> None:
    assert errors_of(pol, p) == want


def _admitted(pol: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    d = admit([pol], p)
    assert d.allowed, d.message
    return dict(d.object)


def _sc(obj: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return dict(obj["spec"]["containers"][i].get("securityContext", {}))


def test_defaults_fill_container_fields() -> None:
    pol = policy(
        runAsUser={"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]},
        runAsGroup={"rule": "MustRunAs", "ranges": [{"min": 3000, "max": 4000}]},
        readOnlyRootFilesystem=True,
        allowPrivilegeEscalation=False,
        defaultAddCapabilities=["CHOWN"],
        requiredDropCapabilities=["NET_RAW", "ALL"],
    )
    sc = _sc(_admitted(pol, pod(container())))
    assert sc == {
        "runAsUser": 1000,
        "runAsGroup": 3000,
        "capabilities": {"add": ["CHOWN"], "drop": ["ALL", "NET_RAW"]},
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
    }


def test_pod_level_values_are_not_copied_into_containers() -> None:
    pol = policy(runAsUser={"rule": "MustRunAs", "ranges": [{"min": 1, "max": 2000}]})
    out = _admitted(pol, pod(container(), securityContext={"runAsUser": 1500}))
    assert "securityContext" not in out["spec"]["containers"][0]


def test_capabilities_keep_order_when_nothing_is_added() -> None:
    pol = policy(requiredDropCapabilities=["NET_RAW"], allowedCapabilities=["*"])
    p = pod(container(capabilities={"add": ["b", "a"], "drop": ["NET_RAW", "ZZ", "AA"]}))
    assert _sc(_admitted(pol, p))["capabilities"] == {
        "add": ["b", "a"],
        "drop": ["NET_RAW", "ZZ", "AA"],
    }


def test_capabilities_dropping_a_default_add_suppresses_it() -> None:
    pol = policy(defaultAddCapabilities=["CHOWN"], requiredDropCapabilities=["NET_RAW"])
    p = pod(container(capabilities={"drop": ["CHOWN", "B"]}))
    assert _sc(_admitted(pol, p))["capabilities"] == {"drop": ["B", "CHOWN", "NET_RAW"]}


def test_pod_level_defaults_and_seccomp_annotation() -> None:
    pol = policy(
        annotations={
            "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
            "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
            "apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default",
        },
        fsGroup={"rule": "MustRunAs", "ranges": [{"min": 7, "max": 9}]},
        supplementalGroups={"rule": "MustRunAs", "ranges": [{"min": 5, "max": 6}]},
        seLinux={"rule": "MustRunAs", "seLinuxOptions": {"level": "s0:c1"}},
        runtimeClass={"allowedRuntimeClassNames": ["gvisor"], "defaultRuntimeClassName": "gvisor"},
    )
    out = _admitted(pol, pod(container()))
    assert out["spec"]["securityContext"] == {
        "supplementalGroups": [5],
        "fsGroup": 7,
        "seLinuxOptions": {"level": "s0:c1"},
    }
    assert out["spec"]["runtimeClassName"] == "gvisor"
    assert out["metadata"]["annotations"] == {
        "seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
        "container.apparmor.security.beta.kubernetes.io/c": "runtime/default",
        "kubernetes.io/psp": "p",
    }


def test_seccomp_pod_field_becomes_the_annotation() -> None:
    pol = policy(annotations={"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*"})
    out = _admitted(
        pol, pod(container(), securityContext={"seccompProfile": {"type": "RuntimeDefault"}})
    )
    assert (
        out["metadata"]["annotations"]["seccomp.security.alpha.kubernetes.io/pod"]
        == "runtime/default"
    )


def test_non_root_default_only_when_uid_and_flag_unset() -> None:
    pol = policy(runAsUser={"rule": "MustRunAsNonRoot"})
    out = _admitted(pol, pod(container("a"), container("b", runAsUser=7)))
    assert _sc(out, 0) == {"runAsNonRoot": True}
    assert _sc(out, 1) == {"runAsUser": 7}


def test_default_allow_privilege_escalation() -> None:
    pol = policy(defaultAllowPrivilegeEscalation=False, allowPrivilegeEscalation=True)
    out = _admitted(pol, pod(container("a"), container("b", allowPrivilegeEscalation=True)))
    assert _sc(out, 0) == {"allowPrivilegeEscalation": False}
    assert _sc(out, 1) == {"allowPrivilegeEscalation": True}


def test_ephemeral_containers_are_checked() -> None:
    p = pod(
        container(),
        ephemeralContainers=[
            {"name": "dbg", "image": "i", "securityContext": {"privileged": True}}
        ],
    )
    assert errors_of(policy(), p) == [
        "spec.ephemeralContainers[0].securityContext.privileged: Invalid value: true: "
        "Privileged containers are not allowed"
    ]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"runAsUser": {"rule": "MustRunAs"}}, "MustRunAs requires at least one range"),
        ({"runAsUser": {"rule": "Nope"}}, "Unrecognized RunAsUser strategy type Nope"),
        ({"seLinux": {"rule": "MustRunAs"}}, "MustRunAs requires SELinuxOptions"),
        ({"fsGroup": {"rule": "MayRunAs"}}, "ranges must be supplied for MayRunAs"),
        ({"supplementalGroups": {"rule": "X"}}, "Unrecognized SupplementalGroups strategy type X"),
        ({"runAsGroup": {"rule": "MustRunAs"}}, "ranges must be supplied for MustRunAs"),
    ],
)
def test_unbuildable_policies_are_skipped(bad: dict[str, Any], reason: str) -> None:
    from podgate.psp import PolicySet

    ps = PolicySet.compile([policy("broken", **bad)])
    assert [(u.name, u.reason) for u in ps.unusable] == [("broken", reason)]
    d = admit([policy("broken", **bad)], pod(container()))
    assert not d.allowed
    assert d.message == "PodSecurityPolicy: no providers available to validate pod request"


def test_run_as_any_policy_admits_plain_pod_unchanged() -> None:
    d = admit([policy(volumes=["*"])], pod(container(), volumes=[{"name": "v", "emptyDir": {}}]))
    assert d.allowed and not d.mutated and d.policy == "p"
    assert d.patch == [
        {"op": "add", "path": "/metadata/annotations", "value": {"kubernetes.io/psp": "p"}}
    ]


def test_run_as_any_is_the_default_for_run_as_group() -> None:
    assert errors_of(policy(), pod(container(runAsGroup=0))) == []
    assert RUN_AS_ANY == {"rule": "RunAsAny"}
