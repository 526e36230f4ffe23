"""The advisor's properties on random pods (hypothesis): every field the PSP strategies read,
set or unset at pod and container level from small pools, so that groups mix them. For every
sample, the advice admits each pod unchanged (advise's own self-check and the round trip with
all policies and RBAC) and each privilege it grants is needed by some pod."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.advisor import AdviseOptions, GroupBy, advise
from podgate.k8s.source import documents
from podgate.psp.strategies import apparmor, seccomp
from tests.advisor.test_advisor_helpers import fails, round_trip, tightenings

UNSET: Any = None
maybe_bool = st.sampled_from([UNSET, True, False])
ids = st.sampled_from([UNSET, 0, 1000, 1001, 2000, 65534])
selinux = st.sampled_from(
    [UNSET, {"type": "spc_t"}, {"type": "container_t", "level": "s0:c1,c2"}, {"level": "s0:c2,c1"}]
)
profile_field = st.sampled_from(
    [
        UNSET,
        {"type": "RuntimeDefault"},
        {"type": "Unconfined"},
        {"type": "Localhost", "localhostProfile": "audit.json"},
    ]
)
caps = st.sampled_from([UNSET, {"drop": ["ALL"]}, {"add": ["NET_ADMIN"], "drop": ["ALL"]}])
caps |= st.sampled_from([{"add": ["IPC_LOCK"]}, {"drop": ["NET_RAW", "ALL"]}, {}])


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


@st.composite
def containers(draw: st.DrawFn, name: str) -> dict[str, Any]:
    sc = _clean(
        {
            "privileged": draw(maybe_bool),
            "runAsUser": draw(ids),
            "runAsNonRoot": draw(maybe_bool),
            "runAsGroup": draw(ids),
            "seLinuxOptions": draw(selinux),
            "capabilities": draw(caps),
            "seccompProfile": draw(profile_field),
            "procMount": draw(st.sampled_from([UNSET, "Default", "Unmasked"])),
            "readOnlyRootFilesystem": draw(maybe_bool),
            "allowPrivilegeEscalation": draw(maybe_bool),
        }
    )
    c: dict[str, Any] = {"name": name, "image": "i"}
    if sc:
        c["securityContext"] = sc
    port = draw(st.sampled_from([UNSET, 80, 81, 443, 9100]))
    if port is not None:
        c["ports"] = [{"containerPort": 8080, "hostPort": port}]
    mounts = draw(st.lists(st.sampled_from(["h1", "h2", "cfg"]), max_size=2, unique=True))
    if mounts:
        c["volumeMounts"] = [
            {
                "name": m,
                "mountPath": f"/m/{m}",
                **({"readOnly": True} if draw(st.booleans()) else {}),
            }
            for m in mounts
        ]
    return c


@st.composite
def pods(draw: st.DrawFn, i: int) -> dict[str, Any]:
    n = draw(st.integers(1, 2))
    cs = [draw(containers(f"c{j}")) for j in range(n)]
    init = [draw(containers("init"))] if draw(st.booleans()) else []
    volumes = [
        {"name": "h1", "hostPath": {"path": draw(st.sampled_from(["/var/log", "/var", "/data/"]))}},
        {"name": "h2", "hostPath": {"path": draw(st.sampled_from(["/var/log/pods", "/", "/etc"]))}},
        {"name": "cfg", "configMap": {"name": "x"}},
    ]
    volumes = [v for v in volumes if draw(st.booleans())]
    names = {v["name"] for v in volumes}
    for c in [*cs, *init]:
        kept = [m for m in c.get("volumeMounts", []) if m["name"] in names]
        if kept:
            c["volumeMounts"] = kept
        else:
            c.pop("volumeMounts", None)
    extra = draw(st.sampled_from([[], [{"name": "f", "flexVolume": {"driver": "ex/lvm"}}]]))
    extra += draw(st.sampled_from([[], [{"name": "s", "csi": {"driver": "csi.example.com"}}]]))
    pod_sc = _clean(
        {
            "runAsUser": draw(ids),
            "runAsNonRoot": draw(maybe_bool),
            "runAsGroup": draw(ids),
            "fsGroup": draw(ids),
            "supplementalGroups": draw(st.sampled_from([UNSET, [], [5], [5, 6, 100]])),
            "seLinuxOptions": draw(selinux),
            "seccompProfile": draw(profile_field),
            "sysctls": draw(
                st.sampled_from(
                    [
                        UNSET,
                        [{"name": "net.core.somaxconn", "value": "1"}],
                        [{"name": "kernel.shm_rmid_forced", "value": "1"}],
                    ]
                )
            ),
        }
    )
    annotations: dict[str, str] = {}
    for c in [*cs, *init]:
        aa = draw(st.sampled_from([UNSET, "runtime/default", "localhost/x"]))
        if aa is not None:
            annotations[apparmor.CONTAINER_PREFIX + c["name"]] = aa
    pod_profile = draw(st.sampled_from([UNSET, "docker/default", "runtime/default"]))
    if pod_profile is not None:
        annotations[seccomp.POD_KEY] = pod_profile
    spec: dict[str, Any] = {
        "serviceAccountName": draw(st.sampled_from(["a", "b"])),
        "automountServiceAccountToken": draw(st.booleans()),
        "containers": cs,
        **_clean(
            {
                "hostNetwork": draw(maybe_bool),
                "hostPID": draw(maybe_bool),
                "hostIPC": draw(maybe_bool),
                "runtimeClassName": draw(st.sampled_from([UNSET, "gvisor", "kata"])),
            }
        ),
    }
    if init:
        spec["initContainers"] = init
    if volumes or extra:
        spec["volumes"] = volumes + extra
    if pod_sc:
        spec["securityContext"] = pod_sc
    meta: dict[str, Any] = {"name": f"p{i}", "namespace": draw(st.sampled_from(["x", "y"]))}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


@st.composite
def clusters(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 4))
    return [draw(pods(i)) for i in range(n)]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(clusters(), st.sampled_from(list(GroupBy)))
def test_random_pods_are_admitted_unchanged_and_every_grant_is_needed(
    objs: list[dict[str, Any]], group_by: GroupBy
) -> None:
    advice = advise(documents(objs), AdviseOptions(group_by=group_by))  # raises unless all admitted
    assert round_trip(advice.manifests, advice, objs) == []
    for p in advice.policies:
        group = [pod for g in p.groups for o in g.observed for pod in o.pods]
        kept = [what for what, tighter in tightenings(p.policy, group) if not fails(tighter, group)]
        assert kept == [], f"{p.name}: not needed by any pod: {kept}"
