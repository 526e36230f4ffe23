"""Every upstream fixture of ../shared/conformance/pss, at its own level and version (INDEX.md 3).

One test per `<level>/v1.<minor>` folder: `pass` pods must be allowed; `fail` pods must be denied,
the detail message must contain the check's expected substring and never `unknown forbidden
reason`, and the failing check IDs must be those of INDEX.md 3.1. The v1.37 folders are also run
at `latest` and at a future `v1.99` (same verdicts). The one preprocessing step of INDEX.md 3.2
(a volume with no source is an emptyDir) is applied, and nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from podgate.pss import (
    LATEST,
    Level,
    Version,
    evaluate,
    forbidden_detail,
    parse_version,
    v1,
)

pytestmark = pytest.mark.shared

MAX_MINOR = 37
FOLDERS = [(level, minor) for level in ("baseline", "restricted") for minor in range(MAX_MINOR + 1)]

PREFIX_CHECK = {
    "allowprivilegeescalation": "allowPrivilegeEscalation",
    "apparmorprofile": "appArmorProfile",
    "capabilities_baseline": "capabilities_baseline",
    "capabilities_restricted": "capabilities_restricted",
    "hostnamespaces": "hostNamespaces",
    "hostpathvolumes": "hostPathVolumes",
    "hostports": "hostPorts",
    "hostprobesandhostlifecycle": "hostProbesAndHostLifecycle",
    "privileged": "privileged",
    "procmount": "procMount",
    "procmount_restricted": "procMount_restricted",
    "restrictedvolumes": "restrictedVolumes",
    "runasnonroot": "runAsNonRoot",
    "runasuser": "runAsUser",
    "selinuxoptions": "seLinuxOptions",
    "seccompprofile_baseline": "seccompProfile_baseline",
    "seccompprofile_restricted": "seccompProfile_restricted",
    "sysctls": "sysctls",
    "windowshostprocess": "windowsHostProcess",
}

SUBSTRING = {
    "allowPrivilegeEscalation": "allowPrivilegeEscalation",
    "appArmorProfile": "forbidden AppArmor profile",
    "capabilities_baseline": "capabilities",
    "capabilities_restricted": "unrestricted capabilities",
    "hostNamespaces": "host namespaces",
    "hostPathVolumes": "hostPath",
    "hostPorts": "hostPort",
    "hostProbesAndHostLifecycle": "probe or lifecycle host",
    "privileged": "privileged",
    "procMount": "procMount",
    "procMount_restricted": "procMount",
    "restrictedVolumes": "restricted volume types",
    "runAsNonRoot": "runAsNonRoot",
    "runAsUser": "runAsUser",
    "seLinuxOptions": "seLinuxOptions",
    "seccompProfile_baseline": "seccompProfile",
    "seccompProfile_restricted": "seccompProfile",
    "sysctls": "forbidden sysctl",
    "windowsHostProcess": "hostProcess",
}


def expected_ids(level: str, minor: int, name: str) -> set[str]:
    """The failing check IDs of a fail fixture (INDEX.md 3.1)."""
    prefix = re.sub(r"\d+$", "", name)
    check = PREFIX_CHECK[prefix]
    restricted = level == "restricted"
    if prefix == "windowshostprocess":
        return {"hostNamespaces", "windowsHostProcess"}
    if restricted and prefix == "hostpathvolumes":
        return {"restrictedVolumes"}
    if restricted and prefix == "capabilities_baseline" and minor >= 22:
        return {"capabilities_restricted"}
    if restricted and prefix == "seccompprofile_baseline" and minor >= 19:
        return {"seccompProfile_restricted"}
    if restricted and prefix == "procmount" and minor >= 35:
        return {"procMount_restricted"}
    if restricted and prefix == "privileged" and minor >= 8:
        return {"privileged", "allowPrivilegeEscalation"}
    if restricted and name == "allowprivilegeescalation3" and minor >= 22:
        return {"allowPrivilegeEscalation", "capabilities_restricted"}
    return {check}


def load_pod(path: Path) -> tuple[Any, Any]:
    pod = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    spec = pod.get("spec") or {}
    for volume in spec.get("volumes") or ():
        if not any(value is not None for key, value in volume.items() if key != "name"):
            volume["emptyDir"] = {}  # INDEX.md 3.2, the only defaulting the fixtures need
    return pod.get("metadata") or {}, spec


def run_folder(folder: Path, level: Level, minor: int, version: Version) -> int:
    """Evaluates every fixture of `folder` at (level, version); returns how many ran."""
    failures: list[str] = []
    count = 0
    for outcome in ("pass", "fail"):
        for path in sorted((folder / outcome).glob("*.yaml")):
            count += 1
            meta, spec = load_pod(path)
            violations = evaluate(level, version, meta, spec)
            where = f"{level}/v1.{minor}/{outcome}/{path.name} at {version}"
            if outcome == "pass":
                if violations:
                    failures.append(f"{where}: denied: {forbidden_detail(violations)}")
                continue
            message = forbidden_detail(violations)
            ids = {v.check for v in violations}
            want = expected_ids(level.value, minor, path.stem)
            substring = SUBSTRING[PREFIX_CHECK[re.sub(r"\d+$", "", path.stem)]]
            if not violations:
                failures.append(f"{where}: allowed")
            elif substring not in message or "unknown forbidden reason" in message:
                failures.append(f"{where}: message {message!r} lacks {substring!r}")
            elif ids != want:
                failures.append(f"{where}: failing IDs {sorted(ids)}, expected {sorted(want)}")
    assert not failures, "\n".join(failures)
    return count


@pytest.mark.parametrize(("level", "minor"), FOLDERS, ids=[f"{lv}-v1.{m}" for lv, m in FOLDERS])
def test_upstream_folder(shared_dir: Path, level: str, minor: int) -> None:
    folder = shared_dir / "conformance" / "pss" / level / f"v1.{minor}"
    assert folder.is_dir(), f"missing fixture folder {folder}"
    count = run_folder(folder, Level(level), minor, parse_version(f"v1.{minor}"))
    assert count > 0


@pytest.mark.parametrize("level", ["baseline", "restricted"])
@pytest.mark.parametrize("version", [LATEST, v1(38), v1(99)], ids=str)
def test_newest_folder_at_latest_and_future_versions(
    shared_dir: Path, level: str, version: Version
) -> None:
    folder = shared_dir / "conformance" / "pss" / level / f"v1.{MAX_MINOR}"
    run_folder(folder, Level(level), MAX_MINOR, version)


def test_every_folder_is_covered(shared_dir: Path) -> None:
    root = shared_dir / "conformance" / "pss"
    found = {
        (p.parent.name, int(p.name.removeprefix("v1."))) for p in root.glob("*/v1.*") if p.is_dir()
    }
    assert found == set(FOLDERS)
    total = sum(1 for _ in root.glob("*/v1.*/*/*.yaml"))
    assert total == 4537  # INDEX.md 6
