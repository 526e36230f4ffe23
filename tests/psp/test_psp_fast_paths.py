"""Each shortcut of PSP admission's hot path against the plain computation it stands for.

* `Provider.errors` leaves mutation out when no validator of the policy reads what its
  mutators write: its errors must be those of the mutated pod (`evaluate`);
* `Volumes` passes a pod whose volume types all need no further look without the loop;
* a CREATE admitted unchanged gets the one-operation patch of its annotation, which must be
  `json_patch(input, admitted)` (the scan reuses `Decision.patch` as that patch);
* a pod `settled_for_psp` is one PrepareForCreate leaves as it is and the API server's
  validation finds valid (admission skips both then);
* Seccomp's MutatePod and `written_by_every_policy` read the pod inline, as the plain
  reading (mapping at each step, a call per read) does;
* a view's `pairs` (what the screens read) are its `containers`' containers and contexts, and
  its volume types (`fs_types`) each volume's `fs_type`.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.k8s import mapping
from podgate.k8s.identity import UserInfo
from podgate.k8s.pod_validation import pod_create_errors, settled_for_psp
from podgate.k8s.prepare import (
    PSP_RELEASE,
    SECCOMP_CONTAINER_PREFIX,
    SECCOMP_POD_KEY,
    prepare_for_create,
)
from podgate.psp import AUDIT_ADMIT, Decision, PolicySet, Request, admit_phase, json_patch, review
from podgate.psp.admission import _admitted
from podgate.psp.draft import Draft
from podgate.psp.strategies import PodView, seccomp
from podgate.psp.strategies import volumes as vol
from podgate.psp.strategies._sources import fs_type, fs_types
from tests.psp.test_psp_properties import pods
from tests.psp.test_psp_reference import POOL
from tests.psp_helpers import container, errors_of, policy

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(pods())
def test_errors_without_mutation_are_the_errors_of_the_mutated_pod(p: dict[str, Any]) -> None:
    for provider in PolicySet.compile(POOL).providers:
        assert provider.errors(p, PodView(p)) == provider.evaluate(p).errors, provider.name


def test_a_policy_whose_mutation_changes_its_validation_is_mutated_before_its_errors() -> None:
    # MustRunAs fills in runAsUser: unmutated, the pod would also fail "runAsUser: Required"
    pol = policy(runAsUser={"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]})
    provider = PolicySet.compile([pol]).providers[0]
    assert provider.mutation_matters
    p = {"metadata": {"name": "x"}, "spec": {"hostNetwork": True, "containers": [container()]}}
    assert [str(e) for e in provider.errors(p, PodView(p))] == [
        "spec.securityContext.hostNetwork: Invalid value: true: "
        "Host network is not allowed to be used"
    ]
    assert provider.validate(p) != provider.errors(p, PodView(p))  # the unmutated pod's differ


def test_a_policy_whose_mutation_cannot_change_its_validation_says_so() -> None:
    # the seccomp mutation without a default only copies the pod's field to its annotation
    assert not PolicySet.compile([policy(volumes=["*"])]).providers[0].mutation_matters


SOURCES = [k for k, _ in vol.SOURCES]


@st.composite
def volume_lists(draw: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(0, 4))):
        v: dict[str, Any] = {"name": f"v{i}"}
        # the types the fast pass must leave to the loop, often; every other now and then
        kinds = st.sampled_from(["hostPath", "csi", "flexVolume", "emptyDir", "other"])
        for key in draw(st.lists(kinds | st.sampled_from(SOURCES), max_size=2)):
            if key == "hostPath":
                v[key] = {"path": draw(st.sampled_from(["/var/log", "/var/log/x", "/etc"]))}
            elif key in ("csi", "flexVolume"):
                v[key] = {"driver": draw(st.sampled_from(["a", "b"]))}
            else:
                v[key] = draw(st.sampled_from([{}, None]))
        out.append(v)
    return out


volume_policies = st.builds(
    lambda allowed, host_paths, flex, csi: policy(
        volumes=allowed,
        allowedHostPaths=host_paths,
        allowedFlexVolumes=flex,
        allowedCSIDrivers=csi,
    ),
    st.lists(st.sampled_from(["*", "hostPath", "csi", "flexVolume", "emptyDir", "secret"])),
    st.lists(st.sampled_from([{"pathPrefix": "/var/log", "readOnly": True}, {"pathPrefix": "/x"}])),
    st.lists(st.sampled_from([{"driver": "a"}])),
    st.lists(st.sampled_from([{"name": "a"}])),
)


@SETTINGS
@given(volume_policies, volume_lists())
def test_volumes_fast_pass_gives_what_the_loop_gives(pol: dict[str, Any], vols: Any) -> None:
    strategy = vol.build(pol["spec"], {})
    p = {
        "spec": {
            "containers": [{"name": "c", "volumeMounts": [{"name": "v0", "mountPath": "/m"}]}],
            "volumes": vols,
        }
    }
    fast: list[Any] = []
    loop: list[Any] = []
    strategy.validate_pod(PodView(p), fast)
    dataclasses.replace(strategy, plain=frozenset()).validate_pod(PodView(p), loop)
    assert fast == loop


def test_the_volumes_fast_pass_leaves_to_the_loop_what_it_must_look_at() -> None:
    strategy = vol.build(
        policy(
            volumes=["*"],
            allowedHostPaths=[{"pathPrefix": "/var/log"}],
            allowedCSIDrivers=[{"name": "a"}],
            allowedFlexVolumes=[{"driver": "a"}],
        )["spec"],
        {},
    )
    assert strategy.plain == vol.FS_TYPES - {"hostPath", "csi", "flexVolume"}
    assert "" not in strategy.plain  # a volume without a source is an error under "*" too
    assert errors_of(policy(volumes=["*"]), _with_volumes({"name": "v"})) == [
        'spec.volumes[0]: Invalid value: "": unknown volume type for volume: v'
    ]


def _with_volumes(*volumes: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "x"}, "spec": {"containers": [container()], "volumes": [*volumes]}}


PSP = "kubernetes.io/psp"


@pytest.mark.parametrize(
    ("metadata", "want"),
    [
        ({"name": "x"}, [{"op": "add", "path": "/metadata/annotations", "value": {PSP: "p"}}]),
        ({"annotations": {}}, [{"op": "add", "path": "/metadata/annotations/kubernetes.io~1psp", "value": "p"}]),
        ({"annotations": {"a": "b", PSP: "p"}}, []),
        ({"annotations": {PSP: "other"}}, [{"op": "replace", "path": "/metadata/annotations/kubernetes.io~1psp", "value": "p"}]),
        ({"annotations": {PSP: 5}}, [{"op": "replace", "path": "/metadata/annotations/kubernetes.io~1psp", "value": "p"}]),
        ({"annotations": None}, [{"op": "replace", "path": "/metadata/annotations", "value": {PSP: "p"}}]),
        (None, [{"op": "replace", "path": "/metadata", "value": {"annotations": {PSP: "p"}}}]),
        ("absent", [{"op": "add", "path": "/metadata", "value": {"annotations": {PSP: "p"}}}]),
        # annotations that are not a mapping: the API server cannot decode the pod
        # (tests/psp/test_psp_undecodable.py)
    ],
)  # fmt: skip
def test_the_patch_of_a_pod_admitted_unchanged_is_the_full_diff(metadata: Any, want: Any) -> None:
    p: dict[str, Any] = {"kind": "Pod", "spec": {"containers": [container()]}}
    if metadata != "absent":
        p["metadata"] = metadata
    before = copy.deepcopy(p)
    d = review(PolicySet.compile([policy("p", volumes=["*"])]), Request("CREATE", p, "ns"))
    assert d.allowed and not d.mutated
    assert d.patch == want
    assert d.patch == json_patch(before, d.object)


@SETTINGS
@given(pods(), st.sampled_from(["", PSP]))
def test_an_admitted_pods_patch_is_the_diff_from_the_request(p: dict[str, Any], key: str) -> None:
    if key:
        p["metadata"].setdefault("annotations", {})[key] = "restricted"
    before = copy.deepcopy(p)
    for names in ([0], [1], [2], [0, 1, 2], [3, 5, 7]):
        d = review(PolicySet.compile([POOL[i] for i in names]), Request("CREATE", p, "ns"))
        if d.allowed:
            assert d.patch == json_patch(before, d.object)


def test_an_admitted_decision_is_the_one_the_dataclass_builds() -> None:
    p = {"metadata": {"name": "x"}, "spec": {"containers": [container()]}}
    audit = {AUDIT_ADMIT: "p"}
    made = _admitted("p", p, True, [{"op": "add"}], audit, ())
    want = Decision(True, True, "p", p, True, [{"op": "add"}], (), None, audit, prepared=())
    assert type(made) is Decision
    assert made == want
    assert repr(made) == repr(want)
    assert [getattr(made, f.name) for f in dataclasses.fields(Decision)] == [
        getattr(want, f.name) for f in dataclasses.fields(Decision)
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.allowed = False  # type: ignore[misc]


def test_a_request_holds_each_argument_in_its_own_field_and_stays_frozen() -> None:
    # Request sets its fields as an _OpenRequest's, not through the dataclass' __init__
    p, old = {"metadata": {"name": "new"}}, {"metadata": {"name": "old"}}
    user = UserInfo("alice", ("devs",))
    given_ = ("UPDATE", p, "ns", user, old, "status", "pods/x", "apps")
    full = Request(*given_)
    assert type(full) is Request
    assert [getattr(full, f.name) for f in dataclasses.fields(Request)] == list(given_)
    by_name = Request(
        **{f.name: v for f, v in zip(dataclasses.fields(Request), given_, strict=True)}
    )
    assert by_name == full
    assert repr(by_name) == repr(full)
    plain = Request("CREATE", p, "ns")
    assert [getattr(plain, f.name) for f in dataclasses.fields(Request)] == [
        "CREATE", p, "ns", None, None, "", "pods", ""
    ]  # fmt: skip
    assert plain != full
    with pytest.raises(dataclasses.FrozenInstanceError):
        plain.namespace = "other"  # type: ignore[misc]


SECCOMP_DEFAULT = {
    "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
    "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*",
}
# policies whose one mutation is a key of metadata.annotations, a pod field, a container field,
# or an annotation and a field together
MUTATING = [
    policy("m-seccomp", SECCOMP_DEFAULT, volumes=["*"]),
    policy("m-fsgroup", volumes=["*"], fsGroup={"rule": "MustRunAs", "ranges": [{"min": 5, "max": 9}]}),
    policy("m-runtime", volumes=["*"], runtimeClass={"allowedRuntimeClassNames": ["*"], "defaultRuntimeClassName": "rc"}),
    policy("m-escalation", volumes=["*"], defaultAllowPrivilegeEscalation=False),
    policy("m-both", SECCOMP_DEFAULT, volumes=["*"], fsGroup={"rule": "MustRunAs", "ranges": [{"min": 5, "max": 9}]}),
]  # fmt: skip


@SETTINGS
@given(
    pods(),
    st.sampled_from(["absent", None, {}, {PSP: "m-seccomp"}, {"a": "b"}]),
    st.lists(st.sampled_from(range(len(MUTATING) + len(POOL))), min_size=1, max_size=3),
)
def test_the_patch_of_a_pod_mutated_in_its_annotations_alone_is_their_diff(
    p: dict[str, Any], annotations: Any, chosen: list[int]
) -> None:
    # the patch of a pod whose changes are all keys of metadata.annotations is the diff of
    # the annotations alone: it must be the diff of the whole pods, whatever else mutates
    if annotations == "absent":
        p["metadata"].pop("annotations", None)
    else:
        p["metadata"]["annotations"] = annotations
    before = copy.deepcopy(p)
    policies = PolicySet.compile([[*MUTATING, *POOL][i] for i in chosen])
    for decision in (
        review(policies, Request("CREATE", p, "ns")),
        admit_phase(policies, p, "ns", None, None),
    ):
        if decision.allowed:
            assert decision.patch == json_patch(before, decision.object)
    assert p == before


@pytest.mark.parametrize("mutating", MUTATING, ids=lambda p: p["metadata"]["name"])
@pytest.mark.parametrize("annotations", ["absent", None, {}, {"a": "b"}])
def test_each_kind_of_mutation_is_in_the_patch(mutating: dict[str, Any], annotations: Any) -> None:
    p: dict[str, Any] = {
        "kind": "Pod",
        "metadata": {"name": "x"},
        "spec": {"containers": [container()]},
    }
    if annotations != "absent":
        p["metadata"]["annotations"] = annotations
    before = copy.deepcopy(p)
    d = review(PolicySet.compile([mutating]), Request("CREATE", p, "ns"))
    assert d.allowed and d.mutated
    assert d.patch == json_patch(before, d.object)
    assert len(d.patch) > 1 or d.patch[0]["path"] == "/metadata/annotations"


_SOURCE_KEYS = SOURCES  # every source key
volume_items = st.one_of(
    st.dictionaries(
        st.sampled_from(["name", "readOnly", "other", *_SOURCE_KEYS[:4], "cephfs", "csi"]),
        st.sampled_from([None, {}, {"path": "/x"}, "v", 0]),
        max_size=4,
    ),
    # a name and one source, in either order
    st.builds(
        lambda key, value, first: {"name": "v", key: value} if first else {key: value, "name": "v"},
        st.sampled_from(_SOURCE_KEYS),
        st.sampled_from([None, {}]),
        st.booleans(),
    ),
    st.sampled_from([None, "x", [], 3]),
)


@SETTINGS
@given(st.lists(volume_items, max_size=5))
def test_fs_types_gives_each_volumes_fs_type(volumes: list[Any]) -> None:
    assert fs_types(volumes) == tuple(fs_type(v if isinstance(v, dict) else {}) for v in volumes)


contexts = st.sampled_from([None, {}, {"privileged": True}, {"procMount": "Unmasked"}])


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["initContainers", "containers", "ephemeralContainers"]),
        st.lists(
            st.builds(
                lambda name, sc: {
                    "name": name,
                    **({} if sc == "absent" else {"securityContext": sc}),
                },
                st.sampled_from(["a", "b"]),
                st.one_of(contexts, st.just("absent")),
            ),
            max_size=3,
        ),
    )
)
def test_a_views_pairs_are_its_containers_and_their_contexts(spec: dict[str, Any]) -> None:
    view = PodView({"spec": spec})
    pairs = view.pairs
    assert len(pairs) == len(view.containers)
    for (c, sc), ctx in zip(pairs, view.containers, strict=True):
        assert c is ctx.container
        assert sc is ctx.sc


_NAMES = st.sampled_from(["a", "b", "", 5])
_PROFILE = st.sampled_from(
    [None, {"type": "RuntimeDefault"}, {"type": "Localhost"}, {"type": "Unconfined"}, {}]
)
_ID = st.sampled_from([0, 7, -1, 2**31, "x"])
_ANNOTATION_KEYS = st.sampled_from(
    [SECCOMP_POD_KEY, PSP, "other", *(SECCOMP_CONTAINER_PREFIX + n for n in ("a", "b", ""))]
)
_ANNOTATION_VALUES = st.sampled_from(["runtime/default", "unconfined", "localhost/x", "x", "", 5])


@st.composite
def _settling_contexts(draw: Any, pod_level: bool) -> Any:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from([None, [], "x"]))
    sc: dict[str, Any] = {}
    keys = ["seccompProfile", "runAsUser", "runAsGroup"]
    keys += ["fsGroup", "supplementalGroups"] if pod_level else ["allowPrivilegeEscalation"]
    keys += [] if pod_level else ["privileged", "capabilities"]
    for key in draw(st.lists(st.sampled_from(keys), unique=True)):
        if key == "seccompProfile":
            sc[key] = draw(_PROFILE)
        elif key == "supplementalGroups":
            sc[key] = draw(st.lists(_ID, max_size=2))
        elif key == "allowPrivilegeEscalation":
            sc[key] = draw(st.sampled_from([False, True, None]))
        elif key == "privileged":
            sc[key] = draw(st.sampled_from([True, False]))
        elif key == "capabilities":
            sc[key] = {"add": draw(st.lists(st.sampled_from(["CAP_SYS_ADMIN", "NET_RAW"])))}
        else:
            sc[key] = draw(_ID)
    return sc


@st.composite
def _settling_pods(draw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for list_name in draw(
        st.lists(st.sampled_from(["initContainers", "containers", "ephemeralContainers"]))
    ):
        items: list[Any] = []
        for _ in range(draw(st.integers(0, 2))):
            c: dict[str, Any] = {}
            if draw(st.integers(0, 4)):
                c["name"] = draw(_NAMES)
            if draw(st.booleans()):
                c["securityContext"] = draw(_settling_contexts(False))
            items.append(c if draw(st.integers(0, 9)) else "x")
        spec[list_name] = items
    if draw(st.booleans()):
        spec["securityContext"] = draw(_settling_contexts(True))
    p: dict[str, Any] = {"spec": spec}
    if draw(st.integers(0, 9)) == 0:
        p["kind"] = draw(st.sampled_from(["Pod", "Deployment"]))
    shape = draw(st.sampled_from(["absent", "null", "no annotations", "null annotations", "map"]))
    if shape == "null":
        p["metadata"] = None
    elif shape == "no annotations":
        p["metadata"] = {"name": "p"}
    elif shape == "null annotations":
        p["metadata"] = {"name": "p", "annotations": None}
    elif shape == "map":
        p["metadata"] = {
            "name": "p",
            "annotations": draw(st.dictionaries(_ANNOTATION_KEYS, _ANNOTATION_VALUES)),
        }
    return p


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_settling_pods())
def test_a_pod_settled_for_psp_is_left_as_it_is_and_valid(p: dict[str, Any]) -> None:
    # the API server's steps between PSP's phases are skipped for a pod settled_for_psp says
    # is settled: each must then leave it as it is and find nothing
    before = copy.deepcopy(p)
    if settled_for_psp(p):
        prepared, synced = prepare_for_create(p, PSP_RELEASE)
        assert prepared is p
        assert synced == ()
        assert pod_create_errors(p) == ()
    assert p == before


def test_settled_for_psp_settles_the_common_pods() -> None:
    # not vacuous: plain pods, with and without seccomp set on both sides, are settled
    c = {"name": "a", "securityContext": {"runAsUser": 1000, "allowPrivilegeEscalation": False}}
    plain = {"metadata": {"name": "p", "annotations": {PSP: "x"}}, "spec": {"containers": [c]}}
    assert settled_for_psp(plain)
    both = copy.deepcopy(plain)
    both["metadata"]["annotations"][SECCOMP_POD_KEY] = "runtime/default"
    both["spec"]["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}}
    assert settled_for_psp(both)
    one = copy.deepcopy(plain)
    one["spec"]["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}}
    assert not settled_for_psp(one)


def _plain_mutate_pod(strategy: seccomp.Seccomp, draft: Draft) -> None:
    """Seccomp's MutatePod read the plain way (mapping at each step, a call per read)."""
    annotations = mapping(mapping(draft.root.get("metadata")).get("annotations"))
    if seccomp._annotation(annotations, seccomp.POD_KEY):
        return
    profile = seccomp.profile_of_field(draft.pod_security_context)
    if profile is None:
        profile = strategy.default
    if profile:
        draft.set(("metadata", "annotations", seccomp.POD_KEY), profile)


