"""The pod-shape key (`pss.reads.key`) the registry remembers violations by.

* Derived from the checks: a recording run of every revision of every built-in check reads
  nothing but what `reads.ALWAYS_KEYED` and `reads.READS` name for its screen bit, on every
  upstream conformance fixture and on generated pods; and changing any field they name changes
  the key.
* Every check gives the same result, faults included, on the pod the key describes (`as_pod`)
  as on the pod itself, on the fixtures and on generated pods built to vary what the key cuts
  down (volumes, ports, probes, lifecycle handlers, annotations), wrong types included; the key
  keeps each value's type.
* The memo is adaptive per plan: it stops keying when shapes do not repeat, tries again later,
  and whatever it does, every answer is a fresh evaluation's."""

from __future__ import annotations

import copy
import marshal
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.pss import LATEST, Level, evaluate, reads, v1
from podgate.pss import registry as registry_module
from podgate.pss.fields import EMPTY, as_obj, pod_contexts, security_contexts
from podgate.pss.model import Check, CheckId, Since
from podgate.pss.reads import ALWAYS_KEYED, MAX_KEY, READS, as_pod, key
from podgate.pss.registry import DEFAULT, Registry, discover
from podgate.pss.screen import ALWAYS, bit_of
from tests.pss.test_pss_checks_properties import json_values, pods
from tests.pss.test_pss_screen import reference
from tests.scan.test_pss_attribution import crowded_pods

REVISIONS = [(check, since) for check in DEFAULT.checks for since in check.versions]


def results(meta: Any, spec: Any, revisions: list[tuple[Check, Since]] = REVISIONS) -> list[Any]:
    """Every revision of every built-in check (or of `revisions`) run on the pod (nothing
    skipped)."""
    meta = EMPTY if meta is None else as_obj(meta)
    spec = EMPTY if spec is None else as_obj(spec)
    contexts = security_contexts(spec)
    return [since.fn(meta, spec, contexts) for _, since in revisions]


def assert_key_describes_the_pod(meta: Any, spec: Any) -> None:
    made = key(meta, spec)
    if made is None:
        return
    assert results(*as_pod(made)) == results(meta, spec)


SHARED = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "pss"
FOLDERS = sorted(SHARED.glob("*/v1.*")) if SHARED.is_dir() else []


@pytest.mark.shared
@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_conformance_fixtures_check_alike_through_their_key(folder: Path) -> None:
    for path in sorted(folder.glob("*/*.yaml")):
        pod = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        assert key(meta, spec) is not None, path
        assert_key_describes_the_pod(meta, spec)
        assert_checks_read_only_what_the_key_holds(meta, spec)


# values where the checks compare by value and by type: unset, allowed, forbidden, wrong types
odd = st.sampled_from([None, "", "x", "h", 0, 1, 0.0, False, True, [], {}, ["x"], {"a": 1}])
hosts = st.one_of(odd, st.sampled_from(["", "localhost"]))
sources = st.sampled_from(
    ["configMap", "secret", "emptyDir", "projected", "hostPath", "nfs", "name", "other"]
)


@st.composite
def handlers(draw: st.DrawFn) -> Any:
    """A probe or lifecycle handler: usual ones (no host), ones naming a host, wrong types."""
    if draw(st.integers(0, 6)) == 0:
        return draw(odd)
    handler: dict[str, Any] = {"periodSeconds": draw(st.integers(1, 3))}
    for action in ("httpGet", "tcpSocket", "exec"):
        if draw(st.booleans()):
            if draw(st.integers(0, 5)) == 0:
                handler[action] = draw(odd)
            else:
                handler[action] = {"port": 80, "path": draw(st.sampled_from(["/", "/x"]))}
                if draw(st.booleans()):
                    handler[action]["host"] = draw(hosts)
    return handler


