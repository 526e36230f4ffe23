"""The registry's shortcuts against a plain reference that runs every check of the plan on
every pod: the screen (a check whose bit is clear is skipped), the contexts it collects, and
the remembered results must change nothing, violations and faults included.

The screen is checked check by check too: every revision of every built-in check, at every
version, must allow a pod whose screen bit for it is clear, on every upstream conformance
fixture and on generated and arbitrary JSON pods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.pss import LATEST, Level, Version, Violation, evaluate, v1
from podgate.pss.fields import EMPTY, as_obj, security_contexts
from podgate.pss.registry import DEFAULT, Registry, discover
from podgate.pss.screen import ALL, ALWAYS, ODD, bit_of, screen
from tests.pss.test_pss_checks_properties import json_values, pods
from tests.scan.test_pss_attribution import crowded_pods

LEVELS = (Level.BASELINE, Level.RESTRICTED)
REVISIONS = [(check, since) for check in DEFAULT.checks for since in check.versions]


def reference(level: Level, version: Version, meta: Any, spec: Any) -> list[Violation]:
    """Every check of the plan run on the pod, in order, with nothing skipped."""
    meta = EMPTY if meta is None else as_obj(meta)
    spec = EMPTY if spec is None else as_obj(spec)
    contexts = security_contexts(spec)
    out = []
    for check_id, fn in DEFAULT.plan(level, version):
        result = fn(meta, spec, contexts)
        if result is not None:
            out.append(Violation(check_id, *result))
    return out


def assert_like_reference(meta: Any, spec: Any, version: Version) -> None:
    for level in LEVELS:
        got = evaluate(level, version, meta, spec)
        want = reference(level, version, meta, spec)
        assert list(got) == want
        assert [v.faults for v in got] == [v.faults for v in want]


def assert_screen_is_a_superset(meta: Any, spec: Any) -> None:
    """No revision of a check forbids the pod when the screen clears the check."""
    collected: list[Any] = []
    bits = screen(meta, spec, collected, [])
    meta = EMPTY if meta is None else as_obj(meta)
    spec = EMPTY if spec is None else as_obj(spec)
    contexts = security_contexts(spec)
    if not bits & ODD:
        assert collected == list(contexts)
    for check, since in REVISIONS:
        if not bits & bit_of(check, check):
            assert since.fn(meta, spec, contexts) is None, (check.id, since.version)


BITS = {c.id: bit_of(c, c) for c in DEFAULT.checks}
PLANS = [
    (level, DEFAULT.plan(level, v1(minor)))
    for level in LEVELS
    for minor in range(DEFAULT.max_version.minor + 1)
]
MARKS = ~ALL | ODD  # the screen's marks and pod bits (`marks.py`), and ODD


def plan_bits(plan: Any) -> int:
    wanted = ALWAYS
    for check_id, _ in plan:
        wanted |= BITS[check_id]
    return wanted


def assert_plan_screens_are_supersets(meta: Any, spec: Any) -> None:
    """The screen a plan asks (`wanted`: its checks' bits, which may leave other bits unset)
    clears none of the plan's checks that forbid the pod, collects the same contexts, and with
    facts writes down the same facts and marks as the whole screen."""
    whole_facts: list[Any] = []
    whole = screen(meta, spec, [], whole_facts)
    obj_meta = EMPTY if meta is None else as_obj(meta)
    obj_spec = EMPTY if spec is None else as_obj(spec)
    contexts = security_contexts(obj_spec)
    for _, plan in PLANS:
        wanted = plan_bits(plan)
        collected: list[Any] = []
        bits = screen(meta, spec, collected, None, wanted)
        if not bits & ODD:
            assert collected == list(contexts)
        for check_id, fn in plan:
            if not bits & BITS[check_id]:
                assert fn(obj_meta, obj_spec, contexts) is None, check_id
        facts: list[Any] = []
        bits = screen(meta, spec, [], facts, wanted)
        assert bits & MARKS == whole & MARKS
        assert facts == whole_facts


SHARED = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "pss"
FOLDERS = sorted(SHARED.glob("*/v1.*")) if SHARED.is_dir() else []


@pytest.mark.shared
@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_conformance_fixtures_screen_and_evaluate_as_the_reference(folder: Path) -> None:
    version = v1(int(folder.name.removeprefix("v1.")))
    for path in sorted(folder.glob("*/*.yaml")):
        pod = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        meta, spec = pod.get("metadata"), pod.get("spec")
        assert_screen_is_a_superset(meta, spec)
        assert_plan_screens_are_supersets(meta, spec)
        assert_like_reference(meta, spec, version)
        assert_like_reference(meta, spec, LATEST)


versions = st.sampled_from([v1(0), v1(18), v1(19), v1(22), v1(25), v1(31), v1(35), LATEST])
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.one_of(pods(), crowded_pods()), versions)
def test_generated_pods_screen_and_evaluate_as_the_reference(
    pod: tuple[dict[str, Any], dict[str, Any]], version: Version
) -> None:
    assert_screen_is_a_superset(*pod)
    assert_plan_screens_are_supersets(*pod)
    assert_like_reference(*pod, version)


@SETTINGS
@given(json_values, json_values, versions)
def test_any_json_screens_and_evaluates_as_the_reference(
    meta: Any, spec: Any, version: Version
) -> None:
    assert_screen_is_a_superset(meta, spec)
    assert_plan_screens_are_supersets(meta, spec)
    assert_like_reference(meta, spec, version)


def test_repeated_pods_get_the_same_results_as_the_first_time() -> None:
    """The remembered results (per container name and index) are the values computed fresh."""
    spec: dict[str, Any] = {"containers": [{"name": "a"}, {"name": "b"}]}
    first = evaluate(Level.RESTRICTED, LATEST, {}, spec)
    again = evaluate(Level.RESTRICTED, LATEST, {}, {"containers": [{"name": "a"}, {"name": "b"}]})
    assert again == first
    assert [v.faults for v in again] == [v.faults for v in first]
    other = evaluate(Level.RESTRICTED, LATEST, {}, {"containers": [{"name": "b"}, {"name": "a"}]})
    assert [v.faults for v in other] != [v.faults for v in first]


def test_a_check_the_screen_does_not_know_always_runs() -> None:
    """A registry's own check (not one of the built-in check objects) is never skipped, even
    under a built-in ID."""
    builtin = discover()
    mine = [c for c in builtin if c.id != "privileged"]
    ran: list[str] = []

    def record(meta: Any, spec: Any, contexts: Any) -> None:
        ran.append("x")
        return

    from podgate.pss.model import Check, CheckId, Since

    mine.append(Check(CheckId("privileged"), Level.BASELINE, (Since(v1(0), record),)))
    registry = Registry(mine, builtin=builtin)
    assert bit_of(mine[-1], next(c for c in builtin if c.id == "privileged")) == ALWAYS
    registry.evaluate(Level.BASELINE, LATEST, {}, {"containers": [{"name": "a"}]})
    assert ran == ["x"]


def test_the_screen_clears_a_hardened_pod_and_flags_what_it_must() -> None:
    hardened = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "a",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
    }
    assert screen({}, hardened, [], []) & ALL == ALWAYS
    assert screen({}, hardened | {"hostPID": 0}, [], []) & ALL != ALWAYS  # not false: fails
    assert screen([], hardened, [], []) == ALL
