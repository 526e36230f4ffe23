"""Whom a PSS finding names: the checks' own faults (one pass) give exactly the findings of the
former attribution, which re-ran the evaluation on the pod without containers and on the pod
with each container alone. The former way is kept here as the reference and compared finding
for finding (container, field, message, control) on every upstream conformance fixture and on
hypothesis-generated pods, malformed ones included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.io.catalog import load_catalog
from podgate.k8s import mapping
from podgate.k8s.field import FieldPath
from podgate.k8s.objects import CONTAINER_LISTS, ContainerList
from podgate.pss import LATEST, Level, LevelVersion, Version, Violation, evaluate, v1
from podgate.scan.controls import Catalog, pss_control
from podgate.scan.findings import _CONTROL_LEAF, _POD_LEAF, Finding, _finding, pss_findings
from podgate.scan.inventory import Workload, WorkloadRef
from tests.pss.test_pss_checks_properties import container, json_values, pods

CATALOG = load_catalog()
LEVELS = (Level.BASELINE, Level.RESTRICTED)


def _container_names(spec: Any) -> list[tuple[ContainerList, int, str]]:
    out = []
    for list_name in CONTAINER_LISTS:
        items = spec.get(list_name)
        if isinstance(items, list):
            for i, c in enumerate(items):
                name = mapping(c).get("name")
                out.append((list_name, i, name if isinstance(name, str) else f"#{i}"))
    return out


def _only(spec: Any, keep: tuple[str, int] | None) -> dict[str, Any]:
    out = {k: v for k, v in spec.items() if k not in CONTAINER_LISTS}
    if keep is not None:
        out[keep[0]] = [spec[keep[0]][keep[1]]]
    return out


def reference_findings(
    w: Workload, lv: LevelVersion, violations: tuple[Violation, ...], catalog: Catalog
) -> list[Finding]:
    """The former `pss_findings`: a failing check is re-run on the pod without containers and
    with each container alone."""
    if not violations:
        return []
    failing = {v.check for v in violations}
    by_check: dict[str, list[tuple[str | None, str, FieldPath]]] = {c: [] for c in failing}
    spec_at = w.spec_at
    pod_level = {v.check: v for v in evaluate(lv.level, lv.version, w.meta, _only(w.spec, None))}
    for check, v in pod_level.items():
        if check in failing:
            by_check[check].append((None, v.detail, spec_at))
    for list_name, i, name in _container_names(w.spec):
        alone = evaluate(lv.level, lv.version, w.meta, _only(w.spec, (list_name, i)))
        for v in alone:
            if v.check in failing and v.check not in pod_level:
                by_check[v.check].append((name, v.detail, (*spec_at, list_name, i)))
    out = []
    for v in violations:
        places = by_check[v.check] or [(None, v.detail, spec_at)]
        for name, detail, path in places:
            control = catalog.get(pss_control(v.check, detail))
            leaf = (_CONTROL_LEAF if name else _POD_LEAF).get(control.key, ())
            out.append(
                _finding(
                    w,
                    "pss",
                    lv.level,
                    v.check,
                    control,
                    container=name,
                    title=v.reason,
                    message=f"{v.reason} ({detail})" if detail else v.reason,
                    path=(*path, *leaf),
                )
            )
    return out


def workload(meta: Any, spec: Any, spec_path: str = "spec.template.spec") -> Workload:
    ref = WorkloadRef("ns", "Deployment", "w")
    return Workload(ref, "apps/v1", {}, meta, spec, spec_path, None)


def assert_same(meta: Any, spec: Any, level: Level, version: Version) -> bool:
    """Asserts that both ways give the same findings; whether the pod fails."""
    w = workload(meta, spec)
    lv = LevelVersion(level, version)
    violations = evaluate(level, version, meta, spec)
    got = pss_findings(w, lv, violations, CATALOG)
    want = reference_findings(w, lv, violations, CATALOG)
    assert [(f.container, f.path, f.message, f.control.key) for f in got] == [
        (f.container, f.path, f.message, f.control.key) for f in want
    ]
    assert got == want
    return bool(violations)


SHARED = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "pss"
FOLDERS = sorted(SHARED.glob("*/v1.*")) if SHARED.is_dir() else []


@pytest.mark.shared
@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_every_conformance_fixture_is_attributed_as_before(folder: Path) -> None:
    """Each fixture at its folder's version, at both levels (restricted blames what baseline
    does not check), and at latest."""
    failing = 0
    for path in sorted(folder.glob("*/*.yaml")):
        pod = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        for level in LEVELS:
            for version in (v1(int(folder.name.removeprefix("v1."))), LATEST):
                failing += assert_same(meta, spec, level, version)
    assert failing > 0


names = st.sampled_from(["app", "init", "side", "", "app"])


@st.composite
def crowded_pods(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pods with several containers in every list, repeated names and malformed entries (a null
    or a string container, a securityContext that is not an object, a list that is not a list)."""
    meta, spec = draw(pods())
    for list_name in CONTAINER_LISTS:
        if draw(st.booleans()):
            extra = draw(st.lists(container(), max_size=3))
            for c in extra:
                c["name"] = draw(names)
            spec[list_name] = [*spec.get(list_name, []), *extra]
    junk = draw(st.integers(0, 9))
    if junk == 0:
        spec["containers"].append(None)
    elif junk == 1:
        spec["containers"].append("not a container")
    elif junk == 2:
        spec["containers"][0]["securityContext"] = draw(st.sampled_from(["x", [], 3]))
    elif junk == 3:
        spec["initContainers"] = draw(st.sampled_from(["x", {"name": "a"}]))
    elif junk == 4:
        spec["containers"][0]["name"] = draw(st.sampled_from([None, 7, {"a": 1}]))
    if draw(st.integers(0, 2)) == 0:  # arbitrary values where the checks compare strings
        c = spec["containers"][0]
        if isinstance(c, dict):
            word = draw(st.one_of(st.text(max_size=6), st.sampled_from(["Default", "ALL"])))
            field = draw(
                st.sampled_from(["add", "drop", "procMount", "seccomp", "apparmor", "host"])
            )
            sc = c.setdefault("securityContext", {})
            if not isinstance(sc, dict):
                pass
            elif field in ("add", "drop"):
                sc["capabilities"] = {field: [word]}
            elif field == "procMount":
                sc["procMount"] = word
            elif field == "seccomp":
                sc["seccompProfile"] = {"type": word}
            elif field == "apparmor":
                sc["appArmorProfile"] = {"type": word}
            else:
                c["readinessProbe"] = {"tcpSocket": {"port": 1, "host": word}}
        spec["volumes"] = [{"name": "v", draw(st.text(max_size=8)): {}}]
        spec.setdefault("securityContext", {})
        if isinstance(spec["securityContext"], dict):
            spec["securityContext"]["sysctls"] = [{"name": draw(st.text(max_size=8))}]
    if draw(st.integers(0, 3)) == 0:
        meta["annotations"] = {
            "seccomp.security.alpha.kubernetes.io/pod": draw(st.sampled_from(["unconfined", ""])),
            "container.seccomp.security.alpha.kubernetes.io/app": "unconfined",
            "container.apparmor.security.beta.kubernetes.io/side": "unconfined",
        }
    return meta, spec


