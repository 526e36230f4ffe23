"""Levels, versions, the registry (with made-up checks, as upstream's registry_test does), the
evaluation order and version selection, the Windows and user-namespace rules, and hostile input."""

from __future__ import annotations

import copy
import types
from typing import Any

import pytest

from podgate.errors import PolicyError, RegistryError
from podgate.pss import (
    LATEST,
    MAX_VERSION,
    Check,
    CheckId,
    Level,
    LevelVersion,
    Since,
    Version,
    Violation,
    evaluate,
    highest_level,
    parse_level,
    parse_version,
    v1,
)
from podgate.pss.fields import Malformed, containers, items, obj, security_contexts, text
from podgate.pss.registry import DEFAULT, Registry, discover

# ---------------------------------------------------------------------------------------- model


@pytest.mark.parametrize("text_", ["privileged", "baseline", "restricted"])
def test_parse_level(text_: str) -> None:
    assert parse_level(text_) is Level(text_)
    assert str(parse_level(text_)) == text_


@pytest.mark.parametrize("bad", ["", "Restricted", "RESTRICTED", " baseline", "baseline ", "none"])
def test_parse_level_rejects(bad: str) -> None:
    with pytest.raises(PolicyError, match=r"^must be one of privileged, baseline, restricted$"):
        parse_level(bad)


def test_level_strictness() -> None:
    assert [lv.strictness for lv in Level] == [0, 1, 2]


@pytest.mark.parametrize(
    ("text_", "minor"), [("v1.0", 0), ("v1.7", 7), ("v1.24", 24), ("v1.99", 99), ("v1.100", 100)]
)
def test_parse_version(text_: str, minor: int) -> None:
    version = parse_version(text_)
    assert version == v1(minor)
    assert str(version) == text_
    assert not version.is_latest


@pytest.mark.parametrize(
    "bad",
    [
        "v1.01",
        "1.24",
        "V1.24",
        "v2.0",
        "v1.24.0",
        "Latest",
        "LATEST",
        "",
        "v1.",
        "v1.-1",
        "v1.2\n",
        "v1.١",  # a non-ASCII digit
        "v1.9223372036854775808",  # beyond int64, like strconv.Atoi
    ],
)
def test_parse_version_rejects(bad: str) -> None:
    with pytest.raises(PolicyError, match=r'^must be "latest" or "v1\.x"$'):
        parse_version(bad)


def test_version_order_and_rendering() -> None:
    assert parse_version("latest") is LATEST
    assert str(LATEST) == "latest"
    assert LATEST.is_latest
    assert v1(0) < v1(9) < v1(10) < v1(37) < v1(99) < parse_version("v1.9223372036854775807")
    assert parse_version("v1.9223372036854775807") < LATEST
    assert sorted([LATEST, v1(10), v1(9)]) == [v1(9), v1(10), LATEST]
    assert str(LevelVersion(Level.RESTRICTED, LATEST)) == "restricted:latest"
    assert str(LevelVersion(Level.BASELINE, v1(24))) == "baseline:v1.24"
    assert v1(37) == MAX_VERSION


def test_violation_is_a_frozen_value() -> None:
    v = Violation("hostPorts", "hostPort", 'container "a" uses hostPort 80')
    with pytest.raises(AttributeError):
        v.check = "x"  # type: ignore[misc]
    assert v == Violation("hostPorts", "hostPort", 'container "a" uses hostPort 80')
    assert not hasattr(v, "__dict__")


# ---------------------------------------------------------------------------------- registry


def _allow(meta: Any, spec: Any, contexts: Any) -> None:
    return None


def _deny(meta: Any, spec: Any, contexts: Any) -> tuple[str, str, tuple[()]]:
    return "no", "", ()


def check(cid: str, level: Level, *versions: Since) -> Check:
    return Check(CheckId(cid), level, versions)


def test_registry_rejects_duplicates() -> None:
    with pytest.raises(RegistryError, match="registered more than once"):
        Registry(
            [
                check("a", Level.BASELINE, Since(v1(0), _allow)),
                check("a", Level.RESTRICTED, Since(v1(0), _allow)),
            ]
        )


@pytest.mark.parametrize(
    "versions",
    [
        (Since(v1(1), _allow), Since(v1(1), _allow)),
        (Since(v1(2), _allow), Since(v1(1), _allow)),
        (Since(LATEST, _allow),),
        (),
    ],
)
def test_registry_rejects_bad_versions(versions: tuple[Since, ...]) -> None:
    with pytest.raises(RegistryError):
        Registry([check("a", Level.BASELINE, *versions)])


