"""The pod-shape key of a PSP review (`psp.reads.key`) and the memo that answers by it
(`psp.memo.ReviewMemo`).

* Derived from the review: a recording review of generated pods and of every PSP conformance
  case reads nothing `reads.READS` does not name, outside the code the memo runs again on
  every pod (the draft's copies, `kubernetes.io/psp`, the patch, the invalid pod's message).
* Changing any field the key holds changes the key.
* The memo's decision is a fresh review's, field by field and in key order (object, patch,
  message, errors ...), for a pod whose shape it met before in a pod that differs in what the
  key leaves out (name, labels, other annotations, images, env, volume names ...).
* Its memory is bounded; pods without a key, and requests other than a pod CREATE, are
  reviewed afresh."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.k8s import prepare as prepare_module
from podgate.k8s.identity import UserInfo
from podgate.psp import PolicySet, Request, review
from podgate.psp import admission as admission_module
from podgate.psp.draft import Draft
from podgate.psp.memo import ReviewMemo
from podgate.psp.reads import ANNOTATION_PREFIXES, MAX_KEY, key
from podgate.psp.strategies._sources import SOURCES, fs_type
from tests.psp.test_psp_conformance import ALL as CONFORMANCE
from tests.psp.test_psp_conformance import _pod, _policy
from tests.psp.test_psp_properties import _builtin
from tests.psp.test_psp_properties import pods as plain_pods
from tests.psp.test_psp_reference import POOL
from tests.psp_helpers import policy
from tests.pss import test_pss_reads as pss_reads

# --- recording ---------------------------------------------------------------------------------

Path = tuple[Any, ...]
_PAUSED = [0]  # > 0 while code the memo runs again on every pod runs: its reads are not logged


class Recorded(pss_reads.Recorded):
    """A mapping that logs the path of each key read, as a tuple of its steps (`*`: all
    of them), unless `_PAUSED`."""

    def _read(self, name: Any) -> None:
        if not _PAUSED[0]:
            self.log.add((*self.path, name))


def recorded(value: Any, path: Path, log: set[Path]) -> Any:
    """`value` with every mapping in it `Recorded`."""
    if type(value) is list:
        return [recorded(v, (*path, i), log) for i, v in enumerate(value)]
    if type(value) is dict:
        return Recorded({k: recorded(v, (*path, k), log) for k, v in value.items()}, path, log)
    return value


def _rewrapped(value: Any, path: Path, log: set[Path]) -> Any:
    """A mapping the code made anew (a copy) `Recorded` again down to what it shares."""
    if type(value) is dict:
        return Recorded({k: _rewrapped(v, (*path, k), log) for k, v in value.items()}, path, log)
    return value


def _paused(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        _PAUSED[0] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            _PAUSED[0] -= 1

    return run


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copies are not reads (their reads are logged on the copy); the code the memo runs again
    for every pod it answers reads what it likes."""

    def own(self: Draft, node: Any) -> Any:
        if id(node) in self._owned:
            return node
        _PAUSED[0] += 1
        try:
            if isinstance(node, list):
                copied: Any = list(node)
            elif isinstance(node, Recorded):
                copied = Recorded(dict(node), node.path, node.log)
            else:
                copied = dict(node)
        finally:
            _PAUSED[0] -= 1
        self._owned.add(id(copied))
        return copied

    with_annotation = admission_module._with_annotation

    def annotated(pod: Any, name: str) -> Any:
        made = _paused(with_annotation)(pod, name)
        log = pod.log if isinstance(pod, Recorded) else set()
        return _rewrapped(made, (), log)

    monkeypatch.setattr(Draft, "_own", own)
    monkeypatch.setattr(admission_module, "_with_annotation", annotated)
    for name in ("_admission_patch", "invalid_message"):
        monkeypatch.setattr(admission_module, name, _paused(getattr(admission_module, name)))
    monkeypatch.setattr(prepare_module._Changes, "_node", _paused(prepare_module._Changes._node))


_LISTS = ("initContainers", "containers", "ephemeralContainers")
_SOURCES = frozenset(k for k, _ in SOURCES)