versions = st.sampled_from([v1(0), v1(18), v1(19), v1(22), v1(25), v1(34), v1(35), LATEST])
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(crowded_pods(), st.sampled_from(LEVELS), versions)
def test_generated_pods_are_attributed_as_before(
    pod: tuple[dict[str, Any], dict[str, Any]], level: Level, version: Version
) -> None:
    assert_same(*pod, level, version)


@SETTINGS
@given(json_values, json_values, st.sampled_from(LEVELS), versions)
def test_any_json_is_attributed_as_before(
    meta: Any, spec: Any, level: Level, version: Version
) -> None:
    if isinstance(spec, dict):
        assert_same(meta, spec, level, version)


def test_a_check_failing_on_the_pod_blames_the_pod_alone_with_its_own_detail() -> None:
    spec = {
        "securityContext": {"runAsNonRoot": False},
        "containers": [{"name": "a", "securityContext": {"runAsNonRoot": False}}],
    }
    w = workload({}, spec)
    lv = LevelVersion(Level.RESTRICTED, LATEST)
    found = [
        f
        for f in pss_findings(w, lv, evaluate(lv.level, lv.version, {}, spec), CATALOG)
        if f.check == "runAsNonRoot"
    ]
    assert [(f.container, f.message) for f in found] == [
        (None, "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)")
    ]


def test_each_container_gets_what_the_check_says_of_it_alone() -> None:
    """Container a sets false, b leaves it unset: the violation names only a (an explicit false
    is reported first), but b fails on its own too, so both are blamed, each in its words."""
    spec = {
        "containers": [
            {"name": "a", "securityContext": {"runAsNonRoot": False}},
            {"name": "b"},
        ]
    }
    w = workload({}, spec, "spec")
    lv = LevelVersion(Level.RESTRICTED, LATEST)
    violations = evaluate(lv.level, lv.version, {}, spec)
    found = [f for f in pss_findings(w, lv, violations, CATALOG) if f.check == "runAsNonRoot"]
    assert [(f.container, f.field, f.message) for f in found] == [
        (
            "a",
            "spec.containers[0].securityContext",
            'runAsNonRoot != true (container "a" must not set securityContext.runAsNonRoot=false)',
        ),
        (
            "b",
            "spec.containers[1].securityContext",
            'runAsNonRoot != true (pod or container "b" must set securityContext.runAsNonRoot=true)',
        ),
    ]