def test_registry_rejects_privileged_checks() -> None:
    with pytest.raises(RegistryError, match="invalid level"):
        Registry([check("a", Level.PRIVILEGED, Since(v1(0), _allow))])


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        (
            [
                check("b", Level.BASELINE, Since(v1(0), _allow, (CheckId("c"),))),
                check("c", Level.BASELINE, Since(v1(0), _allow)),
            ],
            "only restricted checks may set overrides",
        ),
        (
            [
                check("r", Level.RESTRICTED, Since(v1(0), _allow, (CheckId("s"),))),
                check("s", Level.RESTRICTED, Since(v1(0), _allow)),
            ],
            "overrides restricted check s",
        ),
        (
            [check("r", Level.RESTRICTED, Since(v1(0), _allow, (CheckId("nope"),)))],
            "overrides unknown check nope",
        ),
    ],
)
def test_registry_rejects_bad_overrides(checks: list[Check], message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        Registry(checks)


def test_registry_plans_order_overrides_and_versions() -> None:
    b_old, b_new, r_fn = (lambda m, s, c: None), (lambda m, s, c: None), (lambda m, s, c: None)
    registry = Registry(
        [
            check("zeta", Level.BASELINE, Since(v1(0), b_old), Since(v1(3), b_new)),
            check("Alpha", Level.BASELINE, Since(v1(2), _allow)),
            check("beta", Level.BASELINE, Since(v1(0), _allow)),
            check("rest", Level.RESTRICTED, Since(v1(1), r_fn, (CheckId("beta"),))),
            check("Rest", Level.RESTRICTED, Since(v1(5), _allow)),
        ]
    )
    assert registry.max_version == v1(5)

    def ids(level: Level, version: Version) -> list[str]:
        return [cid for cid, _ in registry.plan(level, version)]

    assert ids(Level.BASELINE, v1(0)) == ["beta", "zeta"]
    assert ids(Level.BASELINE, v1(2)) == ["Alpha", "beta", "zeta"]  # byte order: upper first
    assert ids(Level.RESTRICTED, v1(0)) == ["beta", "zeta"]
    assert ids(Level.RESTRICTED, v1(1)) == ["zeta", "rest"]  # beta overridden from v1.1
    assert ids(Level.RESTRICTED, v1(5)) == ["Alpha", "zeta", "Rest", "rest"]
    assert ids(Level.RESTRICTED, LATEST) == ids(Level.RESTRICTED, v1(5))
    assert ids(Level.RESTRICTED, v1(1000)) == ids(Level.RESTRICTED, v1(5))
    assert ids(Level.PRIVILEGED, LATEST) == []
    zeta = dict(registry.plan(Level.BASELINE, v1(2)))[CheckId("zeta")]
    assert zeta is b_old
    assert dict(registry.plan(Level.BASELINE, v1(3)))[CheckId("zeta")] is b_new


def test_registry_emulation_lowers_the_maximum() -> None:
    registry = Registry(
        [check("a", Level.BASELINE, Since(v1(0), _allow), Since(v1(4), _deny))], emulation=v1(2)
    )
    assert registry.max_version == v1(2)
    assert registry.evaluate(Level.BASELINE, LATEST, {}, {}) == ()
    assert registry.evaluate(Level.BASELINE, v1(9), {}, {}) == ()


def test_registry_evaluate_builds_violations_in_order() -> None:
    registry = Registry(
        [
            check("b", Level.BASELINE, Since(v1(0), lambda m, s, c: ("rb", "db", ()))),
            check("a", Level.BASELINE, Since(v1(0), lambda m, s, c: ("ra", "", ()))),
            check("r", Level.RESTRICTED, Since(v1(0), lambda m, s, c: ("rr", "dr", ()))),
        ]
    )
    assert registry.evaluate(Level.RESTRICTED, v1(0), {}, {}) == (
        Violation("a", "ra", ""),
        Violation("b", "rb", "db"),
        Violation("r", "rr", "dr"),
    )
    assert registry.evaluate(Level.PRIVILEGED, v1(0), {}, {}) == ()


def test_discover_requires_check_in_every_module(tmp_path: Any) -> None:
    pkg = tmp_path / "fakechecks"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "_helper.py").write_text("X = 1\n")
    (pkg / "good.py").write_text(
        "from podgate.pss.model import Check, CheckId, Level, Since, v1\n"
        "CHECK = Check(CheckId('good'), Level.BASELINE, (Since(v1(0), lambda m, s, c: None),))\n"
    )
    module = types.ModuleType("fakechecks")
    module.__path__ = [str(pkg)]  # type: ignore[attr-defined]
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        import fakechecks  # type: ignore[import-not-found]

        assert [c.id for c in discover(fakechecks)] == ["good"]
        (pkg / "bad.py").write_text("CHECK = 1\n")
        with pytest.raises(RegistryError, match="CHECK is missing or not a Check"):
            discover(fakechecks)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("fakechecks")]:
            del sys.modules[name]


