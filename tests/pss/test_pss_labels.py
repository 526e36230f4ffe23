"""Namespace labels -> effective policy (spec §5, errata B, C3): fallbacks, inheritance, errors."""

from __future__ import annotations

import pytest

from podgate.pss import LATEST, Level, LevelVersion, parse_version
from podgate.pss.labels import (
    DEFAULT_POLICY,
    Mode,
    Policy,
    aggregate,
    compare_levels,
    has_policy_labels,
    resolve_labels,
)

P, B, R = Level.PRIVILEGED, Level.BASELINE, Level.RESTRICTED
K = "pod-security.kubernetes.io/"


def lv(text: str) -> LevelVersion:
    level, version = text.split(":")
    return LevelVersion(Level(level), parse_version(version))


def policy(enforce: str, audit: str, warn: str) -> Policy:
    return Policy(lv(enforce), lv(audit), lv(warn))


PL = "privileged:latest"
LEVEL_ERR = "must be one of privileged, baseline, restricted"
VERSION_ERR = 'must be "latest" or "v1.x"'


@pytest.mark.parametrize(
    ("labels", "defaults", "want"),
    [
        pytest.param(None, DEFAULT_POLICY, (PL, PL, PL), id="no-labels"),
        pytest.param({}, DEFAULT_POLICY, (PL, PL, PL), id="empty"),
        pytest.param({"app": "x"}, DEFAULT_POLICY, (PL, PL, PL), id="unrelated"),
        pytest.param(
            {K + "enforce": "baseline"},
            DEFAULT_POLICY,
            ("baseline:latest", PL, "baseline:latest"),
            id="warn-inherits-enforce",
        ),
        pytest.param(
            {K + "enforce": "restricted", K + "enforce-version": "v1.24"},
            DEFAULT_POLICY,
            ("restricted:v1.24", PL, "restricted:v1.24"),
            id="warn-inherits-enforce-version",
        ),
        pytest.param(
            {
                K + "enforce": "restricted",
                K + "enforce-version": "v1.24",
                K + "warn-version": "v1.2",
            },
            DEFAULT_POLICY,
            ("restricted:v1.24", PL, "restricted:v1.2"),
            id="warn-version-label-kept",
        ),
        pytest.param(
            {K + "enforce": "restricted", K + "warn": "baseline"},
            DEFAULT_POLICY,
            ("restricted:latest", PL, "baseline:latest"),
            id="warn-label-not-overridden",
        ),
        pytest.param(
            {K + "enforce": "restricted", K + "warn": "privileged"},
            DEFAULT_POLICY,
            ("restricted:latest", PL, PL),
            id="explicit-privileged-warn",
        ),
        pytest.param(
            {K + "enforce": "baseline"},
            policy(PL, PL, "restricted:v1.5"),
            ("baseline:latest", PL, "restricted:v1.5"),
            id="no-inherit-when-default-warn-stricter",
        ),
        pytest.param(
            {K + "enforce-version": "v1.10"},
            policy("baseline:latest", PL, PL),
            ("baseline:v1.10", PL, PL),
            id="version-label-alone-no-inherit",
        ),
        pytest.param(
            {K + "enforce": "baseline"},
            policy("privileged:v1.3", PL, PL),
            ("baseline:v1.3", PL, "baseline:v1.3"),
            id="inherits-default-enforce-version",
        ),
        pytest.param(
            {K + "audit": "restricted"},
            DEFAULT_POLICY,
            (PL, "restricted:latest", PL),
            id="audit-never-inherited",
        ),
        pytest.param(
            {K + "warn": "baseline", K + "warn-version": "v1.99"},
            DEFAULT_POLICY,
            (PL, PL, "baseline:v1.99"),
            id="future-version-kept",
        ),
    ],
)
def test_resolve_valid(labels, defaults, want):
    got = resolve_labels(labels, defaults)
    assert got.errors == ()
    assert got.ok
    assert (str(got.policy.enforce), str(got.policy.audit), str(got.policy.warn)) == want


