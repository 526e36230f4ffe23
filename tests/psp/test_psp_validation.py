"""validate_policy: every rule of the API server's PSP validation, with exact paths and texts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from podgate.k8s.field import FieldError
from podgate.psp.validation import SUPPORTED_VOLUMES, validate_policy

DNS = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    r"for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
SYSCTL = (
    "must have at most 253 characters and match regex "
    r"([a-z0-9]([-_a-z0-9]*[a-z0-9])?\.)*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]"
)
QNAME = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
VOLUMES = ", ".join(f'"{v}"' for v in SUPPORTED_VOLUMES)
AA_DEFAULT = "apparmor.security.beta.kubernetes.io/defaultProfileName"
AA_ALLOWED = "apparmor.security.beta.kubernetes.io/allowedProfileNames"
SC_DEFAULT = "seccomp.security.alpha.kubernetes.io/defaultProfileName"
SC_ALLOWED = "seccomp.security.alpha.kubernetes.io/allowedProfileNames"


def base() -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1beta1",
        "kind": "PodSecurityPolicy",
        "metadata": {"name": "foo", "annotations": {}},
        "spec": {
            "seLinux": {"rule": "RunAsAny"},
            "runAsUser": {"rule": "RunAsAny"},
            "runAsGroup": {"rule": "RunAsAny"},
            "fsGroup": {"rule": "RunAsAny"},
            "supplementalGroups": {"rule": "RunAsAny"},
            "allowedHostPaths": [{"pathPrefix": "/foo/bar"}, {"pathPrefix": "/baz/"}],
        },
    }


def with_(changes: dict[str, Any]) -> dict[str, Any]:
    """The base policy with `a.b.c: value` changes applied (value None deletes the key)."""
    obj = base()
    for path, value in changes.items():
        node = obj
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return obj


def texts(errors: list[FieldError]) -> list[str]:
    return [str(e) for e in errors]


VALID: dict[str, dict[str, Any]] = {
    "run as any": {},
    "must run as": {
        "spec.fsGroup": {"rule": "MustRunAs"},
        "spec.supplementalGroups": {"rule": "MustRunAs"},
        "spec.runAsUser": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 1}]},
        "spec.seLinux": {"rule": "MustRunAs"},
    },
    "must run as without ranges (valid object, unusable provider)": {
        "spec.runAsUser": {"rule": "MustRunAs"},
    },
    "run as non-root": {"spec.runAsUser": {"rule": "MustRunAsNonRoot"}},
    "runAsGroup omitted": {"spec.runAsGroup": None},
    "runAsGroup MayRunAs with ranges": {
        "spec.runAsGroup": {"rule": "MayRunAs", "ranges": [{"min": 1, "max": 5}]}
    },
    "add/drop comparison is case sensitive": {
        "spec.defaultAddCapabilities": ["foo"],
        "spec.requiredDropCapabilities": ["FOO"],
        "spec.allowedCapabilities": ["foo"],
    },
    "valid AppArmor annotations": {
        "metadata.annotations": {
            AA_DEFAULT: "runtime/default",
            AA_ALLOWED: "runtime/default,localhost/foo,,unconfined",
        }
    },
    "valid seccomp annotations": {
        "metadata.annotations": {
            SC_DEFAULT: "runtime/default",
            SC_ALLOWED: "runtime/default,unconfined,localhost/foo,*,docker/default",
        }
    },
    "empty annotation values are not checked": {
        "metadata.annotations": {AA_DEFAULT: "", SC_DEFAULT: "", SC_ALLOWED: ""}
    },
    "forbidden sysctl pattern": {"spec.forbiddenSysctls": ["net.*"]},
    "allowed unsafe sysctl": {"spec.allowedUnsafeSysctls": ["net.ipv4.tcp_max_syn_backlog"]},
    "sysctl wildcard alone": {"spec.allowedUnsafeSysctls": ["*"]},
    "defaultAllowPrivilegeEscalation with allowPrivilegeEscalation": {
        "spec.defaultAllowPrivilegeEscalation": True,
        "spec.allowPrivilegeEscalation": True,
    },
    "flex volume drivers": {
        "spec.volumes": ["flexVolume"],
        "spec.allowedFlexVolumes": [{"driver": "example/driver1"}],
    },
    "proc mount types": {"spec.allowedProcMountTypes": ["Default", "Unmasked"]},
    "CSI drivers (uppercase is lowercased first)": {
        "spec.volumes": ["csi"],
        "spec.allowedCSIDrivers": [{"name": "foo"}, {"name": "Csi.Example.COM"}],
    },
    "every volume type": {"spec.volumes": list(SUPPORTED_VOLUMES)},
    "hostPorts are not validated": {"spec.hostPorts": [{"min": 9000, "max": 80}]},
    "runtimeClass empty": {"spec.runtimeClass": {}},
    "runtimeClass allow all with default": {
        "spec.runtimeClass": {"allowedRuntimeClassNames": ["*"], "defaultRuntimeClassName": "x"}
    },
    "runtimeClass explicit": {
        "spec.runtimeClass": {
            "allowedRuntimeClassNames": ["foo", "native", "sandboxed"],
            "defaultRuntimeClassName": "native",
        }
    },
    "generateName only": {"metadata.name": None, "metadata.generateName": "foo-"},
    "namespace is cleared on cluster-scoped objects, not an error": {"metadata.namespace": "x"},
    "null values read as unset": {"spec.privileged": None, "spec.volumes": None},
    "labels": {"metadata.labels": {"app.kubernetes.io/name": "psp", "empty": ""}},
    "YAML integral floats decode as integers": {
        "spec.fsGroup": {"rule": "MustRunAs", "ranges": [{"min": 1.0, "max": 2.0}]}
    },
}


@pytest.mark.parametrize("changes", VALID.values(), ids=list(VALID))
def test_valid(changes: dict[str, Any]) -> None:
    assert texts(validate_policy(with_(changes))) == []


INVALID: dict[str, tuple[dict[str, Any], list[str]]] = {
    "missing name": (
        {"metadata.name": None},
        ["metadata.name: Required value: name or generateName is required"],
    ),
    "name not a DNS subdomain": (
        {"metadata.name": "Bad_Name"},
        [f'metadata.name: Invalid value: "Bad_Name": {DNS}'],
    ),
    "name too long": (
        {"metadata.name": "a" * 254},
        [f'metadata.name: Invalid value: "{"a" * 254}": must be no more than 253 characters'],
    ),
    "generateName with a bad prefix": (
        {"metadata.name": None, "metadata.generateName": "Foo-"},
        [f'metadata.generateName: Invalid value: "Foo-": {DNS}'],
    ),
    "negative generation": (
        {"metadata.generation": -1},
        ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"],
    ),
    "bad label key and value": (
        {"metadata.labels": {"a b": "c d"}},
        [
            f'metadata.labels: Invalid value: "a b": name part {QNAME}',
            f'metadata.labels: Invalid value: "c d": {LABEL_VALUE}',
        ],
    ),
    "bad annotation key": (
        {"metadata.annotations": {"a/b/c": "x", "/x": "y"}},
        [
            'metadata.annotations: Invalid value: "/x": prefix part must be non-empty',
            'metadata.annotations: Invalid value: "a/b/c": a qualified name '
            + QNAME
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
        ],
    ),
    "annotations too large": (
        {"metadata.annotations": {"big": "x" * (256 * 1024)}},
        ["metadata.annotations: Too long: must have at most 262144 bytes"],
    ),
    "no user rule": (
        {"spec.runAsUser": {"rule": ""}},
        [
            'spec.runAsUser.rule: Unsupported value: "": supported values: "MustRunAs", '
            '"MustRunAsNonRoot", "RunAsAny"'
        ],
    ),
    "runAsUser missing": (
        {"spec.runAsUser": None},
        [
            'spec.runAsUser.rule: Unsupported value: "": supported values: "MustRunAs", '
            '"MustRunAsNonRoot", "RunAsAny"'
        ],
    ),
    "invalid user rule": (
        {"spec.runAsUser": {"rule": "invalid"}},
        [
            'spec.runAsUser.rule: Unsupported value: "invalid": supported values: "MustRunAs", '
            '"MustRunAsNonRoot", "RunAsAny"'
        ],
    ),
    "no group rule": (
        {"spec.runAsGroup": {"rule": ""}},
        [
            'spec.runAsGroup.rule: Unsupported value: "": supported values: "MustRunAs", '
            '"RunAsAny", "MayRunAs"'
        ],
    ),
    "invalid group rule": (
        {"spec.runAsGroup": {"rule": "invalid"}},
        [
            'spec.runAsGroup.rule: Unsupported value: "invalid": supported values: '
            '"MustRunAs", "RunAsAny", "MayRunAs"'
        ],
    ),
    "runAsGroup RunAsAny with ranges": (
        {"spec.runAsGroup": {"rule": "RunAsAny", "ranges": [{"min": 1, "max": 2}]}},
        [
            "spec.runAsGroup.ranges: Invalid value: []policy.IDRange{policy.IDRange{Min:1, "
            "Max:2}}: Ranges must be empty"
        ],
    ),
    "runAsGroup MustRunAs without ranges": (
        {"spec.runAsGroup": {"rule": "MustRunAs"}},
        [
            "spec.runAsGroup.ranges: Invalid value: []policy.IDRange(nil): must provide at "
            "least one range"
        ],
    ),
    "runAsGroup MayRunAs with an empty list": (
        {"spec.runAsGroup": {"rule": "MayRunAs", "ranges": []}},
        [
            "spec.runAsGroup.ranges: Invalid value: []policy.IDRange{}: must "
            "provide at least one range"
        ],
    ),
    "no selinux rule": (
        {"spec.seLinux": {"rule": ""}},
        ['spec.seLinux.rule: Unsupported value: "": supported values: "MustRunAs", "RunAsAny"'],
    ),
    "invalid selinux rule": (
        {"spec.seLinux": {"rule": "invalid"}},
        [
            'spec.seLinux.rule: Unsupported value: "invalid": supported values: "MustRunAs", '
            '"RunAsAny"'
        ],
    ),
    "no fsGroup rule": (
        {"spec.fsGroup": {}},
        [
            'spec.fsGroup.rule: Unsupported value: "": supported values: "MayRunAs", '
            '"MustRunAs", "RunAsAny"'
        ],
    ),
    "invalid supplementalGroups rule": (
        {"spec.supplementalGroups": {"rule": "invalid"}},
        [
            'spec.supplementalGroups.rule: Unsupported value: "invalid": supported values: '
            '"MayRunAs", "MustRunAs", "RunAsAny"'
        ],
    ),
    "uid range negative min": (
        {"spec.runAsUser": {"rule": "MustRunAs", "ranges": [{"min": -1, "max": 1}]}},
        ["spec.runAsUser.ranges[0].min: Invalid value: -1: min cannot be negative"],
    ),
    "gid range negative min": (
        {"spec.runAsGroup": {"rule": "MustRunAs", "ranges": [{"min": -1, "max": 1}]}},
        ["spec.runAsGroup.ranges[0].min: Invalid value: -1: min cannot be negative"],
    ),
    "range min greater than max": (
        {"spec.fsGroup": {"rule": "RunAsAny", "ranges": [{"min": 5, "max": 1}]}},
        ["spec.fsGroup.ranges[0].min: Invalid value: 5: min cannot be greater than max"],
    ),
    "range negative max (and min above it)": (
        {"spec.supplementalGroups": {"rule": "MayRunAs", "ranges": [{}, {"min": 1, "max": -10}]}},
        [
            "spec.supplementalGroups.ranges[1].max: Invalid value: -10: max cannot be negative",
            "spec.supplementalGroups.ranges[1].min: Invalid value: 1: "
            "min cannot be greater than max",
        ],
    ),
    "volumes: none": (
        {"spec.volumes": ["configMap", "none"]},
        [f'spec.volumes: Unsupported value: "none": supported values: {VOLUMES}'],
    ),
    "wildcard allowed caps and required drops": (
        {"spec.requiredDropCapabilities": ["foo", "BAR"], "spec.allowedCapabilities": ["*"]},
        [
            'requiredDropCapabilities: Invalid value: []core.Capability{"foo", "BAR"}: must be '
            "empty when all capabilities are allowed by a wildcard"
        ],
    ),
    "default add listed in required drop": (
        {"spec.defaultAddCapabilities": ["foo"], "spec.requiredDropCapabilities": ["foo"]},
        [
            'defaultAddCapabilities: Invalid value: "foo": capability is listed in '
            "defaultAddCapabilities and requiredDropCapabilities"
        ],
    ),
    "allowed cap listed in required drop": (
        {"spec.allowedCapabilities": ["a", "foo"], "spec.requiredDropCapabilities": ["foo"]},
        [
            'allowedCapabilities: Invalid value: "foo": capability is listed in '
            "allowedCapabilities and requiredDropCapabilities"
        ],
    ),
    "AppArmor default profile": (
        {"metadata.annotations": {AA_DEFAULT: "not-good"}},
        [
            f'metadata.annotations[{AA_DEFAULT}]: Invalid value: "not-good": invalid AppArmor '
            'profile name: "not-good"'
        ],
    ),
    "AppArmor allowed profiles: value is the whole annotation": (
        {"metadata.annotations": {AA_ALLOWED: "runtime/default,not-good, unconfined"}},
        [
            f'metadata.annotations[{AA_ALLOWED}]: Invalid value: "runtime/default,not-good, '
            'unconfined": invalid AppArmor profile name: "not-good"',
            f'metadata.annotations[{AA_ALLOWED}]: Invalid value: "runtime/default,not-good, '
            'unconfined": invalid AppArmor profile name: " unconfined"',
        ],
    ),
    "seccomp default profile": (
        {"metadata.annotations": {SC_DEFAULT: "not-good"}},
        [
            f'metadata.annotations[{SC_DEFAULT}]: Invalid value: "not-good": must '
            "be a valid seccomp profile"
        ],
    ),
    "seccomp default profile '*'": (
        {"metadata.annotations": {SC_DEFAULT: "*"}},
        [
            f'metadata.annotations[{SC_DEFAULT}]: Invalid value: "*": must be a '
            "valid seccomp profile"
        ],
    ),
    "seccomp allowed profiles: no trimming, localhost paths": (
        {
            "metadata.annotations": {
                SC_ALLOWED: "runtime/default, docker/default,localhost//abs,localhost/a/../b,"
            }
        },
        [
            f'metadata.annotations[{SC_ALLOWED}]: Invalid value: " docker/default": must be a '
            "valid seccomp profile",
            f'metadata.annotations[{SC_ALLOWED}]: Invalid value: "/abs": must be a relative path',
            f"metadata.annotations[{SC_ALLOWED}]: Invalid value: \"a/../b\": must not contain '..'",
            f'metadata.annotations[{SC_ALLOWED}]: Invalid value: "": '
            "must be a valid seccomp profile",
        ],
    ),
    "defaultAllowPrivilegeEscalation without allowPrivilegeEscalation": (
        {"spec.defaultAllowPrivilegeEscalation": True},
        [
            "spec.defaultAllowPrivilegeEscalation: Invalid value: true: Cannot set "
            "DefaultAllowPrivilegeEscalation to true without also setting AllowPrivilegeEscalation "
            "to true"
        ],
    ),
    "proc mount type": (
        {"spec.allowedProcMountTypes": ["Default", "bogus"]},
        [
            'spec.allowedProcMountTypes[1]: Unsupported value: "bogus": supported values: '
            '"Default", "Unmasked"'
        ],
    ),
    "host path: empty prefix stops the list": (
        {"spec.allowedHostPaths": [{"pathPrefix": "/a/.."}, {}, {"pathPrefix": "/b/../c"}]},
        [
            "spec.allowedHostPaths[0]: Invalid value: \"/a/..\": must not contain '..'",
            "spec.allowedHostPaths[1]: Required value: is required",
        ],
    ),
    "flex volume without a driver: doubled path": (
        {"spec.volumes": ["flexVolume"], "spec.allowedFlexVolumes": [{"driver": "x"}, {}]},
        [
            "spec.allowedFlexVolumes.allowedFlexVolumes[1].driver: Required value: "
            "must specify a driver"
        ],
    ),
    "CSI driver without a name: doubled singular path": (
        {"spec.allowedCSIDrivers": [{}]},
        [
            "spec.allowedCSIDrivers.allowedCSIDriver[0].name: Required value",
            f'spec.allowedCSIDrivers.allowedCSIDriver[0].name: Invalid value: "": {DNS}',
        ],
    ),
    "CSI driver name too long": (
        {"spec.allowedCSIDrivers": [{"name": "a" * 64}]},
        ["spec.allowedCSIDrivers.allowedCSIDriver[0].name: Too long: must have at most 63 bytes"],
    ),
    "CSI driver name not a subdomain": (
        {"spec.allowedCSIDrivers": [{"name": "foo_bar"}]},
        [f'spec.allowedCSIDrivers.allowedCSIDriver[0].name: Invalid value: "foo_bar": {DNS}'],
    ),
    "sysctls: empty and bad patterns": (
        {"spec.allowedUnsafeSysctls": ["", "a.*.b"], "spec.forbiddenSysctls": ["Abc"]},
        [
            'spec.allowedUnsafeSysctls[0]: Invalid value: "": empty sysctl not allowed',
            f'spec.allowedUnsafeSysctls[1]: Invalid value: "a.*.b": {SYSCTL}',
            f'spec.forbiddenSysctls[0]: Invalid value: "Abc": {SYSCTL}',
        ],
    ),
    "sysctl too long": (
        {"spec.forbiddenSysctls": ["a" * 254]},
        [f'spec.forbiddenSysctls[0]: Invalid value: "{"a" * 254}": {SYSCTL}'],
    ),
    "sysctl '*' with others": (
        {"spec.forbiddenSysctls": ["*", "net.x"]},
        [
            "spec.forbiddenSysctls.items: Forbidden: if '*' is present, must not "
            "specify other sysctls"
        ],
    ),
    "overlapping sysctls (upstream test)": (
        {
            "spec.forbiddenSysctls": ["kernel.*", "net.ipv4.ip_local_port_range"],
            "spec.allowedUnsafeSysctls": ["kernel.shmmax", "net.ipv4.ip_local_port_range"],
        },
        [
            'spec.allowedUnsafeSysctls[0]: Invalid value: "kernel.shmmax": sysctl overlaps with '
            "kernel.*",
            'spec.allowedUnsafeSysctls[1]: Invalid value: "net.ipv4.ip_local_port_range": sysctl '
            "overlaps with net.ipv4.ip_local_port_range",
        ],
    ),
    "overlapping patterns both ways": (
        {
            "spec.allowedUnsafeSysctls": ["net.*", "kernel.shm*"],
            "spec.forbiddenSysctls": ["net.ipv4.*", "kernel.*"],
        },
        [
            'spec.forbiddenSysctls[0]: Invalid value: "net.ipv4.*": sysctl overlaps with net.*',
            'spec.allowedUnsafeSysctls[1]: Invalid value: "kernel.shm*": sysctl overlaps with '
            "kernel.*",
        ],
    ),
    "allowed pattern covers a forbidden name": (
        {"spec.allowedUnsafeSysctls": ["net.*"], "spec.forbiddenSysctls": ["net.core.x"]},
        ['spec.forbiddenSysctls[0]: Invalid value: "net.core.x": sysctl overlaps with net.*'],
    ),
    "runtimeClass: bad name, duplicate": (
        {"spec.runtimeClass": {"allowedRuntimeClassNames": ["native", "foo*", "native"]}},
        [
            f'spec.runtimeClass.allowedRuntimeClassNames[1]: Invalid value: "foo*": {DNS}',
            'spec.runtimeClass.allowedRuntimeClassNames[2]: Duplicate value: "native"',
        ],
    ),
    "runtimeClass: default not allowed": (
        {"spec.runtimeClass": {"defaultRuntimeClassName": "foo bar"}},
        [
            f'spec.runtimeClass.defaultRuntimeClassName: Invalid value: "foo bar": {DNS}',
            'spec.runtimeClass.allowedRuntimeClassNames: Required value: default "foo bar" must '
            "be allowed",
        ],
    ),
    "runtimeClass: '*' with others": (
        {"spec.runtimeClass": {"allowedRuntimeClassNames": ["*", "sandboxed"]}},
        [
            'spec.runtimeClass.allowedRuntimeClassNames: Invalid value: []string{"*", '
            "\"sandboxed\"}: if '*' is present, must not specify other RuntimeClass names"
        ],
    ),
}


@pytest.mark.parametrize(("changes", "want"), INVALID.values(), ids=list(INVALID))
def test_invalid(changes: dict[str, Any], want: list[str]) -> None:
    assert texts(validate_policy(with_(changes))) == want


def test_fields_are_upstream_paths() -> None:
    errs = validate_policy(
        with_({"spec.defaultAddCapabilities": ["x"], "spec.requiredDropCapabilities": ["x"]})
    )
    assert [(e.type, e.field) for e in errs] == [("Invalid value", "defaultAddCapabilities")]


def test_errors_come_in_upstream_order() -> None:
    policy = with_(
        {
            "metadata.name": "Bad",
            "metadata.annotations": {AA_DEFAULT: "x"},
            "spec.runtimeClass": {"allowedRuntimeClassNames": ["*", "a"]},
            "spec.forbiddenSysctls": [""],
            "spec.allowedCSIDrivers": [{}],
            "spec.allowedFlexVolumes": [{}],
            "spec.allowedHostPaths": [{}],
            "spec.allowedProcMountTypes": ["x"],
            "spec.defaultAllowPrivilegeEscalation": True,
            "spec.requiredDropCapabilities": ["A"],
            "spec.allowedCapabilities": ["*", "A"],
            "spec.defaultAddCapabilities": ["A"],
            "spec.volumes": ["x"],
            "spec.fsGroup": {"rule": "x"},
            "spec.supplementalGroups": {"rule": "x"},
            "spec.seLinux": {"rule": "x"},
            "spec.runAsGroup": {"rule": "x"},
            "spec.runAsUser": {"rule": "x"},
        }
    )
    assert [e.field for e in validate_policy(policy)] == [
        "metadata.name",
        f"metadata.annotations[{AA_DEFAULT}]",
        "spec.runAsUser.rule",
        "spec.runAsGroup.rule",
        "spec.seLinux.rule",
        "spec.supplementalGroups.rule",
        "spec.fsGroup.rule",
        "spec.volumes",
        "requiredDropCapabilities",
        "defaultAddCapabilities",
        "allowedCapabilities",
        "spec.defaultAllowPrivilegeEscalation",
        "spec.allowedProcMountTypes[0]",
        "spec.allowedHostPaths[0]",
        "spec.allowedFlexVolumes.allowedFlexVolumes[0].driver",
        "spec.allowedCSIDrivers.allowedCSIDriver[0].name",
        "spec.allowedCSIDrivers.allowedCSIDriver[0].name",
        "spec.forbiddenSysctls[0]",
        "spec.runtimeClass.allowedRuntimeClassNames",
    ]


HOSTILE: dict[str, tuple[dict[str, Any], list[str]]] = {
    "string where a bool belongs": (
        {"spec.privileged": "false"},
        ['spec.privileged: Invalid value: "false": must be a boolean, not a string'],
    ),
    "string where a strategy belongs": (
        {"spec.runAsUser": "MustRunAsNonRoot"},
        ['spec.runAsUser: Invalid value: "MustRunAsNonRoot": must be an object, not a string'],
    ),
    "list where a map belongs": (
        {"spec.seLinux": [{"rule": "RunAsAny"}]},
        ['spec.seLinux: Invalid value: [{"rule":"RunAsAny"}]: must be an object, not a list'],
    ),
    "string where a list belongs": (
        {"spec.volumes": "none"},
        ['spec.volumes: Invalid value: "none": must be a list of strings, not a string'],
    ),
    "number in a string list": (
        {
            "spec.allowedCapabilities": ["NET_ADMIN", 5],
            "spec.requiredDropCapabilities": ["NET_ADMIN"],
        },
        ["spec.allowedCapabilities[1]: Invalid value: 5: must be a string, not an integer"],
    ),
    "string range bound": (
        {"spec.fsGroup": {"rule": "MustRunAs", "ranges": [{"min": "1", "max": 0}]}},
        ['spec.fsGroup.ranges[0].min: Invalid value: "1": must be an integer, not a string'],
    ),
    "bool range bound": (
        {"spec.fsGroup": {"rule": "MustRunAs", "ranges": [{"min": True, "max": 2}]}},
        ["spec.fsGroup.ranges[0].min: Invalid value: true: must be an integer, not a boolean"],
    ),
    "int32 host port out of range": (
        {"spec.hostPorts": [{"min": 1, "max": 2**31}]},
        [
            "spec.hostPorts[0].max: Invalid value: 2147483648: must be an integer "
            "that fits in 32 bits"
        ],
    ),
    "name is a number": (
        {"metadata.name": 12},
        ["metadata.name: Invalid value: 12: must be a string, not an integer"],
    ),
    "annotation value not a string": (
        {"metadata.annotations": {SC_DEFAULT: 5}},
        [f"metadata.annotations[{SC_DEFAULT}]: Invalid value: 5: must be a string, not an integer"],
    ),
    "spec is a list": (
        {"spec": ["a"]},
        ['spec: Invalid value: ["a"]: must be an object, not a list'],
    ),
    "bad flex entry": (
        {"spec.allowedFlexVolumes": ["x"]},
        ['spec.allowedFlexVolumes[0]: Invalid value: "x": must be an object, not a string'],
    ),
    "bad runtimeClass names": (
        {"spec.runtimeClass": {"allowedRuntimeClassNames": "*", "defaultRuntimeClassName": "a"}},
        [
            'spec.runtimeClass.allowedRuntimeClassNames: Invalid value: "*": must be a list of '
            "strings, not a string"
        ],
    ),
}


@pytest.mark.parametrize(("changes", "want"), HOSTILE.values(), ids=list(HOSTILE))
def test_wrong_types_are_field_errors(changes: dict[str, Any], want: list[str]) -> None:
    assert texts(validate_policy(with_(changes))) == want


@pytest.mark.parametrize("value", [None, "x", 5, [], [1, 2]])
def test_not_an_object(value: Any) -> None:
    errs = validate_policy(value)
    assert len(errs) == 1
    assert errs[0].field == "<object>"


@pytest.mark.parametrize(
    "policy",
    [
        {},
        {"metadata": None, "spec": None},
        {"metadata": {"annotations": {1: "x"}}, "spec": {"runAsUser": {"ranges": "x"}}},
        {"spec": {"allowedHostPaths": [None, 5, {"pathPrefix": 5}], "hostPorts": "x"}},
        {"spec": {"runtimeClass": [], "allowedCSIDrivers": {}, "seLinux": {"seLinuxOptions": 1}}},
        {"spec": {"runAsUser": {"rule": 5, "ranges": [None, {"min": 1.5}]}}},
    ],
)
def test_hostile_input_never_raises(policy: dict[str, Any]) -> None:
    before = copy.deepcopy(policy)
    errs = validate_policy(policy)
    assert errs
    assert all(isinstance(e, FieldError) for e in errs)
    assert policy == before


def test_the_input_is_not_changed() -> None:
    policy = with_({"spec.allowedUnsafeSysctls": ["a", "a"], "metadata.labels": {"x": "y"}})
    before = copy.deepcopy(policy)
    validate_policy(policy)
    assert policy == before