def test_default_registry_has_the_nineteen_checks() -> None:
    assert len(DEFAULT.checks) == 19
    assert DEFAULT.max_version == v1(37)
    levels = {c.id: c.level for c in DEFAULT.checks}
    assert sum(1 for lv in levels.values() if lv is Level.BASELINE) == 12
    assert discover() == DEFAULT.checks


BASELINE_ALL = [
    "appArmorProfile",
    "capabilities_baseline",
    "hostNamespaces",
    "hostPathVolumes",
    "hostPorts",
    "privileged",
    "procMount",
    "seLinuxOptions",
    "seccompProfile_baseline",
    "sysctls",
    "windowsHostProcess",
]


def _ids(level: Level, version: Version) -> list[str]:
    return [cid for cid, _ in DEFAULT.plan(level, version)]


def test_spec_check_lists() -> None:
    """Spec 2.2, the table of resulting check lists."""
    with_probes = [*BASELINE_ALL[:5], "hostProbesAndHostLifecycle", *BASELINE_ALL[5:]]
    for minor in range(34):
        assert _ids(Level.BASELINE, v1(minor)) == BASELINE_ALL
    for version in (v1(34), v1(37), LATEST, v1(99)):
        assert _ids(Level.BASELINE, version) == with_probes
    r0 = [x for x in BASELINE_ALL if x != "hostPathVolumes"] + ["restrictedVolumes", "runAsNonRoot"]
    for minor in range(8):
        assert _ids(Level.RESTRICTED, v1(minor)) == r0
    r8 = [*r0[:10], "allowPrivilegeEscalation", *r0[10:]]
    for minor in range(8, 19):
        assert _ids(Level.RESTRICTED, v1(minor)) == r8
    r19 = [x for x in r8 if x != "seccompProfile_baseline"] + ["seccompProfile_restricted"]
    assert _ids(Level.RESTRICTED, v1(19)) == _ids(Level.RESTRICTED, v1(21)) == r19
    r22 = [x for x in r19 if x != "capabilities_baseline"]
    r22.insert(r22.index("allowPrivilegeEscalation") + 1, "capabilities_restricted")
    assert _ids(Level.RESTRICTED, v1(22)) == r22
    r23 = [*r22]
    r23.insert(r23.index("runAsNonRoot") + 1, "runAsUser")
    assert _ids(Level.RESTRICTED, v1(23)) == _ids(Level.RESTRICTED, v1(33)) == r23
    assert (
        _ids(Level.RESTRICTED, v1(35))
        == _ids(Level.RESTRICTED, LATEST)
        == [
            "appArmorProfile",
            "hostNamespaces",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "privileged",
            "seLinuxOptions",
            "sysctls",
            "windowsHostProcess",
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "procMount_restricted",
            "restrictedVolumes",
            "runAsNonRoot",
            "runAsUser",
            "seccompProfile_restricted",
        ]
    )


# ------------------------------------------------------------------------------ semantics

GOOD_SC = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def restricted_pod(**extra: Any) -> dict[str, Any]:
    return {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "x", "securityContext": copy.deepcopy(GOOD_SC)}],
        **extra,
    }


def failing(level: Level, version: Version, spec: Any, meta: Any = None) -> list[str]:
    return [v.check for v in evaluate(level, version, {} if meta is None else meta, spec)]


def test_privileged_allows_anything() -> None:
    assert evaluate(Level.PRIVILEGED, LATEST, {}, {"hostPID": True}) == ()
    assert evaluate("privileged", LATEST, {}, {"hostPID": True}) == ()  # type: ignore[arg-type]