def _plain_written_by_every_policy(view: PodView) -> bool:
    if seccomp._annotation(view.annotations, seccomp.POD_KEY):
        return False
    return bool(seccomp.profile_of_field(view.sc))


_SECCOMP_FIELDS = st.sampled_from(
    [None, {}, "x", {"type": "RuntimeDefault"}, {"type": "Localhost", "localhostProfile": "p"},
     {"type": "Localhost"}, {"type": "Other"}]
)  # fmt: skip
_POD_ANNOTATION = st.sampled_from(["", "runtime/default", "localhost/p", 5, None])


@SETTINGS
@given(
    st.one_of(
        st.none(),
        st.just("x"),
        st.builds(dict),
        st.builds(
            lambda v: {"annotations": v},
            st.one_of(
                st.sampled_from([None, "x", {}]),
                st.builds(lambda v: {seccomp.POD_KEY: v, "other": "y"}, _POD_ANNOTATION),
            ),
        ),
    ),
    st.one_of(
        st.sampled_from([None, "x", {}]),
        st.builds(
            lambda sc: {"securityContext": sc},
            st.one_of(
                st.sampled_from([None, "x", {}]),
                st.builds(lambda f: {"seccompProfile": f}, _SECCOMP_FIELDS),
            ),
        ),
    ),
    st.sampled_from(["", "runtime/default"]),
)
def test_seccomp_mutation_reads_the_pod_as_the_plain_reading_does(
    meta: Any, spec: Any, default: str
) -> None:
    p: dict[str, Any] = {"metadata": meta, "spec": spec}
    strategy = seccomp.Seccomp(default, None, "", True)
    fast, plain = Draft(p), Draft(p)
    strategy.mutate_pod(fast)
    _plain_mutate_pod(strategy, plain)
    assert (fast.root, fast.writes, fast.changed) == (plain.root, plain.writes, plain.changed)
    view = PodView(p)
    assert seccomp.written_by_every_policy(view) is _plain_written_by_every_policy(view)