def held(path: Path, pod: dict[str, Any]) -> bool:
    """Whether the key of `pod` holds what reading `path` tells (as `reads.READS` says)."""
    top = path[0]
    if len(path) == 1:
        return top in ("kind", "metadata", "spec")
    if top == "metadata":
        if path[1] != "annotations":
            return False
        if len(path) == 2:
            return True
        name = path[2]
        return isinstance(name, str) and name != "*" and name.startswith(ANNOTATION_PREFIXES)
    if top != "spec":
        return False
    spec = pod["spec"]
    field = path[1]
    if field in ("hostNetwork", "hostPID", "hostIPC", "runtimeClassName", "securityContext"):
        return True
    if field == "serviceAccountName":
        return True  # through the authorizer's answers
    if field == "volumes":
        if len(path) <= 3:
            return True
        kind = fs_type(spec["volumes"][path[2]])
        name = path[3]
        if name in ("*",) or (name in _SOURCES and len(path) == 4):
            return True  # which sources are set: the FSType
        if name == "name":
            return kind in ("", "hostPath")
        return name in ("hostPath", "flexVolume", "csi") and name == kind
    if field in _LISTS:
        if len(path) <= 3:
            return True
        name = path[3]
        if name in ("name", "securityContext"):
            return True
        if name == "ports":
            return len(path) <= 5 or path[5] == "hostPort"
        if name == "volumeMounts":
            host_path = any(fs_type(v) == "hostPath" for v in spec.get("volumes") or ())
            return host_path and (len(path) <= 5 or path[5] in ("name", "readOnly"))
    return False


class Grants:
    """An authorizer granting `use` of the named policies to everyone."""

    answers_fixed = True

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        return policy in self.names


def assert_review_reads_only_what_the_key_holds(
    policies: PolicySet, pod: dict[str, Any], authorizer: Any
) -> None:
    if key(pod) is None:
        return  # such a pod is never remembered
    log: set[Path] = set()
    seen = recorded(pod, (), log)
    review(policies, Request("CREATE", seen, "ns", UserInfo("alice")), authorizer)
    unkeyed = sorted((p for p in log if not held(p, pod)), key=repr)
    assert not unkeyed, unkeyed


# --- generated pods and policies ---------------------------------------------------------------

POLICIES = [
    *POOL,
    _builtin("restricted"),
    policy(
        "f-runtime",
        volumes=["*"],
        runtimeClass={"allowedRuntimeClassNames": ["gvisor"], "defaultRuntimeClassName": "gvisor"},
        annotations={
            "apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default",
            "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default",
        },
    ),
    policy(
        "g-drivers",
        volumes=["flexVolume", "csi", "hostPath", "configMap"],
        allowedFlexVolumes=[{"driver": "ok/flex"}],
        allowedCSIDrivers=[{"name": "ok.csi"}],
        allowedHostPaths=[{"pathPrefix": "/var/log", "readOnly": True}, {"pathPrefix": "/tmp"}],
        hostPorts=[{"min": 80, "max": 90}],
        runAsUser={"rule": "MustRunAs", "ranges": [{"min": 3000000000, "max": 3000000000}]},
        allowPrivilegeEscalation=False,
        defaultAllowPrivilegeEscalation=False,
    ),
    policy(
        "h-groups",
        volumes=["*"],
        fsGroup={"rule": "MustRunAs", "ranges": [{"min": 5, "max": 6}]},
        supplementalGroups={"rule": "MustRunAs", "ranges": [{"min": 7, "max": 8}]},
        seLinux={"rule": "MustRunAs", "seLinuxOptions": {"level": "s0:c1"}},
        runAsGroup={"rule": "MustRunAs", "ranges": [{"min": 9, "max": 9}]},
        defaultAddCapabilities=["CHOWN"],
    ),
]

odd_volumes = st.sampled_from(
    [
        {"name": "v0", "hostPath": {"path": "/var/log/x"}},
        {"name": "v0", "hostPath": {"path": "/tmp"}},
        {"name": "v0", "hostPath": {"path": "/etc"}},
        {"name": "v1", "flexVolume": {"driver": "ok/flex"}},
        {"name": "v1", "flexVolume": {"driver": "bad/flex"}},
        {"name": "v1", "csi": {"driver": "bad.csi"}},
        {"name": "v1", "csi": {"driver": "ok.csi"}},
        {"name": "nothing"},
        {"name": "v2", "emptyDir": None, "nfs": {"server": "s", "path": "/"}},
        {"name": "v2", "projected": {"sources": []}},
    ]
)