@pytest.mark.parametrize("level", ["Restricted", "", None, 2])
def test_unknown_level_is_an_error_not_allowed(level: Any) -> None:
    with pytest.raises(PolicyError, match="must be one of privileged, baseline, restricted"):
        evaluate(level, LATEST, {}, {"hostPID": True})
    with pytest.raises(PolicyError):
        DEFAULT.plan(level, LATEST)


def test_restricted_pod_passes_every_version() -> None:
    for minor in range(40):
        assert failing(Level.RESTRICTED, v1(minor), restricted_pod()) == []


def test_windows_exemption_from_v1_25_only_for_three_checks() -> None:
    windows = {"os": {"name": "windows"}, "containers": [{"name": "app"}]}
    assert failing(Level.RESTRICTED, v1(24), windows) == [
        "allowPrivilegeEscalation",
        "capabilities_restricted",
        "runAsNonRoot",
        "seccompProfile_restricted",
    ]
    assert failing(Level.RESTRICTED, v1(25), windows) == ["runAsNonRoot"]
    linux = {**windows, "os": {"name": "linux"}}
    assert len(failing(Level.RESTRICTED, LATEST, linux)) == 4
    # the exemption does not reach baseline checks
    assert failing(Level.RESTRICTED, LATEST, {**windows, "hostPID": True})[0] == "hostNamespaces"


def test_user_namespace_relaxation() -> None:
    pod = {
        "hostUsers": False,
        "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {"name": "a", "securityContext": {**GOOD_SC, "procMount": "Unmasked"}},
        ],
    }
    assert failing(Level.RESTRICTED, v1(34), pod) == ["procMount", "runAsNonRoot", "runAsUser"]
    assert failing(Level.RESTRICTED, v1(35), pod) == ["procMount_restricted"]
    assert failing(Level.BASELINE, v1(34), pod) == ["procMount"]
    assert failing(Level.BASELINE, v1(35), pod) == []
    for host_users in (None, True, "false", 0):
        assert failing(Level.BASELINE, LATEST, {**pod, "hostUsers": host_users}) == ["procMount"]


