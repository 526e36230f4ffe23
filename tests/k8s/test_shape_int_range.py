"""An integer pod field holds what its Go type holds. The API server decodes a pod with
sigs.k8s.io/json into typed structs: a number `ParseInt` cannot take, or that overflows the
field's type, fails the object with `json: cannot unmarshal number N into Go struct field
<Struct>.<path> of type int64` (the path: the object's JSON names from its root, no list
indexes). kubectl holds a number past int64 as a float64 and sends Go's float text of it
(`18446744073709551615` goes as `18446744073709552000`, as `kubectl label --local -o json`
shows). podgate's shape check took any Python int, so `runAsUser: 18446744073709551615` passed
it and was judged (a non-zero user: restricted passed it) where the API server refuses it."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.k8s.gotext import go_json_float
from podgate.k8s.shape import pod_shape_errors

INT64_MAX, INT64_MIN = 2**63 - 1, -(2**63)


def _pod_level(field: str, value: Any) -> dict[str, Any]:
    return {"spec": {"securityContext": {field: value}, "containers": [{"name": "c"}]}}


def _container(field: str, value: Any) -> dict[str, Any]:
    return {"spec": {"containers": [{"name": "c", "securityContext": {field: value}}]}}


def _port(field: str, value: Any) -> dict[str, Any]:
    return {"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80, field: value}]}]}}


@pytest.mark.parametrize(
    ("pod", "message"),
    [
        (
            _pod_level("runAsUser", 2**64 - 1),
            "spec.securityContext.runAsUser: number 18446744073709551615 is beyond int64's "
            "range, which the API server refuses (json: cannot unmarshal number "
            "18446744073709552000 into Go struct field PodSecurityContext.spec.securityContext"
            ".runAsUser of type int64)",
        ),
        (
            _pod_level("fsGroup", 2**63),
            "spec.securityContext.fsGroup: number 9223372036854775808 is beyond int64's range, "
            "which the API server refuses (json: cannot unmarshal number 9223372036854776000 "
            "into Go struct field PodSecurityContext.spec.securityContext.fsGroup of type int64)",
        ),
        (
            _pod_level("supplementalGroups", [1, 2**63]),
            "spec.securityContext.supplementalGroups[1]: number 9223372036854775808 is beyond "
            "int64's range, which the API server refuses (json: cannot unmarshal number "
            "9223372036854776000 into Go struct field PodSecurityContext.spec.securityContext"
            ".supplementalGroups of type int64)",
        ),
        (
            _container("runAsGroup", 1e20),  # (a float: as podgate reads 1e20 and kubectl holds it)
            "spec.containers[0].securityContext.runAsGroup: number 100000000000000000000 is "
            "beyond int64's range, which the API server refuses (json: cannot unmarshal number "
            "100000000000000000000 into Go struct field SecurityContext.spec.containers"
            ".securityContext.runAsGroup of type int64)",
        ),
        (
            _container("runAsUser", -9.223372036854776e18),  # -2**63 as a float: Go sends ...6000
            "spec.containers[0].securityContext.runAsUser: number -9223372036854776000 is beyond "
            "int64's range, which the API server refuses (json: cannot unmarshal number "
            "-9223372036854776000 into Go struct field SecurityContext.spec.containers"
            ".securityContext.runAsUser of type int64)",
        ),
        (
            _port("hostPort", 2**31),
            "spec.containers[0].ports[0].hostPort: number 2147483648 is beyond int32's range, "
            "which the API server refuses (json: cannot unmarshal number 2147483648 into Go "
            "struct field ContainerPort.spec.containers.ports.hostPort of type int32)",
        ),
        (
            _port("containerPort", -(2**31) - 1),
            "spec.containers[0].ports[0].containerPort: number -2147483649 is beyond int32's "
            "range, which the API server refuses (json: cannot unmarshal number -2147483649 into "
            "Go struct field ContainerPort.spec.containers.ports.containerPort of type int32)",
        ),
    ],
    ids=["uint64", "2**63", "list-item", "float", "float-of-int64-min", "port", "negative-port"],
)
def test_a_number_its_go_type_cannot_hold_is_refused_in_upstreams_words(
    pod: dict[str, Any], message: str
) -> None:
    assert pod_shape_errors(pod) == [message]


def test_the_field_is_named_from_the_objects_root_for_a_template() -> None:
    errors = pod_shape_errors(
        _pod_level("runAsUser", 2**63), within="spec.jobTemplate.spec.template"
    )
    assert errors[0].endswith(
        "(json: cannot unmarshal number 9223372036854776000 into Go struct field "
        "PodSecurityContext.spec.jobTemplate.spec.template.spec.securityContext.runAsUser of "
        "type int64)"
    )
    assert errors[0].startswith("spec.securityContext.runAsUser: number 9223372036854775808 ")


@pytest.mark.parametrize(
    "pod",
    [
        _pod_level("runAsUser", INT64_MAX),
        _pod_level("runAsGroup", INT64_MIN),
        _pod_level("supplementalGroups", [INT64_MAX, INT64_MIN, 0]),
        _container("runAsUser", INT64_MAX),
        _port("hostPort", 2**31 - 1),
        _port("containerPort", -(2**31)),
    ],
    ids=["max", "min", "list", "container", "port-max", "port-min"],
)
def test_the_ends_of_each_range_fit(pod: dict[str, Any]) -> None:
    assert pod_shape_errors(pod) == []


def test_a_whole_float_in_range_keeps_its_type_message() -> None:
    """(kubectl would send 1000.0 as 1000; podgate refuses it as before: no verdict is wrong)"""
    assert pod_shape_errors(_pod_level("runAsUser", 1000.0)) == [
        "spec.securityContext.runAsUser: expected an integer, got number 1000.0"
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [  # each as `kubectl label --local -o json` (kubectl 1.32) writes the number it reads
        (1.8446744073709552e19, "18446744073709552000"),
        (9.223372036854776e18, "9223372036854776000"),
        (-9.223372036854776e18, "-9223372036854776000"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (1000.0, "1000"),
        (1.5, "1.5"),
        (-0.0, "-0"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (2.5e-10, "2.5e-10"),
        (1e16, "10000000000000000"),
        (1.2345678901234567e18, "1234567890123456800"),
    ],
)
def test_go_json_float_writes_a_float_as_go_does(value: float, text: str) -> None:
    assert go_json_float(value) == text
