"""The screen's facts (`podgate.pss.marks`) against the checks they stand for.

* Where the facts decide (no `ODD`, no `UNMARKED`), every revision of every `MARKED` check
  gives the same result, faults included, on the pod as on a pod built from the facts alone
  (`described`): so two pods with equal facts get equal results, and the registry may give a
  pod the violations it found for another pod with the same facts.
* The registry's answers from the facts are the reference's, in order, also when the pod is
  suspected of other checks too (their violations are merged in plan order).
* What the registry remembers of the facts is bounded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.pss import LATEST, Level
from podgate.pss import registry as registry_module
from podgate.pss.marks import (
    APE,
    MARKED,
    NO_DROP,
    NON_ROOT_BAD,
    NON_ROOT_UNSET,
    POD_NON_ROOT,
    POD_NON_ROOT_BAD,
    POD_ROOT_USER,
    POD_SECCOMP,
    POD_SECCOMP_BAD,
    ROOT_USER,
    SECCOMP_UNSET,
    UNMARKED,
    USER_NAMESPACE,
    WINDOWS,
)
from podgate.pss.registry import DEFAULT, Registry, discover
from podgate.pss.screen import ODD, screen
from tests.pss.test_pss_checks_properties import json_values, pods
from tests.pss.test_pss_reads import results
from tests.pss.test_pss_screen import FOLDERS, assert_plan_screens_are_supersets, reference
from tests.scan.test_pss_attribution import crowded_pods

REVISIONS = [(c, since) for c in DEFAULT.checks if c.id in MARKED for since in c.versions]
SETTINGS = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def facts_of(meta: Any, spec: Any) -> tuple[int, list[Any]] | None:
    """The screen's result and the pod's facts, or None where they do not decide."""
    facts: list[Any] = []
    screened = screen(meta, spec, [], facts)
    if screened & (ODD | UNMARKED):
        return None
    return screened, facts


def described(screened: int, facts: list[Any]) -> dict[str, Any]:
    """A pod spec with the given facts and nothing else: its containers all in `containers`
    (the checks count them across the three lists alike)."""
    spec: dict[str, Any] = {}
    psc: dict[str, Any] = {}
    items = iter(facts)
    if screened & POD_SECCOMP_BAD:
        psc["seccompProfile"] = {"type": next(items)}
    if screened & POD_SECCOMP:
        psc["seccompProfile"] = {"type": "Localhost"}
    if screened & POD_NON_ROOT:
        psc["runAsNonRoot"] = True
    if screened & POD_NON_ROOT_BAD:
        psc["runAsNonRoot"] = False
    if screened & POD_ROOT_USER:
        psc["runAsUser"] = 0
    if psc:
        spec["securityContext"] = psc
    if screened & WINDOWS:
        spec["os"] = {"name": "windows"}
    if screened & USER_NAMESPACE:
        spec["hostUsers"] = False
    containers: list[dict[str, Any]] = []
    for item in items:
        if type(item) is str:
            containers.append({"name": item, "securityContext": {}})
            continue
        if type(item) is tuple:  # what the last container adds
            containers[-1]["securityContext"]["capabilities"]["add"] = list(item)
            continue
        sc = containers[-1]["securityContext"]
        if not item & APE:
            sc["allowPrivilegeEscalation"] = False
        sc["capabilities"] = {} if item & NO_DROP else {"drop": ["ALL"]}
        if item & NON_ROOT_BAD:
            sc["runAsNonRoot"] = False
        elif not item & NON_ROOT_UNSET:
            sc["runAsNonRoot"] = True
        if not item & SECCOMP_UNSET:
            sc["seccompProfile"] = {"type": "RuntimeDefault"}
        if item & ROOT_USER:
            sc["runAsUser"] = 0
    if containers:
        spec["containers"] = containers
    return spec


def assert_facts_decide(meta: Any, spec: Any) -> None:
    found = facts_of(meta, spec)
    if found is not None:
        assert results(meta, spec, REVISIONS) == results({}, described(*found), REVISIONS), found


# values of the fields the facts read, of every type the checks tell apart; those that make
# the facts undecided (`UNMARKED`) drawn less often, so that most pods are decided
odd = st.sampled_from([None, True, False, 0, 1, -1, 1.0, 0.0, "", "0", "false", [], {}])
kinds = st.sampled_from(["RuntimeDefault", "Localhost", "Unconfined", ""])
allowed = st.sampled_from(["RuntimeDefault", "Localhost"])
seccomp_profiles = st.one_of(
    st.fixed_dictionaries({"type": allowed}),
    st.fixed_dictionaries({"type": allowed}),
    st.fixed_dictionaries({"type": kinds}),
    odd,
    st.fixed_dictionaries({"type": st.sampled_from([None, 1, ["x"]])}),
)
cap_names = st.sampled_from(["ALL", "all", "NET_BIND_SERVICE", "CHOWN", "SYS_ADMIN"])
cap_lists = st.one_of(
    st.lists(cap_names, max_size=3),
    st.lists(cap_names, min_size=1, max_size=2).map(tuple),
    st.sampled_from(["ALL", None]),
)
capabilities = st.one_of(
    st.fixed_dictionaries({}, optional={"drop": cap_lists, "add": cap_lists}),
    st.fixed_dictionaries({}, optional={"drop": cap_lists, "add": cap_lists}),
    st.fixed_dictionaries({}, optional={"drop": cap_lists, "add": cap_lists}),
    odd,
    st.fixed_dictionaries({"add": st.lists(st.sampled_from([1, None, "CHOWN"]), max_size=2)}),
)


@st.composite
def odd_contexts(draw: st.DrawFn, pod: bool) -> Any:
    if draw(st.integers(0, 19)) == 0:
        return draw(odd)
    sc: dict[str, Any] = {}
    fields: dict[str, Any] = {
        "runAsNonRoot": odd,
        "runAsUser": st.one_of(odd, st.sampled_from([1000, 65534, 2**63])),
        "seccompProfile": seccomp_profiles,
    }
    if not pod:
        fields["allowPrivilegeEscalation"] = odd
        fields["capabilities"] = capabilities
    for field, values in fields.items():
        if draw(st.booleans()):
            sc[field] = draw(values)
    return sc


@st.composite
def odd_pods(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    spec: dict[str, Any] = {}
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        if draw(st.booleans()):
            found = []
            for _ in range(draw(st.integers(0, 3))):
                c: dict[str, Any] = {}
                if draw(st.integers(0, 9)):
                    c["name"] = draw(st.sampled_from(["a", "b", ""]))
                elif draw(st.booleans()):
                    c["name"] = draw(st.sampled_from([None, 7, ""]))
                if draw(st.integers(0, 4)):
                    c["securityContext"] = draw(odd_contexts(pod=False))
                found.append(c)
            spec[list_name] = found
    if draw(st.booleans()):
        spec["securityContext"] = draw(odd_contexts(pod=True))
    if draw(st.integers(0, 3)) == 0:
        spec["os"] = draw(
            st.sampled_from([None, {}, {"name": "windows"}, {"name": "linux"}, "windows"])
        )
    if draw(st.integers(0, 3)) == 0:
        spec["hostUsers"] = draw(st.sampled_from([None, False, True, 0]))
    return {}, spec


@SETTINGS
@given(st.one_of(odd_pods(), pods(), crowded_pods()))
def test_the_facts_decide_the_marked_checks_on_generated_pods(
    pod: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    assert_facts_decide(*pod)
    assert_plan_screens_are_supersets(*pod)


@SETTINGS
@given(json_values, json_values)
def test_the_facts_decide_the_marked_checks_on_any_json(meta: Any, spec: Any) -> None:
    assert_facts_decide(meta, spec)


@pytest.mark.shared
@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_the_facts_decide_the_marked_checks_on_the_conformance_fixtures(folder: Path) -> None:
    for path in sorted(folder.glob("*/*.yaml")):
        pod = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        assert_facts_decide(pod.get("metadata"), pod.get("spec"))


@pytest.mark.parametrize(
    "spec",
    [
        {"containers": [{"name": "a"}]},
        {
            "securityContext": {"seccompProfile": {"type": "Unconfined"}},
            "containers": [{"name": "a"}],
        },
        {"hostUsers": False, "containers": [{"name": "a", "securityContext": {"runAsUser": 0}}]},
        {"os": {"name": "windows"}, "containers": [{"name": "a"}]},
        {"os": {"name": "linux"}, "containers": [{"name": "a"}]},
        {"containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["CHOWN"]}}}]},
        {
            "securityContext": {"runAsNonRoot": False, "runAsUser": 0},
            "initContainers": [{"name": "i", "securityContext": {"runAsNonRoot": True}}],
            "containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsUser": 7}}],
        },
    ],
    ids=["bare", "pod-unconfined", "user-namespace", "windows", "linux", "adds", "several"],
)
def test_the_facts_of_common_pods_decide(spec: dict[str, Any]) -> None:
    """Each pod here is decided by its facts (no `UNMARKED`), and gets the same results as the
    pod its facts describe."""
    assert facts_of({}, spec) is not None
    assert_facts_decide({}, spec)


def count_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The check bits the registry's runs of checks were asked for, one int per run."""
    asked: list[int] = []
    checks = registry_module._checks

    def counting(compiled: Any, suspects: int, *args: Any) -> Any:
        asked.append(suspects)
        return checks(compiled, suspects, *args)

    monkeypatch.setattr(registry_module, "_checks", counting)
    return asked


