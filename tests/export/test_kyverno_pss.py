"""`--to kyverno`: a `validate.podSecurity` ClusterPolicy exactly where the policies (with their
RBAC) decide as one Pod Security Standards level on every pod tried, proved by podgate's PSS
engine at the checks of the PSA library Kyverno vendors; the CEL ValidatingPolicy elsewhere,
with each level's disagreements named."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.export import Verdict, export
from podgate.export.cluster import Cluster
from podgate.export.kyverno_pss import compare_levels, effective_version
from podgate.export.tried import pods_to_try
from podgate.pss import Level, parse_version
from tests.export.test_export_psa import EXAMPLE, deployment, objects_of, split
from tests.psp_helpers import policy

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}


def wide_open() -> dict[str, Any]:
    """A policy that admits everything PSP can admit: the privileged level."""
    return policy(
        "open",
        privileged=True,
        allowPrivilegeEscalation=True,
        allowedCapabilities=["*"],
        volumes=["*"],
        hostNetwork=True,
        hostPID=True,
        hostIPC=True,
        hostPorts=[{"min": 0, "max": 65535}],
        allowedUnsafeSysctls=["*"],
        allowedProcMountTypes=["Default", "Unmasked"],
        annotations={"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*"},
    )


def test_privileged_policy_for_everyone_is_exactly_the_privileged_level() -> None:
    result = export([wide_open()], [], [NAMESPACE], "kyverno", "1.36")
    (obj,) = result.objects
    assert obj["kind"] == "ClusterPolicy" and obj["apiVersion"] == "kyverno.io/v1"
    (rule,) = obj["spec"]["rules"]
    assert rule["validate"]["podSecurity"] == {"level": "privileged", "version": "v1.36"}
    assert obj["metadata"]["annotations"]["podgate.io/export-verdict"] == "proved"
    assert result.all_proved
    (ns,) = result.namespaces
    assert ns.engine.startswith("podgate PSS engine (the checks of k8s.io/pod-security-admission")
    assert ns.agreed == ns.pods > 100


def test_the_same_policy_behind_rbac_is_not_a_level() -> None:
    from tests.export.test_may_use import grant

    psp = wide_open()
    psp["metadata"]["name"] = "privileged"  # grant() names "privileged", for alice only
    result = export([psp], grant("policy"), [NAMESPACE], "kyverno", "1.36")
    (obj,) = result.objects
    assert obj["kind"] == "ValidatingPolicy"
    (why,) = [n for n in result.notes if "no validate.podSecurity rule" in n]
    assert "privileged admits" in why


def test_examples_are_no_level_and_say_why_per_level() -> None:
    psps, rbac, rest = split(objects_of(EXAMPLE))
    result = export(psps, rbac, rest, "kyverno", "1.36")
    assert [o["kind"] for o in result.objects] == ["ValidatingPolicy"]
    (why,) = [n for n in result.notes if "no validate.podSecurity rule" in n]
    for level in ("restricted", "baseline", "privileged"):
        assert f"{level} admits" in why
    assert any("k8s.io/pod-security-admission v0.36" in n for n in result.notes)


def test_exactness_is_decided_on_every_pod_each_level_both_ways() -> None:
    cluster = Cluster.from_objects([wide_open(), NAMESPACE])
    tried = list(pods_to_try(cluster, boundary=True))
    levels = {e.level: e for e in compare_levels(cluster, tried, parse_version("v1.36"))}
    assert levels[Level.PRIVILEGED].exact
    assert levels[Level.BASELINE].looser == ()  # baseline never admits what PSP denies here
    assert levels[Level.BASELINE].stricter  # ... but denies privileged pods PSP admits
    assert levels[Level.RESTRICTED].stricter


@pytest.mark.parametrize(
    ("pinned", "library", "want"),
    [("v1.36", 36, "v1.36"), ("v1.36", 34, "v1.34"), ("v1.30", 34, "v1.30")],
)
def test_a_library_older_than_the_pin_applies_its_own_newest_checks(
    pinned: str, library: int, want: str
) -> None:
    assert str(effective_version(parse_version(pinned), library)) == want


def test_library_version_is_named_in_the_engine_and_notes() -> None:
    result = export([wide_open()], [], [NAMESPACE], "kyverno", "1.36", kyverno_library=34)
    assert "v0.34" in result.namespaces[0].engine and "v1.34" in result.namespaces[0].engine
    assert result.objects[0]["spec"]["rules"][0]["validate"]["podSecurity"]["version"] == "v1.36"


def test_cli_option_and_bad_value() -> None:
    ok = CliRunner().invoke(
        cli, ["export", "--to", "kyverno", *EXAMPLE, "--kyverno-psa-library", "v0.33", "-o", "json"]
    )
    assert ok.exit_code == 1, ok.output
    assert "v0.33" in ok.stdout
    bad = CliRunner().invoke(
        cli, ["export", "--to", "kyverno", *EXAMPLE, "--kyverno-psa-library", "1.x"]
    )
    assert bad.exit_code == 2
    assert "--kyverno-psa-library" in bad.output


def test_workload_counts_in_the_proof() -> None:
    app = deployment(
        "apps",
        "web",
        {"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": True}}]},
    )
    result = export([wide_open()], [], [app], "kyverno", "1.36")
    assert result.objects[0]["kind"] == "ClusterPolicy"
    assert all(n.verdict is Verdict.PROVED for n in result.namespaces)
