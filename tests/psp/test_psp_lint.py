"""lint_policy: the hints for the mistakes people make, each with its field and did-you-mean."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from podgate.psp.lint import Hint, lint_policy
from podgate.psp.validation import validate_policy

SC_ALLOWED = "seccomp.security.alpha.kubernetes.io/allowedProfileNames"


def good() -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1beta1",
        "kind": "PodSecurityPolicy",
        "metadata": {"name": "restricted"},
        "spec": {
            "privileged": False,
            "allowPrivilegeEscalation": False,
            "requiredDropCapabilities": ["ALL"],
            "runAsUser": {"rule": "MustRunAsNonRoot"},
            "seLinux": {"rule": "RunAsAny"},
            "supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 65535}]},
            "fsGroup": {"rule": "MayRunAs", "ranges": [{"min": 1, "max": 65535}]},
            "volumes": ["configMap", "secret", "emptyDir", "projected"],
        },
    }


def with_spec(**changes: Any) -> dict[str, Any]:
    obj = good()
    for k, v in changes.items():
        if v is None:
            obj["spec"].pop(k, None)
        else:
            obj["spec"][k] = v
    return obj


def test_a_good_policy_has_no_hints() -> None:
    assert lint_policy(good()) == []
    assert validate_policy(good()) == []


def find(hints: list[Hint], field: str) -> Hint:
    matches = [h for h in hints if h.field == field]
    assert len(matches) == 1, hints
    return matches[0]


# (policy, field, words in the message, suggestion)
CASES: dict[str, tuple[dict[str, Any], str, str, str | None]] = {
    "rule written as a field": (
        with_spec(runAsUser=None, MustRunAsNonRoot=True),
        "spec.MustRunAsNonRoot",
        "strategy rule, not a field",
        "runAsUser: {rule: MustRunAsNonRoot}",
    ),
    "misspelled field": (
        with_spec(allowedCapabilites=["NET_ADMIN"]),
        "spec.allowedCapabilites",
        'unknown field "allowedCapabilites"',
        "allowedCapabilities",
    ),
    "wrong case": (
        with_spec(ReadOnlyRootFilesystem=True),
        "spec.ReadOnlyRootFilesystem",
        "case sensitive",
        "readOnlyRootFilesystem",
    ),
    "nested unknown field": (
        with_spec(seLinux={"rule": "MustRunAs", "seLinuxOptions": {"levle": "s0"}}),
        "spec.seLinux.seLinuxOptions.levle",
        "unknown field",
        "level",
    ),
    "unknown field in a list item": (
        with_spec(allowedHostPaths=[{"pathPrefix": "/x", "readonly": True}]),
        "spec.allowedHostPaths[0].readonly",
        "case sensitive",
        "readOnly",
    ),
    "SCC field": (
        with_spec(allowPrivilegedContainer=False),
        "spec.allowPrivilegedContainer",
        "OpenShift",
        "privileged",
    ),
    "SCC strategy type": (
        with_spec(fsGroup={"type": "RunAsAny"}),
        "spec.fsGroup.type",
        "not `type`",
        "rule",
    ),
    "spec field at the top": (
        {**good(), "hostNetwork": False},
        "hostNetwork",
        "belongs under spec",
        "spec.hostNetwork",
    ),
    "quoted boolean": (
        with_spec(privileged="false"),
        "spec.privileged",
        "not a boolean",
        "privileged: false",
    ),
    "quoted number": (
        with_spec(fsGroup={"rule": "MustRunAs", "ranges": [{"min": "1", "max": 5}]}),
        "spec.fsGroup.ranges[0].min",
        "not a number",
        "min: 1",
    ),
    "string where a list belongs": (
        with_spec(volumes="configMap, secret"),
        "spec.volumes",
        "must be a list",
        "volumes: [configMap, secret]",
    ),
    "strategy written as a string": (
        with_spec(runAsUser="MustRunAsNonRoot"),
        "spec.runAsUser",
        "object with a rule",
        "runAsUser: {rule: MustRunAsNonRoot}",
    ),
    "missing strategy": (
        with_spec(seLinux=None),
        "spec.seLinux",
        "required",
        "seLinux: {rule: RunAsAny}",
    ),
    "strategy without a rule": (
        with_spec(fsGroup={"ranges": [{"min": 1, "max": 2}]}),
        "spec.fsGroup.rule",
        "needs a rule",
        "fsGroup: {rule: RunAsAny}",
    ),
    "volumes: [none]": (
        with_spec(volumes=["none"]),
        "spec.volumes[0]",
        "empty list",
        "volumes: []",
    ),
    "volume type in the wrong case": (
        with_spec(volumes=["configmap"]),
        "spec.volumes[0]",
        "case sensitive",
        "configMap",
    ),
    "plural volume type": (
        with_spec(volumes=["secrets"]),
        "spec.volumes[0]",
        "not a volume type",
        "secret",
    ),
    "empty volumes": (
        with_spec(volumes=[]),
        "spec.volumes",
        "means none, not all",
        "volumes: [configMap, secret, emptyDir, projected, downwardAPI, persistentVolumeClaim]",
    ),
    "runAsUser MustRunAs without ranges": (
        with_spec(runAsUser={"rule": "MustRunAs"}),
        "spec.runAsUser.ranges",
        "MustRunAs requires at least one range",
        "runAsUser: {rule: MustRunAs, ranges: [{min: 1, max: 65535}]}",
    ),
    "fsGroup MayRunAs without ranges": (
        with_spec(fsGroup={"rule": "MayRunAs"}),
        "spec.fsGroup.ranges",
        "ranges must be supplied for MayRunAs",
        "fsGroup: {rule: MayRunAs, ranges: [{min: 1, max: 65535}]}",
    ),
    "seLinux MustRunAs without options": (
        with_spec(seLinux={"rule": "MustRunAs"}),
        "spec.seLinux.seLinuxOptions",
        "MustRunAs requires SELinuxOptions",
        "seLinux: {rule: MustRunAs, seLinuxOptions: {level: 's0:c123,c456'}}",
    ),
    "allowPrivilegeEscalation omitted": (
        with_spec(allowPrivilegeEscalation=None),
        "spec.allowPrivilegeEscalation",
        "defaults it to true",
        "allowPrivilegeEscalation: false",
    ),
    "CAP_ prefix": (
        with_spec(requiredDropCapabilities=["CAP_NET_RAW"]),
        "spec.requiredDropCapabilities[0]",
        "CAP_ prefix",
        "NET_RAW",
    ),
    "ALL in allowedCapabilities": (
        with_spec(allowedCapabilities=["ALL"], requiredDropCapabilities=None),
        "spec.allowedCapabilities[0]",
        "wildcard",
        "'*'",
    ),
    "host port range without max": (
        with_spec(hostPorts=[{"min": 80}]),
        "spec.hostPorts[0]",
        "both required",
        "{min: 8000, max: 9000}",
    ),
    "runtimeClass without names": (
        with_spec(runtimeClass={"defaultRuntimeClassName": None}),
        "spec.runtimeClass.allowedRuntimeClassNames",
        "refused",
        "allowedRuntimeClassNames: ['*']",
    ),
    "seccomp list with spaces": (
        {**good(), "metadata": {"name": "x", "annotations": {SC_ALLOWED: "a, b"}}},
        f"metadata.annotations[{SC_ALLOWED}]",
        "without trimming",
        "a,b",
    ),
    "misspelled PSP annotation": (
        {
            **good(),
            "metadata": {
                "name": "x",
                "annotations": {"seccomp.security.alpha.kubernetes.io/allowedProfileName": "*"},
            },
        },
        "metadata.annotations[seccomp.security.alpha.kubernetes.io/allowedProfileName]",
        "has no effect",
        SC_ALLOWED,
    ),
    "bad name": (
        {**good(), "metadata": {"name": "Bad_Name"}},
        "metadata.name",
        "DNS subdomain",
        "bad-name",
    ),
    "namespace on a cluster-scoped object": (
        {**good(), "metadata": {"name": "x", "namespace": "default"}},
        "metadata.namespace",
        "cluster-scoped",
        None,
    ),
    "extensions/v1beta1": (
        {**good(), "apiVersion": "extensions/v1beta1"},
        "apiVersion",
        "only up to Kubernetes 1.15",
        "apiVersion: policy/v1beta1",
    ),
    "policy/v1": (
        {**good(), "apiVersion": "policy/v1"},
        "apiVersion",
        "never served",
        "apiVersion: policy/v1beta1",
    ),
    "kind in the wrong case": (
        {**good(), "kind": "PodSecurityPolicies"},
        "kind",
        "not a kind",
        "PodSecurityPolicy",
    ),
    "privileged with allowPrivilegeEscalation false": (
        with_spec(privileged=True),
        "spec.allowPrivilegeEscalation",
        "privileged pods fail",
        "allowPrivilegeEscalation: true",
    ),
}


@pytest.mark.parametrize(
    ("policy", "field", "words", "suggestion"), CASES.values(), ids=list(CASES)
)
def test_hint(policy: dict[str, Any], field: str, words: str, suggestion: str | None) -> None:
    hint = find(lint_policy(policy), field)
    assert words in hint.message
    assert hint.suggestion == suggestion


def test_hints_are_frozen_values() -> None:
    hint = Hint("spec.x", "unknown", "y")
    with pytest.raises(AttributeError):
        hint.field = "z"  # type: ignore[misc]
    assert str(hint) == "spec.x: unknown (did you mean: y)"
    assert str(Hint("a", "b")) == "a: b"


def test_hints_do_not_decide_validity() -> None:
    # a policy with several hints that the API server accepts
    policy = with_spec(volumes=[], allowPrivilegeEscalation=None, runAsUser={"rule": "MustRunAs"})
    assert lint_policy(policy)
    assert validate_policy(policy) == []


def test_the_contract_example() -> None:
    policy = with_spec(runAsUser=None, MustRunAsNonRoot=True)
    policy["metadata"]["name"] = "Bad_Name"
    fields = [h.field for h in lint_policy(policy)]
    assert fields == ["spec.MustRunAsNonRoot", "metadata.name", "spec.runAsUser"]


@pytest.mark.parametrize(
    "policy",
    [
        None,
        "x",
        [],
        {},
        {"spec": None},
        {"spec": "x", "metadata": []},
        {1: 2, "spec": {3: 4, "volumes": [None, 5], "hostPorts": [5, {"min": "a"}]}},
        {"metadata": {"annotations": {1: "x", "seccomp.x": 5}, "name": 5}, "kind": 5},
        {"spec": {"runAsUser": {"ranges": "x"}, "allowedCapabilities": [1, "cap_x"]}},
    ],
)
def test_hostile_input_never_raises(policy: Any) -> None:
    before = copy.deepcopy(policy)
    hints = lint_policy(policy)
    assert all(isinstance(h, Hint) for h in hints)
    assert policy == before


def _escalation_hints(policy: dict[str, Any]) -> list[Hint]:
    return [h for h in lint_policy(policy) if "PrivilegeEscalation" in h.field]


def test_a_privileged_policy_gets_one_consistent_escalation_hint_before_and_after_following_it() -> (
    None
):
    # the issue: unset -> "set false"; false -> "privileged pods fail, set true". Now unset and
    # false both point at true, and following the hint leaves no escalation hint at all
    unset = _escalation_hints(with_spec(privileged=True, allowPrivilegeEscalation=None))
    assert [h.suggestion for h in unset] == ["allowPrivilegeEscalation: true"]
    assert "privileged" in unset[0].message
    false = _escalation_hints(with_spec(privileged=True, allowPrivilegeEscalation=False))
    assert [h.suggestion for h in false] == ["allowPrivilegeEscalation: true"]
    assert _escalation_hints(with_spec(privileged=True, allowPrivilegeEscalation=True)) == []


def test_an_unprivileged_policy_is_still_told_to_forbid_escalation() -> None:
    hints = _escalation_hints(with_spec(allowPrivilegeEscalation=None))
    assert [h.suggestion for h in hints] == ["allowPrivilegeEscalation: false"]
    assert _escalation_hints(with_spec(allowPrivilegeEscalation=False)) == []


def test_a_privileged_policy_defaulting_escalation_to_false_is_told_privileged_pods_fail() -> None:
    policy = with_spec(
        privileged=True, allowPrivilegeEscalation=True, defaultAllowPrivilegeEscalation=False
    )
    (hint,) = _escalation_hints(policy)
    assert hint.field == "spec.defaultAllowPrivilegeEscalation"
    assert "cannot set `allowPrivilegeEscalation` to false and `privileged` to true" in hint.message


def test_adding_cap_sys_admin_by_default_without_escalation_is_a_hint() -> None:
    policy = with_spec(defaultAddCapabilities=["CAP_SYS_ADMIN"], allowedCapabilities=None)
    hints = [h for h in lint_policy(policy) if "refuses" in h.message]
    assert [h.field for h in hints] == ["spec.defaultAddCapabilities[0]"]
    assert "`capabilities.Add` CAP_SYS_ADMIN" in hints[0].message