def _pod(uid: int, **sc: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    c = {"name": "app", "securityContext": {"runAsUser": uid, **sc}}
    return {}, {"containers": [c], "initContainers": [{"name": "init"}]}


def test_a_pod_with_the_facts_of_one_judged_before_gets_its_violations_without_the_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = Registry(discover(), builtin=discover(), remember=False)
    asked = count_checks(monkeypatch)
    one, other = _pod(1000), _pod(2000)
    for pod in (one, other):
        got = registry.evaluate(Level.RESTRICTED, LATEST, *pod)
        want = reference(Level.RESTRICTED, LATEST, *pod)
        assert list(got) == want
        assert [v.faults for v in got] == [v.faults for v in want]
    assert len(asked) == 1  # the second pod: from the facts of the first


@pytest.mark.parametrize(
    "extra",
    [{"privileged": True}, {"procMount": "Unmasked"}, {"seLinuxOptions": {"type": "spc_t"}}],
    ids=["privileged", "procMount", "seLinuxOptions"],
)
def test_a_pod_suspected_of_other_checks_too_gets_them_merged_in_plan_order(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any]
) -> None:
    registry = Registry(discover(), builtin=discover(), remember=False)
    asked = count_checks(monkeypatch)
    one, other = _pod(1000, **extra), _pod(2000, **extra)
    for pod in (one, other):
        got = registry.evaluate(Level.RESTRICTED, LATEST, *pod)
        want = reference(Level.RESTRICTED, LATEST, *pod)
        assert list(got) == want
        assert [v.faults for v in got] == [v.faults for v in want]
        assert {v.check for v in got} - MARKED  # another check failed too
    first, second = asked
    assert second & first == second != first  # only the other checks ran for the second pod


def test_the_facts_remembered_are_bounded() -> None:
    """Pods with names never seen: the registry keeps at most `_FACTS_BYTES` for their facts
    and violations; a pod whose facts and violations hold more than a 64th is not kept."""
    registry = Registry(discover(), builtin=discover(), remember=False)
    bound = registry_module._FACTS_BYTES
    for i in range(3000):
        spec = {"containers": [{"name": f"container-{i:05d}-{'x' * 200}"}]}
        registry.evaluate(Level.RESTRICTED, LATEST, {}, spec)
        assert registry._facts.used <= bound
    held = sum(len(t) for t in registry._facts.tables)
    assert 0 < held < 3000
    registry = Registry(discover(), builtin=discover(), remember=False)
    spec = {"containers": [{"name": "y" * (bound >> 6)}]}
    registry.evaluate(Level.RESTRICTED, LATEST, {}, spec)
    assert registry._facts.used == 0