@st.composite
def pods(draw: st.DrawFn) -> dict[str, Any]:
    """The property tests' pods, with what they leave out: runtime classes, AppArmor and
    container seccomp annotations, host ports, hostPath/flexVolume/csi and source-less volumes,
    mounts of them, an annotations or metadata that is null, a psp annotation."""
    pod: dict[str, Any] = draw(plain_pods())
    spec = pod["spec"]
    if draw(st.booleans()):
        spec["runtimeClassName"] = draw(st.sampled_from(["gvisor", "runc"]))
    if draw(st.booleans()):
        spec["volumes"] = [*spec.get("volumes", []), *draw(st.lists(odd_volumes, max_size=3))]
    for c in spec["containers"]:
        if draw(st.integers(0, 3)) == 0:
            c["ports"] = [{"containerPort": 1, "hostPort": draw(st.sampled_from([0, 85, 99]))}]
        if draw(st.integers(0, 3)) == 0:
            c["volumeMounts"] = [{"name": "v0", "mountPath": "/x", "readOnly": draw(st.booleans())}]
    annotations = pod["metadata"].setdefault("annotations", {})
    if draw(st.booleans()):
        name = spec["containers"][0]["name"]
        annotations[f"container.apparmor.security.beta.kubernetes.io/{name}"] = draw(
            st.sampled_from(["runtime/default", "unconfined"])
        )
    if draw(st.booleans()):
        name = spec["containers"][0]["name"]
        annotations[f"container.seccomp.security.alpha.kubernetes.io/{name}"] = "unconfined"
    if draw(st.booleans()):
        annotations["kubernetes.io/psp"] = "restricted"
    shape = draw(st.integers(0, 5))
    if shape == 0:
        pod["metadata"]["annotations"] = None
    elif shape == 1:
        del pod["metadata"]["annotations"]
    elif shape == 2:
        pod["metadata"] = None
    return pod


@st.composite
def policy_sets(draw: st.DrawFn) -> PolicySet:
    chosen = draw(st.lists(st.sampled_from(range(len(POLICIES))), min_size=1, max_size=4))
    return PolicySet.compile([POLICIES[i] for i in chosen])


authorizers = st.one_of(
    st.none(), st.sets(st.sampled_from([p["metadata"]["name"] for p in POLICIES])).map(Grants)
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(policy_sets(), pods(), authorizers)
def test_generated_pods_are_read_only_where_the_key_holds(
    recording: None,  # the same patches for every example: they hold no state
    policies: PolicySet,
    pod: dict[str, Any],
    authorizer: Any,
) -> None:
    assert_review_reads_only_what_the_key_holds(policies, pod, authorizer)


ADMISSION_CASES = [(f, c) for f, kind, c in CONFORMANCE if kind == "admit"]


@pytest.mark.parametrize(
    ("family", "case"),
    ADMISSION_CASES,
    ids=[f"{f}-{i}" for i, (f, _) in enumerate(ADMISSION_CASES)],
)
def test_conformance_cases_are_read_only_where_the_key_holds(
    recording: None, family: str, case: dict[str, Any]
) -> None:
    pod = _pod(case.get("pod") or {})
    policies = PolicySet.compile([dict(_default(_policy(p))) for p in case["policies"]])
    for authorizer in (None, Grants({g["policy"] for g in case.get("grants", ())})):
        assert_review_reads_only_what_the_key_holds(policies, pod, authorizer)
        assert_the_memo_answers_as_a_fresh_review(policies, pod, pod, authorizer)


def _default(obj: dict[str, Any]) -> Any:
    from podgate.k8s.defaults import default_policy

    return default_policy(obj)[0]


def test_the_recording_sees_a_read_the_key_does_not_hold(recording: None) -> None:
    """The guard itself: a read of the pod's name, of an image, of a volume's name (it has a
    source and is no hostPath) or of every annotation is caught; the copies a draft makes
    are not reads."""
    pod = {
        "metadata": {"name": "p", "annotations": {"a": "b"}},
        "spec": {
            "volumes": [{"name": "v", "configMap": {}}],
            "containers": [{"name": "c", "image": "i"}],
        },
    }
    log: set[Path] = set()
    seen = recorded(pod, (), log)
    seen["metadata"].get("name")
    seen["spec"]["containers"][0].get("image")
    seen["spec"]["volumes"][0].get("name")
    list(seen["metadata"]["annotations"])
    draft = Draft(seen)
    draft.set(("spec", "containers", 0, "securityContext"), {})
    unheld = {p for p in log if not held(p, pod)}
    assert unheld == {
        ("metadata", "name"),
        ("spec", "containers", 0, "image"),
        ("spec", "volumes", 0, "name"),
        ("metadata", "annotations", "*"),
    }


# --- the key -----------------------------------------------------------------------------------


def _pod_with(**changes: Any) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": {}},
        "spec": {
            "volumes": [{"name": "h", "hostPath": {"path": "/x"}}],
            "containers": [
                {
                    "name": "c",
                    "ports": [{"hostPort": 80}],
                    "volumeMounts": [{"name": "h", "readOnly": True}],
                }
            ],
        },
    }
    for dotted, value in changes.items():
        *parents, last = dotted.split("/")
        node: Any = pod
        for step in parents:
            node = node[int(step)] if isinstance(node, list) else node[step]
        node[last] = value
    return pod


