"""Helpers for the advisor tests: pods, workloads, the round trip through the engine, and the
least-privilege tightenings of a generated policy."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from podgate.advisor import Advice, unchanged
from podgate.advisor.advise import observe
from podgate.k8s import Obj
from podgate.k8s.source import documents
from podgate.psp import PolicySet, Request, review
from podgate.psp.strategies import apparmor, seccomp
from podgate.rbac import Authorizer

DUMMY_PATH = "/podgate-nothing-uses-this"
DUMMY_ID = 2_000_000_000


def pod(
    name: str = "p",
    ns: str = "app",
    sa: str = "sa",
    containers: Sequence[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
    token: bool = False,
    **spec: Any,
) -> dict[str, Any]:
    """A pod; without `token`, with automountServiceAccountToken: false (else the advisor adds
    the projected token volume the ServiceAccount admission plugin would add)."""
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if annotations:
        meta["annotations"] = annotations
    body = {
        "serviceAccountName": sa,
        "containers": list(containers or [{"name": "c", "image": "i"}]),
        **spec,
    }
    if not token:
        body.setdefault("automountServiceAccountToken", False)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body}


def container(name: str = "c", **sc: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": "i"}
    if sc:
        c["securityContext"] = sc
    return c


def fails(policy: Obj, pods: Sequence[Obj]) -> bool:
    """Some pod is denied or changed by `policy` alone."""
    policy_set = PolicySet.compile([policy])
    if not policy_set.providers:
        return True
    for p in pods:
        ns = p["metadata"].get("namespace") or "default"
        d = review(policy_set, Request("CREATE", p, ns, None), None)
        if not d.allowed or (d.mutated and not unchanged(p, d.object)):
            return True
    return False


def round_trip(manifests: Sequence[Obj], advice: Advice, objs: Sequence[Obj]) -> list[str]:
    """Every observed pod (each pod of `objs`, and each controller's pod from its template)
    through ALL the generated policies with the generated RBAC, as its service account: the
    problems (empty when each is admitted unchanged by its own group's policy)."""
    policies = [m for m in manifests if m.get("kind") == "PodSecurityPolicy"]
    rbac = [m for m in manifests if m.get("kind") != "PodSecurityPolicy"]
    policy_set = PolicySet.compile(policies)
    assert len(policy_set.providers) == len(policies), policy_set.unusable
    authz = Authorizer.from_objects(rbac)
    expected = {sa: p.name for p in advice.policies for sa in p.service_accounts}
    problems = []
    advised = {o.workload.ref for o in advice.observed}  # not those left out (advice.left_out)
    observed = [
        o
        for o in observe(documents(objs), advice.options.namespace, distinct=False)
        if o.workload.ref in advised
    ]
    assert sum(len(o.pods) for o in observed) == advice.observed_pods
    for o in observed:
        w = o.workload
        for p in o.pods:
            d = review(policy_set, Request("CREATE", p, w.ref.namespace, None), authz)
            if not d.allowed:
                problems.append(f"{w.ref}: denied: {d.message}")
            elif d.mutated and not unchanged(p, d.object):
                problems.append(f"{w.ref}: mutated: {d.patch}")
            elif d.policy != expected[(w.ref.namespace, w.service_account)]:
                problems.append(f"{w.ref}: admitted by {d.policy}")
    return problems


def _without(items: list[Any], i: int, dummy: Any) -> list[Any]:
    rest = items[:i] + items[i + 1 :]
    return rest or [dummy]


def _observed_ids(pods: Sequence[Obj], field: str) -> list[int]:
    """Every integer value of a user or group field in `pods` (pod and container level)."""
    out: list[int] = []
    for p in pods:
        spec = p.get("spec") or {}
        scs = [spec.get("securityContext") or {}]
        for name in ("initContainers", "containers", "ephemeralContainers"):
            scs += [c.get("securityContext") or {} for c in spec.get(name) or ()]
        for sc in scs:
            v = sc.get(field)
            for x in v if isinstance(v, list) else [v]:
                if isinstance(x, int) and not isinstance(x, bool) and x >= 0:
                    out.append(x)
    return out


def _covering(values: list[int]) -> list[dict[str, int]]:
    return [{"min": v, "max": v} for v in sorted(set(values))] or [
        {"min": DUMMY_ID, "max": DUMMY_ID}
    ]


def tightenings(policy: Obj, pods: Sequence[Obj] = ()) -> Iterator[tuple[str, dict[str, Any]]]:
    """(what is taken away, the policy without it) for each privilege `policy` grants. With the
    group's `pods`, a loose rule is also tried against the strict one that allows every value
    they use (RunAsAny against MustRunAs/MayRunAs of those IDs, seLinux RunAsAny against
    MustRunAs of each pod's options)."""
    spec = policy["spec"]
    ann = policy["metadata"].get("annotations", {})

    def variant(change: dict[str, Any], annotations: dict[str, str] | None = None) -> Any:
        p = copy.deepcopy(dict(policy))
        p["spec"].update(change)
        if annotations is not None:
            p["metadata"]["annotations"] = annotations
        return p

    for key in ("privileged", "hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            yield key, variant({key: False})
    ports = spec.get("hostPorts", [])
    for i, r in enumerate(ports):
        yield f"hostPorts {r}", variant({"hostPorts": ports[:i] + ports[i + 1 :]})
        if r["min"] < r["max"]:
            shrunk = [*ports[:i], {"min": r["min"] + 1, "max": r["max"]}, *ports[i + 1 :]]
            yield f"hostPorts {r} low end", variant({"hostPorts": shrunk})
    vols = spec["volumes"]
    for i, v in enumerate(vols):
        yield f"volume {v}", variant({"volumes": vols[:i] + vols[i + 1 :]})
    paths = spec.get("allowedHostPaths", [])
    for i, hp in enumerate(paths):
        no_path = {"pathPrefix": DUMMY_PATH}
        yield f"hostPath {hp}", variant({"allowedHostPaths": _without(paths, i, no_path)})
        if not hp.get("readOnly"):
            ro = [*paths[:i], {**hp, "readOnly": True}, *paths[i + 1 :]]
            yield f"hostPath {hp} writable", variant({"allowedHostPaths": ro})
    for field, key, dummy_value in (
        ("allowedFlexVolumes", "driver", "podgate/none"),
        ("allowedCSIDrivers", "name", "none.podgate.dev"),
    ):
        items = spec.get(field, [])
        for i, item in enumerate(items):
            none: dict[str, Any] = {key: dummy_value}
            yield f"{field} {item}", variant({field: _without(items, i, none)})
    for field in ("runAsUser", "runAsGroup", "supplementalGroups", "fsGroup"):
        st = spec.get(field)
        if st is None:
            continue
        rule = st["rule"]
        rs = st.get("ranges", [])
        dummy: dict[str, Any] = {"min": DUMMY_ID, "max": DUMMY_ID}
        for i, r in enumerate(rs):
            yield f"{field} {r}", variant({field: {**st, "ranges": _without(rs, i, dummy)}})
        if rule == "MayRunAs":
            yield f"{field} MayRunAs", variant({field: {**st, "rule": "MustRunAs"}})
        observed = _observed_ids(pods, field)
        used = _covering(observed)
        if rule == "RunAsAny":
            if field == "runAsUser":
                yield "runAsUser RunAsAny", variant({field: {"rule": "MustRunAsNonRoot"}})
            elif observed:  # none used: a policy cannot say "no group at all"
                may = {"rule": "MayRunAs", "ranges": used}
                yield f"{field} RunAsAny (MayRunAs)", variant({field: may})
        if rule in ("RunAsAny", "MustRunAsNonRoot") and field == "runAsUser":
            must = {"rule": "MustRunAs", "ranges": used}
            yield f"runAsUser {rule} (MustRunAs)", variant({field: must})
        if rule == "RunAsAny" and field != "runAsUser":
            must = {"rule": "MustRunAs", "ranges": used}
            yield f"{field} RunAsAny (MustRunAs)", variant({field: must})
    if spec["seLinux"]["rule"] == "RunAsAny":
        options: list[dict[str, Any]] = [{"type": "podgate_none_t"}]
        for p in pods:
            opts = ((p.get("spec") or {}).get("securityContext") or {}).get("seLinuxOptions")
            if isinstance(opts, dict) and opts not in options:
                options.append(opts)
        for opts in options:
            se_must: dict[str, Any] = {"rule": "MustRunAs", "seLinuxOptions": opts}
            yield f"seLinux RunAsAny ({opts})", variant({"seLinux": se_must})
    caps = spec.get("allowedCapabilities", [])
    for i, c in enumerate(caps):
        yield f"capability {c}", variant({"allowedCapabilities": caps[:i] + caps[i + 1 :]})
    sysctls = spec.get("allowedUnsafeSysctls", [])
    for i, s in enumerate(sysctls):
        yield f"sysctl {s}", variant({"allowedUnsafeSysctls": sysctls[:i] + sysctls[i + 1 :]})
    procs = spec.get("allowedProcMountTypes", [])
    for i, t in enumerate(procs):
        yield f"procMount {t}", variant({"allowedProcMountTypes": procs[:i] + procs[i + 1 :]})
    names = spec["runtimeClass"]["allowedRuntimeClassNames"]
    for i, n in enumerate(names):
        rc = {"allowedRuntimeClassNames": names[:i] + names[i + 1 :]}
        yield f"runtimeClass {n}", variant({"runtimeClass": rc})
    if not spec["readOnlyRootFilesystem"]:
        yield "readOnlyRootFilesystem", variant({"readOnlyRootFilesystem": True})
    if spec["allowPrivilegeEscalation"]:
        yield "allowPrivilegeEscalation", variant({"allowPrivilegeEscalation": False})
    allowed = ann.get(seccomp.ALLOWED_KEY)
    if allowed == "*":
        yield "seccomp *", variant({}, {**ann, seccomp.ALLOWED_KEY: "runtime/default"})
    elif allowed:
        profiles = allowed.split(",")
        for i, p in enumerate(profiles):
            rest = profiles[:i] + profiles[i + 1 :]
            annots = {k: v for k, v in ann.items() if k != seccomp.ALLOWED_KEY}
            if rest:
                annots[seccomp.ALLOWED_KEY] = ",".join(rest)
            yield f"seccomp {p}", variant({}, annots)
    allowed = ann.get(apparmor.ALLOWED_KEY)
    if allowed:
        profiles = allowed.split(",")
        for i, p in enumerate(profiles):
            rest = profiles[:i] + profiles[i + 1 :] or ["localhost/podgate-none"]
            yield f"apparmor {p}", variant({}, {**ann, apparmor.ALLOWED_KEY: ",".join(rest)})