def test_seccomp_annotations_versus_fields() -> None:
    meta = {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}
    spec = {"containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "x"}}}]}
    assert failing(Level.BASELINE, v1(18), spec, meta) == ["seccompProfile_baseline"]
    assert failing(Level.BASELINE, v1(18), spec) == []
    assert failing(Level.BASELINE, v1(19), spec, meta) == ["seccompProfile_baseline"]
    assert failing(Level.BASELINE, v1(19), {"containers": []}, meta) == []


def test_overridden_baseline_ids_at_restricted() -> None:
    pod = restricted_pod(volumes=[{"name": "h", "hostPath": {"path": "/"}}])
    assert failing(Level.BASELINE, LATEST, pod) == ["hostPathVolumes"]
    assert failing(Level.RESTRICTED, LATEST, pod) == ["restrictedVolumes"]
    raw = restricted_pod()
    raw["containers"][0]["securityContext"]["capabilities"]["add"] = ["NET_RAW"]
    assert failing(Level.RESTRICTED, v1(21), raw) == ["capabilities_baseline"]
    assert failing(Level.RESTRICTED, v1(22), raw) == ["capabilities_restricted"]


def test_ephemeral_and_init_containers_are_checked() -> None:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        spec = {field: [{"name": "x", "securityContext": {"privileged": True}}]}
        assert failing(Level.BASELINE, LATEST, spec) == ["privileged"]


def test_highest_level() -> None:
    assert highest_level(LATEST, {}, restricted_pod()) is Level.RESTRICTED
    assert highest_level(LATEST, {}, {"containers": [{"name": "a"}]}) is Level.BASELINE
    assert highest_level(LATEST, {}, {"hostPID": True}) is Level.PRIVILEGED
    windows = {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": True}}
    assert highest_level(v1(24), {}, {**windows, "containers": [{"name": "a"}]}) is Level.BASELINE
    assert highest_level(v1(25), {}, {**windows, "containers": [{"name": "a"}]}) is (
        Level.RESTRICTED
    )


# ------------------------------------------------------------------------------- hostile input


def test_null_is_like_absent() -> None:
    spec = {
        "hostPID": None,
        "securityContext": None,
        "volumes": None,
        "containers": [{"name": "a", "securityContext": None, "ports": None}],
        "initContainers": None,
    }
    assert failing(Level.BASELINE, LATEST, spec, {"annotations": None}) == []
    assert evaluate(Level.BASELINE, LATEST, None, None) == ()  # type: ignore[arg-type]


def test_null_list_items_are_zero_values() -> None:
    # Go decodes a null list item to the item's zero value.
    spec = {"containers": [None], "volumes": [None]}
    assert failing(Level.BASELINE, LATEST, spec) == []
    assert failing(Level.RESTRICTED, LATEST, restricted_pod(volumes=[None])) == [
        "restrictedVolumes"
    ]
    caps = {"containers": [{"name": "a", "securityContext": {"capabilities": {"add": [None]}}}]}
    assert failing(Level.BASELINE, LATEST, caps) == ["capabilities_baseline"]


# Each entry: a spec (or (meta, spec)) with a wrong type where upstream has a typed field, and
# the check that must not allow it. Upstream would reject the object before evaluating it;
# podgate must at least never read the wrong type as an allowed value.
HOSTILE: list[tuple[str, Level, dict[str, Any], dict[str, Any]]] = [
    ("hostNamespaces", Level.BASELINE, {}, {"hostNetwork": "true"}),
    ("hostNamespaces", Level.BASELINE, {}, {"hostPID": 1}),
    ("hostNamespaces", Level.BASELINE, {}, {"hostIPC": [True]}),
    ("privileged", Level.BASELINE, {}, {"containers": [{"securityContext": {"privileged": 1}}]}),
    ("privileged", Level.BASELINE, {}, {"containers": [{"securityContext": "privileged"}]}),
    ("privileged", Level.BASELINE, {}, {"containers": "privileged"}),
    ("privileged", Level.BASELINE, {}, {"containers": ["privileged"]}),
    ("hostPorts", Level.BASELINE, {}, {"containers": [{"ports": [{"hostPort": "80"}]}]}),
    ("hostPorts", Level.BASELINE, {}, {"containers": [{"ports": [{"hostPort": False}]}]}),
    ("hostPorts", Level.BASELINE, {}, {"containers": [{"ports": [{"hostPort": 0.5}]}]}),
    ("hostPorts", Level.BASELINE, {}, {"containers": [{"ports": {"hostPort": 80}}]}),
    ("hostPorts", Level.BASELINE, {}, {"containers": [{"ports": ["80:80"]}]}),
    ("hostPathVolumes", Level.BASELINE, {}, {"volumes": [{"name": "a", "hostPath": "/"}]}),
    ("hostPathVolumes", Level.BASELINE, {}, {"volumes": "hostPath"}),
    (
        "capabilities_baseline",
        Level.BASELINE,
        {},
        {"containers": [{"securityContext": {"capabilities": {"add": "SYS_ADMIN"}}}]},
    ),
    (
        "capabilities_baseline",
        Level.BASELINE,
        {},
        {"containers": [{"securityContext": {"capabilities": {"add": [["SYS_ADMIN"]]}}}]},
    ),
    (
        "capabilities_baseline",
        Level.BASELINE,
        {},
        {"containers": [{"securityContext": {"capabilities": "SYS_ADMIN"}}]},
    ),
    (
        "procMount",
        Level.BASELINE,
        {},
        {"containers": [{"securityContext": {"procMount": ["Unmasked"]}}]},
    ),
    (
        "seLinuxOptions",
        Level.BASELINE,
        {},
        {"securityContext": {"seLinuxOptions": {"type": ["spc_t"]}}},
    ),
    ("seLinuxOptions", Level.BASELINE, {}, {"securityContext": {"seLinuxOptions": {"user": 0}}}),
    ("seLinuxOptions", Level.BASELINE, {}, {"securityContext": {"seLinuxOptions": "spc_t"}}),
    ("sysctls", Level.BASELINE, {}, {"securityContext": {"sysctls": "kernel.msgmax"}}),
    ("sysctls", Level.BASELINE, {}, {"securityContext": {"sysctls": [{"name": 1}]}}),
    ("sysctls", Level.BASELINE, {}, {"securityContext": "sysctls"}),
    (
        "windowsHostProcess",
        Level.BASELINE,
        {},
        {"securityContext": {"windowsOptions": {"hostProcess": "true"}}},
    ),
    (
        "appArmorProfile",
        Level.BASELINE,
        {},
        {"securityContext": {"appArmorProfile": {"type": {"RuntimeDefault": 1}}}},
    ),
    ("appArmorProfile", Level.BASELINE, {"annotations": "unconfined"}, {}),
    (
        "appArmorProfile",
        Level.BASELINE,
        {"annotations": {"container.apparmor.security.beta.kubernetes.io/a": 1}},
        {},
    ),
    (
        "hostProbesAndHostLifecycle",
        Level.BASELINE,
        {},
        {"containers": [{"livenessProbe": {"httpGet": {"host": 1}}}]},
    ),
    (
        "hostProbesAndHostLifecycle",
        Level.BASELINE,
        {},
        {"containers": [{"lifecycle": {"preStop": "tcpSocket"}}]},
    ),
    (
        "seccompProfile_baseline",
        Level.BASELINE,
        {},
        {"securityContext": {"seccompProfile": {"type": 1}}},
    ),
    ("restrictedVolumes", Level.RESTRICTED, {}, restricted_pod(volumes=[{"emptyDir": "x"}])),
    ("restrictedVolumes", Level.RESTRICTED, {}, restricted_pod(volumes=["emptyDir"])),
    (
        "runAsNonRoot",
        Level.RESTRICTED,
        {},
        {
            **restricted_pod(),
            "securityContext": {"runAsNonRoot": "true", "seccompProfile": {"type": "Localhost"}},
        },
    ),
    (
        "runAsUser",
        Level.RESTRICTED,
        {},
        {
            **restricted_pod(),
            "securityContext": {**restricted_pod()["securityContext"], "runAsUser": "0"},
        },
    ),
    (
        "allowPrivilegeEscalation",
        Level.RESTRICTED,
        {},
        restricted_pod(
            containers=[
                {"name": "a", "securityContext": {**GOOD_SC, "allowPrivilegeEscalation": 0}}
            ]
        ),
    ),
    (
        "capabilities_restricted",
        Level.RESTRICTED,
        {},
        restricted_pod(
            containers=[
                {
                    "name": "a",
                    "securityContext": {**GOOD_SC, "capabilities": {"drop": "ALL"}},
                }
            ]
        ),
    ),
    (
        "capabilities_restricted",
        Level.RESTRICTED,
        {},
        restricted_pod(os={"name": ["windows"]}, containers=[{"name": "a"}]),
    ),
    (
        "seccompProfile_restricted",
        Level.RESTRICTED,
        {},
        {**restricted_pod(), "securityContext": {"runAsNonRoot": True, "seccompProfile": "x"}},
    ),
]


@pytest.mark.parametrize(
    ("check_id", "level", "meta", "spec"),
    HOSTILE,
    ids=[f"{h[0]}-{i}" for i, h in enumerate(HOSTILE)],
)
def test_wrong_types_never_pass(
    check_id: str, level: Level, meta: dict[str, Any], spec: dict[str, Any]
) -> None:
    before = copy.deepcopy((meta, spec))
    violations = evaluate(level, LATEST, meta, spec)
    assert check_id in [v.check for v in violations]
    assert all(v.reason and isinstance(v.detail, str) for v in violations)
    assert (meta, spec) == before


@pytest.mark.parametrize("spec", [[], "spec", 1, True, [{"containers": []}]])
def test_non_object_spec_never_passes_restricted(spec: Any) -> None:
    assert evaluate(Level.RESTRICTED, LATEST, {}, spec)
    evaluate(Level.BASELINE, LATEST, spec, spec)  # never raises


@pytest.mark.parametrize("meta", [[], "metadata", 1, {"annotations": ["a"]}])
def test_malformed_metadata_fails_the_annotation_checks(meta: Any) -> None:
    assert failing(Level.BASELINE, LATEST, {"containers": []}, meta) == ["appArmorProfile"]
    assert failing(Level.BASELINE, v1(18), {"containers": []}, meta) == [
        "appArmorProfile",
        "seccompProfile_baseline",
    ]


def test_field_helpers() -> None:
    bad = obj("x")
    assert isinstance(bad, Malformed)
    assert bad.get("anything") is bad and bad["x"] is bad and bool(bad) and len(bad) == 0
    assert bad != Malformed("x") and hash(bad) == id(bad)
    assert obj(None) is None
    assert items(None) == () and items([1]) == [1] and isinstance(items("x")[0], Malformed)
    assert text(None) == "" and text(True) == "true" and text(5) == "5" and text("a") == "a"
    assert text(Malformed([1, "a"])) == '[1,"a"]' and text(0.5) == "0.5"
    spec = {"containers": [{"name": "a"}], "initContainers": [{"name": "i"}]}
    assert [c["name"] for c in containers(spec)] == ["i", "a"]
    assert [(c["name"], sc) for c, sc in security_contexts(spec)] == [("i", None), ("a", None)]