HELD_CHANGES = {
    "kind": ("Pod", "Deployment"),
    "metadata/annotations": ({"seccomp.x": "a"}, {"seccomp.x": "b"}),
    "spec/hostNetwork": (True, False),
    "spec/hostPID": (True, 1),
    "spec/hostIPC": (None, False),
    "spec/runtimeClassName": ("a", "b"),
    "spec/securityContext": ({"runAsUser": 1}, {"runAsUser": 1.0}),
    "spec/volumes": ([{"nfs": {}}], [{"emptyDir": {}}]),
    "spec/volumes/0/name": ("h", "g"),
    "spec/volumes/0/hostPath": ({"path": "/x"}, {"path": "/y"}),
    "spec/initContainers": (None, []),
    "spec/ephemeralContainers": ([], [{"name": "e"}]),
    "spec/containers/0/name": ("c", "d"),
    "spec/containers/0/securityContext": ({}, {"privileged": True}),
    "spec/containers/0/ports": ([{"hostPort": 80}], [{"hostPort": 81}]),
    "spec/containers/0/volumeMounts": (
        [{"name": "h", "readOnly": True}],
        [{"name": "h", "readOnly": False}],
    ),
}


@pytest.mark.parametrize("field", sorted(HELD_CHANGES))
def test_changing_a_field_the_key_holds_changes_the_key(field: str) -> None:
    a, b = (key(_pod_with(**{field: v})) for v in HELD_CHANGES[field])
    assert a is not None
    assert b is not None
    assert a != b


LEFT_OUT = {
    "metadata/name": "q",
    "metadata/labels": {"app": "x"},
    "metadata/annotations": {"kubernetes.io/psp": "x", "other": "y"},
    "spec/serviceAccountName": "sa",
    "spec/nodeName": "n",
    "spec/containers/0/image": "img:2",
    "spec/containers/0/env": [{"name": "A", "value": "1"}],
    "spec/containers/0/ports": [{"hostPort": 80, "containerPort": 9}],
}


@pytest.mark.parametrize("field", sorted(LEFT_OUT))
def test_a_field_no_review_reads_is_left_out_of_the_key(field: str) -> None:
    assert key(_pod_with(**{field: LEFT_OUT[field]})) == key(_pod_with())


def test_equal_pods_have_equal_keys_whatever_they_share() -> None:
    """marshal's later formats write a shared object as a reference: not in a key."""
    sc = {"runAsUser": 1}
    shared = _pod_with(**{"spec/securityContext": sc, "spec/containers/0/securityContext": sc})
    apart = copy.deepcopy(shared)
    assert key(shared) == key(apart)


@pytest.mark.parametrize(
    "field",
    [
        "metadata/annotations",
        "spec/volumes",
        "spec/containers",
        "spec/containers/0/ports",
        "spec/containers/0/volumeMounts",
    ],
)
def test_a_shape_outside_decoded_json_has_no_key(field: str) -> None:
    assert key(_pod_with(**{field: "text"})) is None


def test_a_key_over_the_limit_is_not_made() -> None:
    big = {"seLinuxOptions": {"level": "x" * MAX_KEY}}
    assert key(_pod_with(**{"spec/securityContext": big})) is None


# --- the memo ----------------------------------------------------------------------------------


