"""podgate's own PSS fixtures (tests/pss_fixtures, written by `make fixtures`).

Every folder is evaluated at its own version and at every version up to the next written one
(nothing changes in between, see the generator's docstring): pass pods must be allowed, and a
fail pod must fail exactly one check, its own or, at restricted, the one overriding it. Every
check revision must have a failing fixture, and the committed files must equal a fresh
generation (stale files fail).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from podgate.pss import LATEST, Level, Version, evaluate, forbidden_detail, v1
from podgate.pss.registry import DEFAULT
from tests.pss_fixtures import generate as gen

LEVELS = (Level.BASELINE, Level.RESTRICTED)
FOLDERS = [(level, minor) for level in LEVELS for minor in gen.written_minors(level)]
ID_BY_PREFIX = {c.id.lower(): c.id for c in DEFAULT.checks}


def versions_of(level: Level, minor: int) -> list[Version]:
    """The folder's version and every version up to the next written one."""
    minors = gen.written_minors(level)
    following = [m for m in minors if m > minor]
    if following:
        return [v1(m) for m in range(minor, following[0])]
    return [*(v1(m) for m in range(minor, gen.MAX_MINOR + 1)), LATEST, v1(99)]


def expected_failure(level: Level, version: Version, check_id: str) -> str:
    """The check that fails for a fail fixture of `check_id`: itself when it runs at
    (level, version), else the restricted check overriding it there."""
    plan_ids = [cid for cid, _ in DEFAULT.plan(level, version)]
    if check_id in plan_ids:
        return check_id
    for check in DEFAULT.checks:
        since = check.revision_at(version)
        if since is not None and check_id in since.overrides and check.id in plan_ids:
            return check.id
    raise AssertionError(f"{check_id} neither runs nor is overridden at {level}:{version}")


@cache
def load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    pod = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert pod["metadata"]["name"] == path.stem
    return pod["metadata"], pod["spec"]


@pytest.mark.parametrize(
    ("level", "minor"), FOLDERS, ids=[f"{lv.value}-v1.{m}" for lv, m in FOLDERS]
)
def test_fixture_folder(level: Level, minor: int) -> None:
    folder = gen.DATA / level.value / f"v1.{minor}"
    paths = sorted(folder.glob("*/*.yaml"))
    assert paths, f"no fixtures in {folder}: run `make fixtures`"
    problems = []
    for version in versions_of(level, minor):
        for path in paths:
            meta, spec = load(path)
            violations = evaluate(level, version, meta, spec)
            where = f"{path.relative_to(gen.DATA)} at {level}:{version}"
            if path.parent.name == "pass":
                if violations:
                    problems.append(f"{where}: denied: {forbidden_detail(violations)}")
                continue
            check_id = ID_BY_PREFIX[re.sub(r"\d+$", "", path.stem)]
            want = expected_failure(level, version, check_id)
            got = [v.check for v in violations]
            if got != [want]:
                problems.append(f"{where}: failing {got}, expected [{want!r}]")
    assert not problems, "\n".join(problems)


def test_every_check_revision_has_a_failing_fixture() -> None:
    for check in DEFAULT.checks:
        for since in check.versions:
            level = Level.RESTRICTED  # restricted folders cover every check
            folder = gen.DATA / level.value / f"v1.{since.version.minor}" / "fail"
            names = [p.stem for p in folder.glob(f"{check.id.lower()}*.yaml")]
            names = [n for n in names if re.fullmatch(re.escape(check.id.lower()) + r"\d+", n)]
            assert names, f"{check.id} {since.version}: no failing fixture"
            if check.level is Level.BASELINE:
                folder = gen.DATA / "baseline" / f"v1.{since.version.minor}" / "fail"
                assert any(folder.glob(f"{check.id.lower()}0.yaml")), f"{check.id} {since.version}"


def test_committed_fixtures_are_fresh() -> None:
    fresh = gen.generate()
    committed = {
        p.relative_to(gen.DATA).as_posix(): p.read_text(encoding="utf-8")
        for p in gen.DATA.rglob("*.yaml")
    }
    missing = sorted(set(fresh) - set(committed))
    extra = sorted(set(committed) - set(fresh))
    changed = sorted(k for k in set(fresh) & set(committed) if fresh[k] != committed[k])
    assert not (missing or extra or changed), (
        "tests/pss_fixtures/data is stale, run `make fixtures`:"
        f" missing {missing[:5]}, extra {extra[:5]}, changed {changed[:5]}"
    )


def test_generator_rules() -> None:
    """The written versions are exactly where a level's plan changes."""
    assert gen.written_minors(Level.BASELINE) == [0, 19, 27, 29, 31, 32, 34, 35, 37]
    assert gen.written_minors(Level.RESTRICTED) == [
        0, 8, 19, 22, 23, 25, 27, 29, 31, 32, 34, 35, 37,
    ]  # fmt: skip
    assert set(gen.GENERATORS) == {c.id for c in DEFAULT.checks}
