"""PodSecurityPolicy's validating phase in Rego v1 (for Gatekeeper, `source.version: v1`):
a pod is admitted when some policy in `input.parameters.policies` admits it unchanged and
the requesting user or the pod's service account may use that policy according to
`input.parameters.grants` (a snapshot of the RBAC that granted `use`). The policies are
podgate's compiled strategies as data (`policy_parameters`), so the program is fixed text
(rego_pod.py: head and pod-level rules; rego_containers.py: per container, and who may use
which policy) and a policy is read exactly as podgate's admission engine reads it."""

from __future__ import annotations

from typing import Any

from podgate.export.rego_containers import CONTAINERS, MAY_USE
from podgate.export.rego_pod import POD_LEVEL
from podgate.export.strategies import Strategies
from podgate.k8s import Obj, mapping
from podgate.psp.policy import BuildError, IdRange
from podgate.psp.strategies import (
    run_as_user,
    sysctls,
)


def _ranges(rs: tuple[IdRange, ...]) -> list[list[int]]:
    return [[r.low, r.high] for r in rs]


def _id_rule(rule: Any) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {"rule": "MustRunAs" if rule.must else "MayRunAs", "ranges": _ranges(rule.ranges)}


def policy_parameters(policy: Obj) -> dict[str, Any]:
    """One policy's strategies as the Rego reads them; `buildable: false` for a policy PSP
    admission skips."""
    name = mapping(policy.get("metadata")).get("name")
    try:
        st = Strategies.of(policy)
    except BuildError:
        return {"name": name, "buildable": False}
    user = st.run_as_user
    se = st.selinux
    aa = st.apparmor
    sc = st.seccomp
    caps = st.capabilities
    ape = st.privilege_escalation
    hostns = st.host_namespaces
    sys = st.sysctls
    vol = st.volumes
    rc = st.runtime_class
    out: dict[str, Any] = {
        "name": name,
        "buildable": True,
        "runAsUser": (
            {"rule": "MustRunAs", "ranges": _ranges(user.ranges)}
            if isinstance(user, run_as_user.MustRunAs)
            else {"rule": "MustRunAsNonRoot"}
            if isinstance(user, run_as_user.MustRunAsNonRoot)
            else {"rule": "RunAsAny"}
        ),
        "runAsGroup": _id_rule(st.run_as_group),
        "fsGroup": _id_rule(st.fs_group),
        "supplementalGroups": _id_rule(st.supplemental_groups),
        "seLinux": None,
        "apparmor": None
        if aa is None
        else {
            "default": aa.default,
            "allowed": None if aa.allowed is None else sorted(aa.allowed),
        },
        "seccomp": {
            "default": sc.default,
            "allowed": None if sc.allowed is None else sorted(sc.allowed),
            "allowAny": sc.allow_any,
        },
        "privileged": st.privileged is None,
        "procMount": sorted(st.proc_mount.allowed),
        "capabilities": {
            "defaultAdd": sorted(caps.default_add),
            "requiredDrop": sorted(caps.required_drop_set),
            "allowed": sorted(caps.allowed | caps.default_add),
            "allowAll": caps.allow_all,
        },
        "hostPorts": _ranges(st.host_ports.ranges),
        "readOnlyRootFilesystem": st.read_only_root is not None,
        "allowPrivilegeEscalation": None
        if ape is None
        else {"allow": ape.allow, "default": ape.default},
        "hostNamespaces": [] if hostns is None else [k for k, _ in hostns.forbidden],
        "sysctls": {
            "canFail": sys.can_fail,
            "forbidden": sorted(sys.forbidden.exact),
            "forbiddenPrefixes": sorted(set(sys.forbidden.prefixes)),
            "allowed": sorted(sys.allowed_unsafe.exact | sysctls.SAFE_SYSCTLS),
            "allowedPrefixes": sorted(set(sys.allowed_unsafe.prefixes)),
        },
        "volumes": {
            "allowAll": vol.allow_all,
            "allowed": sorted(vol.allowed),
            "hostPaths": [{"prefix": h.prefix, "readOnly": h.read_only} for h in vol.host_paths],
            "flexDrivers": sorted(vol.flex_drivers),
            "csiDrivers": sorted(vol.csi_drivers),
        },
        "runtimeClass": None
        if rc is None
        else {"allowed": sorted(rc.allowed), "allowAny": rc.allow_any, "default": rc.default},
    }
    if se is not None:
        level = se.options.get("level")
        level = level if isinstance(level, str) else ""
        sens, cats = level.split(":", 1) if ":" in level else (None, "")
        out["seLinux"] = {
            **{
                k: v if isinstance(v := se.options.get(k), str) else ""
                for k in ("role", "type", "user")
            },
            "level": level,
            "sensitivity": sens,
            "categories": cats.split(","),
        }
    return out


REGO = POD_LEVEL + CONTAINERS + MAY_USE
"""The whole program (Rego v1), fixed text: the policies come as parameters."""