@pytest.mark.parametrize(
    ("labels", "want", "errors"),
    [
        pytest.param(
            {K + "enforce": "foo"},
            # an invalid enforce fails closed; warn does not inherit from an invalid label
            ("restricted:latest", PL, PL),
            [f'metadata.labels[{K}enforce]: Invalid value: "foo": {LEVEL_ERR}'],
            id="bad-enforce",
        ),
        pytest.param(
            {K + "enforce": ""},
            ("restricted:latest", PL, PL),
            [f'metadata.labels[{K}enforce]: Invalid value: "": {LEVEL_ERR}'],
            id="empty-enforce",
        ),
        pytest.param(
            {K + "enforce": "Restricted"},
            ("restricted:latest", PL, PL),
            [f'metadata.labels[{K}enforce]: Invalid value: "Restricted": {LEVEL_ERR}'],
            id="case-sensitive",
        ),
        pytest.param(
            {K + "audit": "x", K + "warn": "y"},
            (PL, PL, PL),
            [
                f'metadata.labels[{K}audit]: Invalid value: "x": {LEVEL_ERR}',
                f'metadata.labels[{K}warn]: Invalid value: "y": {LEVEL_ERR}',
            ],
            id="audit-warn-fail-open",
        ),
        pytest.param(
            {K + "enforce": "baseline", K + "enforce-version": "v1.01"},
            ("baseline:latest", PL, "baseline:latest"),
            [f'metadata.labels[{K}enforce-version]: Invalid value: "v1.01": {VERSION_ERR}'],
            id="bad-version-latest",
        ),
        pytest.param(
            # keys in any order; errors in upstream's fixed order
            {
                K + "warn-version": "2",
                K + "warn": "w",
                K + "audit-version": "V1.2",
                K + "audit": "a",
                K + "enforce-version": "1.24",
                K + "enforce": "e",
            },
            ("restricted:latest", PL, PL),
            [
                f'metadata.labels[{K}enforce]: Invalid value: "e": {LEVEL_ERR}',
                f'metadata.labels[{K}enforce-version]: Invalid value: "1.24": {VERSION_ERR}',
                f'metadata.labels[{K}audit]: Invalid value: "a": {LEVEL_ERR}',
                f'metadata.labels[{K}audit-version]: Invalid value: "V1.2": {VERSION_ERR}',
                f'metadata.labels[{K}warn]: Invalid value: "w": {LEVEL_ERR}',
                f'metadata.labels[{K}warn-version]: Invalid value: "2": {VERSION_ERR}',
            ],
            id="all-six-in-order",
        ),
        pytest.param(
            {K + "enforce": 'a"b\n'},
            ("restricted:latest", PL, PL),
            [f'metadata.labels[{K}enforce]: Invalid value: "a\\"b\\n": {LEVEL_ERR}'],
            id="go-quoted-value",
        ),
    ],
)
def test_resolve_errors(labels, want, errors):
    got = resolve_labels(labels)
    assert not got.ok
    assert (str(got.policy.enforce), str(got.policy.audit), str(got.policy.warn)) == want
    assert [str(e) for e in got.errors] == errors
    expected = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
    assert got.error_text == expected


def test_aggregate_forms():
    assert aggregate([]) == ""
    assert aggregate(["a"]) == "a"
    assert aggregate(["a", "b", "a"]) == "[a, b]"


def test_compare_levels():
    assert [compare_levels(a, b) for a, b in [(P, B), (B, B), (R, B), (B, R), (R, P)]] == [
        -1,
        0,
        1,
        -1,
        1,
    ]


def test_policy_helpers():
    assert DEFAULT_POLICY.fully_privileged
    assert not policy("baseline:latest", PL, PL).fully_privileged
    # privileged at different versions is equivalent; other levels need the same version
    assert policy("privileged:v1.2", PL, PL).equivalent(DEFAULT_POLICY)
    assert not policy("baseline:v1.2", PL, PL).equivalent(policy("baseline:latest", PL, PL))
    assert policy("baseline:v1.2", PL, PL).equivalent(policy("baseline:v1.2", PL, PL))
    p = policy("baseline:v1.2", "restricted:latest", PL)
    assert p.of(Mode.ENFORCE) == lv("baseline:v1.2")
    assert p.of(Mode.AUDIT).version == LATEST
    assert str(p) == "enforce=baseline:v1.2, audit=restricted:latest, warn=privileged:latest"


def test_has_policy_labels():
    assert not has_policy_labels(None)
    assert not has_policy_labels({"a": "b"})
    assert has_policy_labels({K + "warn-version": "v1.1"})


def test_non_string_value_is_invalid():
    got = resolve_labels({K + "enforce-version": 1.25})
    assert [str(e) for e in got.errors] == [
        f"metadata.labels[{K}enforce-version]: Invalid value: 1.25: {VERSION_ERR}"
    ]
    assert got.policy.enforce.version == LATEST
