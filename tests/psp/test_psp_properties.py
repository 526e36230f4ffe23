"""Properties of PSP admission over random pods and the builtin policies."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import jsonpatch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.k8s.defaults import default_policy
from podgate.k8s.pod_validation import pod_create_errors
from podgate.k8s.prepare import PSP_RELEASE, prepare_for_create
from podgate.psp import PolicySet, Request, review, validate_phase
from podgate.psp.patch import json_patch


def _builtin(name: str) -> dict[str, Any]:
    text = resources.files("podgate.library").joinpath(f"{name}.yaml").read_text()
    return dict(default_policy(yaml.safe_load(text))[0])


BUILTINS = {n: PolicySet.compile([_builtin(n)]) for n in ("privileged", "baseline", "restricted")}
ALL = PolicySet.compile([_builtin(n) for n in ("privileged", "baseline", "restricted")])

maybe = st.none() | st.booleans()
caps = st.lists(
    st.sampled_from(["ALL", "NET_RAW", "CHOWN", "SYS_ADMIN", "NET_BIND_SERVICE"]), max_size=3
)
profile = st.none() | st.sampled_from(
    [
        {"type": "RuntimeDefault"},
        {"type": "Unconfined"},
        {"type": "Localhost", "localhostProfile": "p"},
    ]
)


@st.composite
def security_contexts(draw: Any) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    sc: dict[str, Any] = {}
    for key in ("privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsNonRoot"):
        v = draw(maybe)
        if v is not None:
            sc[key] = v
    uid = draw(st.none() | st.sampled_from([0, 1000, 65534]))
    if uid is not None:
        sc["runAsUser"] = uid
    if draw(st.booleans()):
        sc["capabilities"] = {k: draw(caps) for k in ("add", "drop") if draw(st.booleans())}
    prof = draw(profile)
    if prof is not None:
        sc["seccompProfile"] = prof
    if draw(st.booleans()):
        sc["procMount"] = draw(st.sampled_from(["Default", "Unmasked"]))
    return sc


@st.composite
def containers(draw: Any, name: str) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": "registry.example/app:1"}
    sc = draw(security_contexts())
    if sc is not None:
        c["securityContext"] = sc
    if draw(st.booleans()):
        c["ports"] = [
            {"containerPort": 8080, **({"hostPort": 8080} if draw(st.booleans()) else {})}
        ]
    if draw(st.booleans()):
        c["volumeMounts"] = [{"name": "v0", "mountPath": "/data", "readOnly": draw(st.booleans())}]
    return c


volumes = st.sampled_from(
    [
        {"name": "v0", "emptyDir": {}},
        {"name": "v0", "configMap": {"name": "x"}},
        {"name": "v0", "hostPath": {"path": "/var/log"}},
        {"name": "v0", "secret": {"secretName": "s"}},
        {"name": "v0", "persistentVolumeClaim": {"claimName": "c"}},
    ]
)


@st.composite
def pods(draw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [draw(containers(f"c{i}")) for i in range(draw(st.integers(1, 2)))]
    }
    if draw(st.booleans()):
        spec["initContainers"] = [draw(containers("init"))]
    if draw(st.booleans()):
        spec["volumes"] = [draw(volumes)]
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if draw(st.integers(0, 4)) == 0:
            spec[key] = True
    psc: dict[str, Any] = {}
    if draw(st.booleans()):
        psc["runAsNonRoot"] = draw(st.booleans())
    if draw(st.booleans()):
        psc["runAsUser"] = draw(st.sampled_from([0, 1000]))
    prof = draw(profile)
    if prof is not None:
        psc["seccompProfile"] = prof
    if draw(st.booleans()):
        psc["sysctls"] = [
            {
                "name": draw(st.sampled_from(["kernel.shm_rmid_forced", "kernel.msgmax"])),
                "value": "1",
            }
        ]
    if psc or draw(st.booleans()):
        spec["securityContext"] = psc
    meta: dict[str, Any] = {"name": "p", "namespace": "ns"}
    if draw(st.booleans()):
        meta["annotations"] = {
            "seccomp.security.alpha.kubernetes.io/pod": draw(
                st.sampled_from(["runtime/default", "docker/default", "unconfined"])
            )
        }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(pods())
def test_input_unchanged_patch_reproduces_and_admission_is_idempotent(p: dict[str, Any]) -> None:
    before = copy.deepcopy(p)
    for policies in (*BUILTINS.values(), ALL):
        d = review(policies, Request("CREATE", p, "ns"))
        assert p == before
        if not d.allowed:
            continue
        assert jsonpatch.apply_patch(before, d.patch) == d.object
        assert json_patch(before, d.object) == d.patch
        validated = validate_phase(policies, d.object, "ns", None, None)
        assert validated.allowed
        assert validated.policy == d.policy
        # what the validating phase really gets: the pod after PrepareForCreate's seccomp sync
        # (review's shortcut takes the admitting policy to accept it unchanged)
        prepared, synced = prepare_for_create(d.object, PSP_RELEASE)
        assert synced == d.prepared
        assert validate_phase(policies, prepared, "ns", None, None).policy == d.policy
        again = review(policies, Request("CREATE", d.object, "ns"))
        assert again.allowed and not again.mutated and again.patch == []
        updated = review(policies, Request("UPDATE", d.object, "ns"))
        assert updated.allowed and updated.policy == d.policy


@SETTINGS
@given(pods())
def test_what_restricted_admits_baseline_admits_and_privileged_admits_all(
    p: dict[str, Any],
) -> None:
    # privileged changes nothing: it admits every pod the API server's validation accepts
    privileged = review(BUILTINS["privileged"], Request("CREATE", p, "ns"))
    assert privileged.allowed is not bool(pod_create_errors(p))
    if review(BUILTINS["restricted"], Request("CREATE", p, "ns")).allowed:
        assert review(BUILTINS["baseline"], Request("CREATE", p, "ns")).allowed
