"""The highest level met by a pod where restricted's checks do not contain baseline's: a Windows
pod (`spec.os.name: windows`) from v1.25 that sets capabilities or a seccomp profile. Upstream's
restricted revisions of capabilities_restricted and seccompProfile_restricted allow every
Windows pod (API validation refuses those fields on one) and replace the baseline checks of the
same controls at restricted, so such a pod passes restricted's checks and fails baseline's. The
levels are cumulative: it meets neither, and the scanner says privileged, as
`pss.highest_level` does, while its verdict at restricted stays upstream's (allowed)."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.pss import LATEST, Level, evaluate, highest_level, v1
from tests.scan.test_scan import _scan, scan_module


def windows_pod(os_name: str = "windows", **sc: Any) -> dict[str, Any]:
    """A pod meeting restricted's other checks, on `os_name`, its container's securityContext
    `sc` (plus what restricted asks of a Linux container when sc is empty)."""
    if not sc:
        sc = {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "w", "namespace": "app"},
        "spec": {
            "os": {"name": os_name},
            "securityContext": {"runAsNonRoot": True},
            "containers": [{"name": "app", "image": "i", "securityContext": sc}],
        },
    }


@pytest.mark.parametrize(
    "sc",
    [
        {"capabilities": {"add": ["SYS_ADMIN"]}},
        {"seccompProfile": {"type": "Unconfined"}},
    ],
    ids=["adds-SYS_ADMIN", "seccomp-Unconfined"],
)
def test_a_windows_pod_passing_restricted_but_not_baseline_meets_privileged_only(
    sc: dict[str, Any],
) -> None:
    obj = windows_pod(**sc)
    spec = obj["spec"]
    assert evaluate(Level.RESTRICTED, LATEST, {}, spec) == ()  # upstream's exemption
    assert [v.check for v in evaluate(Level.BASELINE, LATEST, {}, spec)] != []
    assert highest_level(LATEST, {}, spec) is Level.PRIVILEGED
    result = _scan([obj], level=Level.RESTRICTED)
    (w,) = result.workloads
    assert w.violations == ()  # the verdict at restricted is upstream's
    assert w.highest is Level.PRIVILEGED


def test_before_v1_25_the_same_pod_fails_restricted_too() -> None:
    spec = windows_pod(capabilities={"add": ["SYS_ADMIN"]})["spec"]
    assert "capabilities_restricted" in [
        v.check for v in evaluate(Level.RESTRICTED, v1(24), {}, spec)
    ]
    assert highest_level(v1(24), {}, spec) is Level.PRIVILEGED


@pytest.mark.parametrize("os_name", ["windows", "linux"])
def test_a_pod_setting_os_and_meeting_both_levels_is_restricted(os_name: str) -> None:
    obj = windows_pod(os_name)
    result = _scan([obj], level=Level.RESTRICTED)
    assert result.workloads[0].highest is Level.RESTRICTED
    assert highest_level(LATEST, {}, obj["spec"]) is Level.RESTRICTED


def test_a_pod_without_os_meeting_restricted_is_restricted_without_asking_baseline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = scan_module.evaluate

    def counting(level: Level, version: Any, meta: Any, spec: Any) -> Any:
        calls.append(level.value)
        return real(level, version, meta, spec)

    monkeypatch.setattr(scan_module, "evaluate", counting)
    obj = windows_pod()
    del obj["spec"]["os"]
    result = _scan([obj], level=Level.RESTRICTED)
    assert result.workloads[0].highest is Level.RESTRICTED
    assert calls == ["restricted"]