def ordered(value: Any) -> Any:
    """`value` with each mapping as its list of items: equal when equal in order too."""
    if isinstance(value, dict):
        return [(k, ordered(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [ordered(v) for v in value]
    return value


def assert_same_decision(got: Any, want: Any) -> None:
    assert got == want
    assert ordered(got.object) == ordered(want.object)
    assert ordered(got.patch) == ordered(want.patch)
    assert ordered(got.audit_annotations) == ordered(want.audit_annotations)


def assert_the_memo_answers_as_a_fresh_review(
    policies: PolicySet, first: dict[str, Any], second: dict[str, Any], authorizer: Any
) -> None:
    memo = ReviewMemo(policies, authorizer)
    for pod in (first, second):
        request = Request("CREATE", pod, "ns", UserInfo("alice"))
        before = copy.deepcopy(pod)
        assert_same_decision(memo.review(request), review(policies, request, authorizer))
        assert ordered(pod) == ordered(before)  # the input is never changed
    if key(first) is not None and key(first) == key(second):
        assert (memo.hits, memo.misses) == (1, 1)


@st.composite
def unread_changes(draw: st.DrawFn, pod: dict[str, Any]) -> dict[str, Any]:
    """`pod` changed in what no review reads: name, labels, other annotations, images, env,
    container ports, the names of volumes with a source other than hostPath, mounts (with no
    hostPath volume), the fields of a volume's source not looked into."""
    other = copy.deepcopy(pod)
    meta = other.get("metadata")
    if isinstance(meta, dict):
        meta["name"] = draw(st.sampled_from(["a", "pod-2", ""]))
        meta["labels"] = {"app": draw(st.text(max_size=3))}
        if isinstance(meta.get("annotations"), dict) and draw(st.booleans()):
            meta["annotations"] = {"note": "x", **meta["annotations"], "kubernetes.io/psp": "p"}
    spec = other["spec"]
    volumes = spec.get("volumes") or []
    host_path = any(fs_type(v) == "hostPath" for v in volumes)
    for v in volumes:
        kind = fs_type(v)
        if kind not in ("", "hostPath"):
            v["name"] = draw(st.sampled_from(["kube-api-access-x1", "data"]))
        if kind == "configMap":
            v["configMap"] = {"name": draw(st.sampled_from(["x", "y"]))}
    for c in spec["containers"]:
        c["image"] = draw(st.sampled_from(["a:1", "b:2"]))
        c["env"] = [{"name": "E", "value": draw(st.sampled_from(["1", "2"]))}]
        for port in c.get("ports") or []:
            port["containerPort"] = draw(st.integers(1, 9))
        if not host_path and draw(st.booleans()):
            c["volumeMounts"] = [{"name": "kube-api-access-x1", "mountPath": "/var/run"}]
    return other


@SETTINGS
@given(policy_sets(), pods(), authorizers, st.data())
def test_the_memo_answers_a_pod_of_a_known_shape_as_a_fresh_review_would(
    policies: PolicySet, pod: dict[str, Any], authorizer: Any, data: st.DataObject
) -> None:
    other = data.draw(unread_changes(pod))
    assert key(other) == key(pod)
    assert_the_memo_answers_as_a_fresh_review(policies, pod, other, authorizer)


def test_the_memo_forgets_its_oldest_shapes_past_its_limit() -> None:
    policies = PolicySet.compile([POOL[0]])
    memo = ReviewMemo(policies, None, limit=2)
    shapes = [_pod_with(**{"spec/runtimeClassName": name}) for name in ("a", "b", "c")]
    for pod in [*shapes, shapes[2], shapes[0]]:
        memo.review(Request("CREATE", pod, "ns"))
    assert len(memo._shapes) == 2
    assert (memo.hits, memo.misses) == (1, 4)


@pytest.mark.parametrize(
    "request_",
    [
        Request("UPDATE", _pod_with(), "ns", old_pod=_pod_with()),
        Request("CREATE", _pod_with(), "ns", subresource="status"),
        Request("CREATE", _pod_with(**{"spec/hostPID": {"x": "y" * MAX_KEY}}), "ns"),
        Request("CREATE", _pod_with(**{"metadata/annotations": ["x"]}), "ns"),
    ],
    ids=["update", "subresource", "no-key", "undecodable"],
)
def test_what_the_memo_cannot_key_is_reviewed_afresh(request_: Request) -> None:
    policies = PolicySet.compile([POOL[0]])
    memo = ReviewMemo(policies, None)
    for _ in range(2):
        assert memo.review(request_) == review(policies, request_, None)
    assert (memo.hits, memo.misses) == (0, 0)


def test_requesters_answered_alike_share_a_shape_and_others_do_not() -> None:
    policies = PolicySet.compile(POOL[:3])
    memo = ReviewMemo(policies, Grants({POOL[2]["metadata"]["name"]}))
    for account in ("a", "b"):
        pod = _pod_with(**{"spec/serviceAccountName": account})
        memo.review(Request("CREATE", pod, "ns", UserInfo("alice")))
    assert (memo.hits, memo.misses) == (1, 1)
    picky = ReviewMemo(policies, Granted({("system:serviceaccount:ns:a", "ns")}))
    for account in ("a", "b"):
        pod = _pod_with(**{"spec/serviceAccountName": account})
        request = Request("CREATE", pod, "ns")
        assert picky.review(request) == review(policies, request, picky._authorizer)
    assert (picky.hits, picky.misses) == (0, 2)


class Granted:
    """An authorizer granting everything to the (user, namespace) pairs named."""

    answers_fixed = True

    def __init__(self, who: set[tuple[str, str]]) -> None:
        self.who = who

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        return (user.name, namespace) in self.who