@st.composite
def volumes(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 8)) == 0:
        return draw(odd)
    out = []
    for i in range(draw(st.integers(0, 4))):
        if draw(st.integers(0, 8)) == 0:
            out.append(draw(odd))
            continue
        volume: dict[str, Any] = {"name": draw(st.sampled_from([f"v{i}", "", 7, None]))}
        for source in draw(st.lists(sources, max_size=3)):
            volume[source] = draw(st.one_of(st.just({"path": "/"}), odd))
        out.append(volume)
    return out


@st.composite
def ports(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 8)) == 0:
        return draw(odd)
    out: list[Any] = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 8)) == 0:
            out.append(draw(odd))
        else:
            port: dict[str, Any] = {"containerPort": 80}
            if draw(st.booleans()):
                port["hostPort"] = draw(st.one_of(odd, st.sampled_from([0, 80, -1])))
            out.append(port)
    return out


@st.composite
def shaped_pods(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A generated pod (security contexts of every kind) with what the key cuts down drawn
    widely, and fields no check reads."""
    meta, spec = draw(st.one_of(pods(), crowded_pods()))
    if draw(st.booleans()):
        spec["volumes"] = draw(volumes())
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        found = spec.get(list_name)
        if not isinstance(found, list):
            continue
        for c in found:
            if not isinstance(c, dict):
                continue
            c["env"] = [{"name": "A", "value": draw(st.sampled_from(["1", "2"]))}]
            if draw(st.booleans()):
                c["ports"] = draw(ports())
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if draw(st.integers(0, 2)) == 0:
                    c[probe] = draw(handlers())
            if draw(st.integers(0, 3)) == 0:
                if draw(st.integers(0, 5)) == 0:
                    c["lifecycle"] = draw(odd)
                else:
                    c["lifecycle"] = {
                        hook: draw(handlers())
                        for hook in draw(st.lists(st.sampled_from(["postStart", "preStop"])))
                    }
    if draw(st.booleans()):
        annotations = dict(meta.get("annotations") or {})
        for name in draw(
            st.lists(
                st.sampled_from(
                    [
                        "app",
                        "container.apparmor.security.beta.kubernetes.io/app",
                        "container.seccomp.security.alpha.kubernetes.io/app",
                        "seccomp.security.alpha.kubernetes.io/pod",
                        "container.other/x",
                        "seccompX",
                    ]
                ),
                max_size=3,
            )
        ):
            annotations[name] = draw(st.one_of(odd, st.sampled_from(["unconfined", "localhost/p"])))
        meta["annotations"] = annotations if draw(st.integers(0, 8)) else draw(odd)
    meta["labels"] = {"app": "x"}
    spec["nodeName"] = draw(st.sampled_from(["a", "b"]))
    return meta, spec


SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Recorded(dict[Any, Any]):
    """A JSON object that logs every field read of it, as `<path>.<field>` (`<path>.*` when it
    is iterated)."""

    def __init__(self, value: dict[Any, Any], path: str, log: set[str]) -> None:
        super().__init__(value)
        self.path = path
        self.log = log

    def _read(self, name: Any) -> None:
        self.log.add(f"{self.path}.{name}")

    def get(self, name: Any, default: Any = None) -> Any:
        self._read(name)
        return super().get(name, default)

    def __getitem__(self, name: Any) -> Any:
        self._read(name)
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        self._read(name)
        return super().__contains__(name)

    def __iter__(self) -> Iterator[Any]:
        self._read("*")
        return super().__iter__()

    def keys(self) -> Any:
        self._read("*")
        return super().keys()

    def items(self) -> Any:
        self._read("*")
        return super().items()

    def values(self) -> Any:
        self._read("*")
        return super().values()


_CONTAINER_LISTS = ("spec.initContainers", "spec.containers", "spec.ephemeralContainers")


def recorded(value: Any, path: str, log: set[str]) -> Any:
    """`value` with every object in it `Recorded` (a container's fields under `container`)."""
    if type(value) is list:
        item = "container" if path in _CONTAINER_LISTS else path
        return [recorded(v, item, log) for v in value]
    if type(value) is dict:
        return Recorded({k: recorded(v, f"{path}.{k}", log) for k, v in value.items()}, path, log)
    return value


def covered(read: str, fields: frozenset[str]) -> bool:
    return any(read == f or read.startswith(f + ".") for f in fields)


def assert_checks_read_only_what_the_key_holds(meta: Any, spec: Any) -> None:
    """Each revision of each check, run on the pod, reads only what the key holds when its
    bit is suspect (`ALWAYS_KEYED` and its `READS`)."""
    if key(meta, spec) is None:
        return  # such a pod is never remembered
    log: set[str] = set()
    meta, spec = recorded(meta, "meta", log), recorded(spec, "spec", log)
    contexts = pod_contexts(spec)  # the registry's reads (the key holds the list)
    for check, since in REVISIONS:
        log.clear()
        since.fn(meta, spec, contexts)
        keyed = ALWAYS_KEYED | READS[bit_of(check, check)]
        unkeyed = sorted(read for read in log if not covered(read, keyed))
        assert not unkeyed, (check.id, since.version, unkeyed)


def test_the_recording_sees_a_read_of_a_field_the_key_leaves_out() -> None:
    """The guard itself: a check reading `spec.nodeName` (never keyed) is caught."""
    log: set[str] = set()
    spec = recorded({"nodeName": "n", "containers": [{"name": "a", "image": "i"}]}, "spec", log)
    spec.get("nodeName")
    pod_contexts(spec)[0][0].get("image")
    assert not any(covered("spec.nodeName", ALWAYS_KEYED | fields) for fields in READS.values())
    assert {"spec.nodeName", "container.image"} <= log


def test_every_screen_bit_has_its_reads_named() -> None:
    bits = {bit_of(check, check) for check in DEFAULT.checks}
    assert bits == set(READS)
    assert ALWAYS not in bits


# a field each key holds, by name: two values the key must tell apart
_CHANGES: dict[str, tuple[Any, Any]] = {
    "meta.annotations": (
        {"container.apparmor.security.beta.kubernetes.io/a": "x"},
        {"container.apparmor.security.beta.kubernetes.io/a": "y"},
    ),
    "spec.volumes": ([{"name": "v", "hostPath": {"path": "/x"}}], [{"name": "v", "nfs": {}}]),
    "container.livenessProbe": ({"httpGet": {"host": "x"}}, {"httpGet": {"host": "y"}}),
    "container.readinessProbe": ({"tcpSocket": {"host": "x"}}, {"tcpSocket": {"host": "y"}}),
    "container.startupProbe": ({"httpGet": {"host": "x"}}, {"tcpSocket": {"host": "x"}}),
    "container.lifecycle": (
        {"postStart": {"httpGet": {"host": "x"}}},
        {"preStop": {"httpGet": {"host": "x"}}},
    ),
    "container.ports": ([{"hostPort": 80}], [{"hostPort": 81}]),
}


@pytest.mark.parametrize("bit", sorted(READS))
def test_changing_a_field_the_key_holds_for_a_bit_changes_the_key(bit: int) -> None:
    for field in sorted(ALWAYS_KEYED | READS[bit]):
        where, name = field.split(".")
        keys = []
        for value in _CHANGES.get(field, ({"v": "x"}, {"v": "y"})):
            meta: dict[str, Any] = {}
            container: dict[str, Any] = {"name": "a", "securityContext": {}}
            spec: dict[str, Any] = {"containers": [container]}
            {"meta": meta, "spec": spec, "container": container}[where][name] = value
            keys.append(key(meta, spec))
        assert None not in keys
        assert keys[0] != keys[1], field


@SETTINGS
@given(shaped_pods())
def test_generated_pods_are_read_only_where_the_key_holds(
    pod: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    assert_checks_read_only_what_the_key_holds(*pod)


@SETTINGS
@given(shaped_pods())
def test_generated_pods_check_alike_through_their_key(
    pod: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    assert_key_describes_the_pod(*pod)


@SETTINGS
@given(json_values, json_values)
def test_any_json_checks_alike_through_its_key(meta: Any, spec: Any) -> None:
    assert_key_describes_the_pod(meta, spec)


@SETTINGS
@given(shaped_pods(), st.sampled_from([v1(0), v1(18), v1(25), v1(34), v1(35), LATEST]))
def test_a_remembered_shape_gives_what_a_fresh_evaluation_gives(
    pod: tuple[dict[str, Any], dict[str, Any]], version: Any
) -> None:
    """Every check of the plan run on the pod (nothing skipped, nothing remembered) against
    the default registry, which has seen every pod generated before, at both levels."""
    for level in (Level.BASELINE, Level.RESTRICTED):
        got = evaluate(level, version, *pod)
        again = evaluate(level, version, *copy.deepcopy(pod))
        want = reference(level, version, *pod)
        assert list(got) == want == list(again)
        assert [v.faults for v in got] == [v.faults for v in want] == [v.faults for v in again]


def _pod(sc: dict[str, Any], **spec: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"containers": [{"name": "a", "securityContext": sc}], **spec}


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (_pod({"privileged": True}), _pod({"privileged": 1})),
        (_pod({"runAsUser": 1}), _pod({"runAsUser": True})),
        (_pod({"runAsUser": 1}), _pod({"runAsUser": 1.0})),
        (_pod({"runAsNonRoot": True}), _pod({"runAsNonRoot": 1})),
        (_pod({}, hostPID=True), _pod({}, hostPID=1)),
        (_pod({}, hostUsers=False), _pod({}, hostUsers=0)),
        (_pod({"capabilities": {"drop": ["ALL"]}}), _pod({"capabilities": {"drop": ("ALL",)}})),
    ],
)
def test_values_equal_in_python_but_of_another_type_get_another_key(
    one: tuple[dict[str, Any], dict[str, Any]], other: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """`True == 1 == 1.0` in Python (and they hash alike), but the checks tell them apart: a
    key that did not would hand one pod the other's verdict."""
    assert key(*one) != key(*other)
    for level in (Level.BASELINE, Level.RESTRICTED):
        for pod in (one, other, one):  # each evaluated after the other was remembered
            assert list(evaluate(level, LATEST, *pod)) == reference(level, LATEST, *pod)


def test_replicas_of_one_template_share_a_key_and_a_forbidden_field_changes_it() -> None:
    def replica(token: str, image: str) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"name": f"web-{token}", "annotations": {"team": token}}, {
            "volumes": [{"name": f"kube-api-access-{token}", "projected": {"sources": []}}],
            "containers": [
                {
                    "name": "web",
                    "image": image,
                    "ports": [{"containerPort": 80}],
                    "livenessProbe": {"httpGet": {"path": "/", "port": 80}},
                    "securityContext": {"allowPrivilegeEscalation": False},
                }
            ],
        }

    made = key(*replica("abc", "web:1"))
    assert made is not None
    assert made == key(*replica("xyz", "web:2"))
    meta, spec = replica("abc", "web:1")
    for change in (
        lambda: spec["volumes"][0].update(hostPath={"path": "/"}),
        lambda: spec["containers"][0]["ports"][0].update(hostPort=80),
        lambda: spec["containers"][0]["livenessProbe"]["httpGet"].update(host="h"),
        lambda: meta["annotations"].update({"seccomp.security.alpha.kubernetes.io/pod": "x"}),
        lambda: spec.update(hostUsers=False),
    ):
        before = key(meta, spec)
        change()
        assert key(meta, spec) != before


@pytest.mark.parametrize(
    ("meta", "spec"),
    [
        ([], {}),
        ({}, "x"),
        ({}, {"containers": "x"}),
        ({}, {"containers": [None]}),
        ({}, {"initContainers": [{"name": "a"}, "b"]}),
        ({}, {"containers": [{"name": "a", "securityContext": {"runAsUser": object()}}]}),
        ({}, {"securityContext": {"sysctls": [{"name": "k" * MAX_KEY}]}}),
    ],
)
def test_shapes_outside_plain_json_get_no_key_and_are_evaluated_afresh(
    meta: Any, spec: Any
) -> None:
    assert key(meta, spec) is None
    for level in (Level.BASELINE, Level.RESTRICTED):
        assert list(evaluate(level, LATEST, meta, spec)) == reference(level, LATEST, meta, spec)


def test_a_plan_with_a_check_the_key_does_not_know_remembers_nothing() -> None:
    """A registry's own check may read what the key leaves out: every pod runs it."""
    builtin = discover()
    seen: list[Any] = []

    def record(meta: Any, spec: Any, contexts: Any) -> None:
        seen.append(spec.get("nodeName"))

    mine = [*builtin, Check(CheckId("zzOwn"), Level.BASELINE, (Since(v1(0), record),))]
    registry = Registry(mine, builtin=builtin)
    for node in ("a", "b"):
        registry.evaluate(Level.BASELINE, LATEST, {}, {"nodeName": node, "containers": [{}]})
    assert seen == ["a", "b"]


def _distinct(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A pod of its own shape (its container's name), failing both levels."""
    return {}, {"containers": [{"name": f"c{i}", "securityContext": {"privileged": True}}]}


def count_keys(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A one-item list counting the shape keys the registry makes."""
    made = [0]

    def counting(*args: Any) -> bytes | None:
        made[0] += 1
        return key(*args)

    monkeypatch.setattr(registry_module, "key", counting)
    return made


def test_a_plan_whose_shapes_do_not_repeat_stops_keying_and_tries_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = count_keys(monkeypatch)
    registry = Registry(discover(), builtin=discover())
    trial, pause = registry_module._TRIAL, registry_module._PAUSE
    for i in range(trial + pause + trial):
        meta, spec = _distinct(i)
        got = registry.evaluate(Level.BASELINE, LATEST, meta, spec)
        assert list(got) == reference(Level.BASELINE, LATEST, meta, spec)
    assert made == [2 * trial]  # the first trial, the pause, the second trial
    # the other plans were not asked, and keep keying
    registry.evaluate(Level.RESTRICTED, LATEST, *_distinct(0))
    assert made == [2 * trial + 1]


@pytest.mark.parametrize("level", [Level.RESTRICTED, Level.BASELINE])
@pytest.mark.parametrize("short", [1, 0], ids=["one-hit-short", "at-break-even"])
def test_a_plan_one_hit_short_of_its_break_even_stops_keying_one_at_it_keeps_keying(
    monkeypatch: pytest.MonkeyPatch, level: Level, short: int
) -> None:
    made = count_keys(monkeypatch)
    registry = Registry(discover(), builtin=discover())
    trial = registry_module._TRIAL
    min_hits = registry._compiled[level][-1].min_hits
    assert min_hits == math.ceil(trial * registry_module._BREAK_EVEN[level])
    hits = min_hits - short
    # one trial: a shape, `hits` replicas of it, then shapes never seen
    pods = [_distinct(0)] * (1 + hits) + [_distinct(i) for i in range(1, trial - hits)]
    for meta, spec in pods:
        got = registry.evaluate(level, LATEST, meta, spec)
        assert list(got) == reference(level, LATEST, meta, spec)
    assert made == [trial]
    registry.evaluate(level, LATEST, *_distinct(0))
    assert made == [trial + (1 - short)]  # paused when short, else keying on


def count_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A one-item list counting the plan runs (evaluations not answered from memory)."""
    runs = [0]
    run = registry_module._run

    def counting(*args: Any) -> Any:
        runs[0] += 1
        return run(*args)

    monkeypatch.setattr(registry_module, "_run", counting)
    return runs


def test_a_plan_whose_shapes_repeat_keeps_keying_and_answers_from_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = Registry(discover(), builtin=discover())
    runs = count_runs(monkeypatch)
    for i in range(3 * registry_module._TRIAL):
        meta, spec = _distinct(i % 8)
        got = registry.evaluate(Level.RESTRICTED, LATEST, meta, spec)
        assert list(got) == reference(Level.RESTRICTED, LATEST, meta, spec)
    assert runs == [8]


def test_a_registry_that_remembers_nothing_evaluates_every_pod(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = Registry(discover(), builtin=discover(), remember=False)
    runs = count_runs(monkeypatch)
    for _ in range(3):
        registry.evaluate(Level.RESTRICTED, LATEST, *_distinct(0))
    assert runs == [3]


def reference_key(meta: Any, spec: Any) -> bytes | None:
    """The key as `reads.key` made it before its usual cases were tested inline: every cut-down
    by its helper. `key` must describe the same pod (the same value, type for type)."""
    if type(meta) is not dict or type(spec) is not dict:
        return None
    annotations = meta.get("annotations")
    if type(annotations) is dict:
        annotations = reads._read_annotations(annotations)
    volumes = spec.get("volumes")
    if type(volumes) is list:
        volumes = reads._read_volumes(volumes)
    read: list[Any] = [
        annotations,
        *(spec.get(name) for name in ("hostNetwork", "hostPID", "hostIPC")),
        volumes,
        *(spec.get(name) for name in ("securityContext", "os", "hostUsers")),
    ]
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        found = spec.get(list_name)
        if found is None:
            read.append(None)
            continue
        if type(found) is not list:
            return None
        out = []
        for c in found:
            if type(c) is not dict:
                return None
            ports = c.get("ports")
            handlers = ("livenessProbe", "readinessProbe", "startupProbe", "lifecycle")
            out.append(
                (
                    c.get("name"),
                    c.get("securityContext"),
                    None if ports is None else reads._read_ports(ports),
                    None if c.keys().isdisjoint(handlers) else reads._read_hosts(c),
                )
            )
        read.append(out)
    try:
        made = marshal.dumps(read)
    except ValueError:
        return None
    return made if len(made) <= MAX_KEY else None


def assert_key_is_the_reference(meta: Any, spec: Any) -> None:
    """`key` and `reference_key` describe the same value, type for type (marshal's format 2
    writes no references: equal bytes are equal values of equal types)."""
    made, want = key(meta, spec), reference_key(meta, spec)
    assert (made is None) == (want is None)
    if made is not None and want is not None:
        assert marshal.dumps(marshal.loads(made), 2) == marshal.dumps(marshal.loads(want), 2)


@SETTINGS
@given(shaped_pods())
def test_generated_pods_get_the_reference_key(pod: tuple[dict[str, Any], dict[str, Any]]) -> None:
    assert_key_is_the_reference(*pod)


@SETTINGS
@given(json_values, json_values)
def test_any_json_gets_the_reference_key(meta: Any, spec: Any) -> None:
    assert_key_is_the_reference(meta, spec)


_ANNOTATION = st.sampled_from(
    [
        "app",
        "container.apparmor.security.beta.kubernetes.io/app",
        "seccomp.security.alpha.kubernetes.io/pod",
        "a\ncontainer.x",
        "a\nseccomp.x",
        "x\ncontainerX",
        "\n",
        "",
        "containerX",
        "seccompX",
    ]
)


class _Str(str):
    """A string of another type: the key keeps every annotation then (marshal refuses it)."""


@SETTINGS
@given(
    st.dictionaries(
        st.one_of(_ANNOTATION, _ANNOTATION.map(_Str), st.sampled_from([1, None, True])),
        st.sampled_from(["x", "unconfined", 1]),
        max_size=4,
    )
)
def test_annotations_get_the_reference_key(annotations: dict[Any, Any]) -> None:
    """The inline test of the annotations' names (joined by newlines) against the helper's."""
    assert_key_is_the_reference({"annotations": annotations}, {"containers": [{"name": "a"}]})
