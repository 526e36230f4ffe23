"""`podgate.pss.namespaces`: the one answer to "which policy applies to this namespace"."""

from __future__ import annotations

from podgate.pss import Level, LevelVersion, v1
from podgate.pss.config import Exemptions, PodSecurityConfiguration
from podgate.pss.labels import Policy
from podgate.pss.namespaces import (
    Unknown,
    is_exempt,
    labels_of,
    namespace_object,
    policy_of,
    resolve,
    strictness,
)

K = "pod-security.kubernetes.io/"
BASELINE_DEFAULTS = PodSecurityConfiguration(
    defaults=Policy(enforce=LevelVersion(Level.BASELINE, v1(30))),
    exemptions=Exemptions(namespaces=("kube-system",)),
)


def test_an_unknown_namespace_gets_the_configuration_defaults_by_default() -> None:
    found = policy_of("shop", None, BASELINE_DEFAULTS)
    assert found.known is False
    assert found.enforce == LevelVersion(Level.BASELINE, v1(30))
    assert found.resolved.errors == ()


def test_an_unknown_namespace_has_no_policy_when_the_caller_refuses_it() -> None:
    assert policy_of("shop", None, BASELINE_DEFAULTS, unknown=Unknown.REFUSE) is None


def test_a_known_namespace_without_labels_gets_the_defaults_even_when_refusing_unknown() -> None:
    found = policy_of("shop", {}, BASELINE_DEFAULTS, unknown=Unknown.REFUSE)
    assert found is not None and found.known is True
    assert found.enforce == LevelVersion(Level.BASELINE, v1(30))


def test_labels_override_the_defaults_mode_by_mode() -> None:
    found = policy_of("shop", {K + "enforce": "restricted"}, BASELINE_DEFAULTS)
    assert found.enforce.level == Level.RESTRICTED
    assert found.resolved.policy.audit == BASELINE_DEFAULTS.defaults.audit


def test_an_invalid_enforce_label_is_restricted_with_the_error_kept() -> None:
    found = resolve({K + "enforce": "strict"}, BASELINE_DEFAULTS)
    assert found.policy.enforce.level == Level.RESTRICTED
    assert [e.field for e in found.errors] == ["metadata.labels[" + K + "enforce]"]


def test_exemption_is_reported_for_known_and_unknown_namespaces_alike() -> None:
    assert is_exempt("kube-system", BASELINE_DEFAULTS)
    assert not is_exempt("shop", BASELINE_DEFAULTS)
    assert policy_of("kube-system", None, BASELINE_DEFAULTS).exempt
    assert policy_of("kube-system", {K + "enforce": "restricted"}, BASELINE_DEFAULTS).exempt
    assert not policy_of("shop", None, BASELINE_DEFAULTS).exempt


def test_labels_of_reads_a_namespace_object_and_tolerates_missing_parts() -> None:
    assert labels_of({"metadata": {"labels": {"a": "b"}}}) == {"a": "b"}
    assert labels_of({"metadata": {}}) == {}
    assert labels_of({}) == {}


def test_strictness_orders_by_level_then_version() -> None:
    assert strictness(LevelVersion(Level.RESTRICTED, v1(20))) > strictness(
        LevelVersion(Level.BASELINE, v1(30))
    )
    assert strictness(LevelVersion(Level.BASELINE, v1(30))) > strictness(
        LevelVersion(Level.BASELINE, v1(29))
    )
    assert strictness(LevelVersion(Level.BASELINE, v1(0))) > strictness(
        LevelVersion(Level.PRIVILEGED, v1(30))
    )


def test_namespace_object_refuses_or_leaves_unlabelled_an_unknown_namespace() -> None:
    assert namespace_object("shop", None, unknown=Unknown.REFUSE) is None
    assert namespace_object("shop", None, unknown=Unknown.DEFAULTS) == {
        "metadata": {"name": "shop"}
    }
    labels = {K + "enforce": "restricted"}
    found = namespace_object("shop", labels, unknown=Unknown.REFUSE)
    assert found == {"metadata": {"name": "shop", "labels": labels}}
