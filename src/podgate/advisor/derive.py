"""The least-privilege PodSecurityPolicy spec for a set of pods: each field allows exactly what
the pods use, and no field defaults or mutates anything (every rule is chosen so that the
strategy accepts each pod as it is; see psp/strategies for what each rule accepts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from podgate.advisor.facts import PodFacts, all_containers, is_id, selinux_key
from podgate.psp.strategies import apparmor, seccomp
from podgate.psp.validation import validate_policy

_PREFIX_ROOT = "/"


@dataclass(frozen=True, slots=True)
class Derived:
    spec: dict[str, Any]
    annotations: dict[str, str]
    notes: tuple[str, ...]  # where PSP cannot express "exactly this" and allows more


def ranges(values: Iterable[int]) -> list[dict[str, int]]:
    """Sorted, distinct values merged into runs of consecutive numbers."""
    out: list[dict[str, int]] = []
    for v in sorted(set(values)):
        if out and out[-1]["max"] == v - 1:
            out[-1]["max"] = v
        else:
            out.append({"min": v, "max": v})
    return out


def _under(path: str, prefix: str) -> bool:
    """`path` is `prefix` or below it on whole segments (as allowedHostPaths match)."""
    return path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/")


def host_paths(uses: dict[str, bool]) -> list[dict[str, Any]]:
    """allowedHostPaths for {path: every mount read-only}: one entry per path, read-only where
    every mount is, leaving out entries another entry already allows as much as they do."""
    out: list[dict[str, Any]] = []
    for path in sorted(uses):
        ro = uses[path]
        covered = any(
            other != path and _under(path, other) and (not uses[other] or ro) for other in uses
        )
        if covered:
            continue
        entry: dict[str, Any] = {"pathPrefix": path or _PREFIX_ROOT}
        if ro:
            entry["readOnly"] = True
        out.append(entry)
    return out


def _id_rule(values: Sequence[Any], *, unset: int, per: int) -> dict[str, Any]:
    """A group strategy: MustRunAs when every one of `per` items has an ID, MayRunAs when some
    have (MustRunAs would fill in the others), RunAsAny when none or an ID is malformed."""
    if not values or not all(is_id(v) for v in values):
        return {"rule": "RunAsAny"}
    rule = "MustRunAs" if unset == 0 and per > 0 else "MayRunAs"
    return {"rule": rule, "ranges": ranges(values)}


def _valid_profiles(profiles: Iterable[str], key: str) -> bool:
    raw = ",".join(profiles)
    errs = validate_policy(
        {
            "apiVersion": "policy/v1beta1",
            "kind": "PodSecurityPolicy",
            "metadata": {"name": "x", "annotations": {key: raw}},
            "spec": {
                "runAsUser": {"rule": "RunAsAny"},
                "seLinux": {"rule": "RunAsAny"},
                "supplementalGroups": {"rule": "RunAsAny"},
                "fsGroup": {"rule": "RunAsAny"},
            },
        }
    )
    return not errs


def derive(pods: Sequence[PodFacts]) -> Derived:
    """The policy for `pods` (one group's workloads)."""
    notes: list[str] = []
    containers = list(all_containers(pods))
    spec: dict[str, Any] = {
        "privileged": any(c.privileged for c in containers),
        "hostNetwork": any(p.host_network for p in pods),
        "hostPID": any(p.host_pid for p in pods),
        "hostIPC": any(p.host_ipc for p in pods),
    }
    ports = {hp for c in containers for hp in c.host_ports}
    if ports:
        spec["hostPorts"] = ranges(p for p in ports if isinstance(p, int))
    types = {t for p in pods for t in p.volume_types if t}
    spec["volumes"] = sorted(types)
    if "hostPath" in types:
        uses: dict[str, bool] = {}
        for p in pods:
            for hp in p.host_paths:
                uses[hp.path] = uses.get(hp.path, True) and hp.read_only
        spec["allowedHostPaths"] = host_paths(uses)
    if "flexVolume" in types:
        drivers = sorted({d for p in pods for d in p.flex_drivers if isinstance(d, str)})
        spec["allowedFlexVolumes"] = [{"driver": d} for d in drivers]
    if "csi" in types:
        names = sorted({d for p in pods for d in p.csi_drivers if isinstance(d, str)})
        spec["allowedCSIDrivers"] = [{"name": n} for n in names]

    # runAsUser: ranges when every container has a UID, else non-root when that holds as is
    uids = [c.uid for c in containers]
    if uids and all(is_id(u) for u in uids):
        spec["runAsUser"] = {"rule": "MustRunAs", "ranges": ranges(uids)}
    elif containers and all(c.passes_non_root for c in containers):
        spec["runAsUser"] = {"rule": "MustRunAsNonRoot"}
    else:
        spec["runAsUser"] = {"rule": "RunAsAny"}
    gids = [c.gid for c in containers if c.gid is not None]
    spec["runAsGroup"] = _id_rule(gids, unset=len(containers) - len(gids), per=len(containers))
    sup_lists = [p.supplemental_groups for p in pods if p.supplemental_groups is not None]
    sup_unset = sum(1 for p in pods if not p.supplemental_groups)
    if all(isinstance(s, list) for s in sup_lists):
        sup = [g for s in sup_lists for g in s]
        spec["supplementalGroups"] = _id_rule(sup, unset=sup_unset, per=len(pods))
    else:
        spec["supplementalGroups"] = {"rule": "RunAsAny"}
    fs = [p.fs_group for p in pods if p.fs_group is not None]
    spec["fsGroup"] = _id_rule(fs, unset=len(pods) - len(fs), per=len(pods))

    # seLinux: MustRunAs only when every pod and container has the same options
    spec["seLinux"] = _selinux(pods)

    added = {a for c in containers for a in c.added}
    if added:
        spec["allowedCapabilities"] = sorted(str(a) for a in added)
    if containers:
        common = frozenset.intersection(*(c.dropped for c in containers)) - added
        if common:
            spec["requiredDropCapabilities"] = sorted(common)
    sysctls = sorted({s for p in pods for s in p.unsafe_sysctls})
    if sysctls:
        spec["allowedUnsafeSysctls"] = sysctls
    procs = {c.proc_mount for c in containers}
    if procs - {"Default"}:
        spec["allowedProcMountTypes"] = sorted(str(p) for p in procs)
    rcs = sorted({p.runtime_class for p in pods if isinstance(p.runtime_class, str)})
    spec["runtimeClass"] = {"allowedRuntimeClassNames": rcs}
    spec["readOnlyRootFilesystem"] = bool(containers) and all(c.read_only_root for c in containers)
    spec["allowPrivilegeEscalation"] = not (containers and all(c.no_escalation for c in containers))

    annotations: dict[str, str] = {}
    profiles = {p.pod_seccomp for p in pods} | {c.seccomp for c in containers}
    used = sorted(profiles - {""})
    if "runtime/default" in used and "docker/default" in used:
        used.remove("docker/default")  # either name allows both (psp.md 7.11)
    if used:
        if "" in profiles:
            annotations[seccomp.ALLOWED_KEY] = "*"
            notes.append(
                "seccomp: some pods or containers set no profile and others do; a policy "
                "cannot list 'no profile' beside profiles, so any profile is allowed"
            )
        elif not _valid_profiles(used, seccomp.ALLOWED_KEY):
            annotations[seccomp.ALLOWED_KEY] = "*"
            notes.append(f"seccomp: a profile in use is not a valid name ({', '.join(used)})")
        else:
            annotations[seccomp.ALLOWED_KEY] = ",".join(used)
    aa = [c.apparmor for c in containers]
    if aa and all(isinstance(a, str) and a for a in aa):
        names = sorted({str(a) for a in aa})
        if _valid_profiles(names, apparmor.ALLOWED_KEY):
            annotations[apparmor.ALLOWED_KEY] = ",".join(names)
        else:
            notes.append(f"AppArmor: a profile in use is not a valid name ({', '.join(names)})")
    elif any(isinstance(a, str) and a for a in aa):
        notes.append(
            "AppArmor: some containers set no profile; a policy that lists profiles requires "
            "one on every container, so any profile is allowed"
        )
    return Derived(spec, annotations, tuple(notes))


def _selinux(pods: Sequence[PodFacts]) -> dict[str, Any]:
    first: Any = None
    key: tuple[Any, ...] | None = None
    for p in pods:
        opts = p.pod_selinux
        if not isinstance(opts, dict):
            return {"rule": "RunAsAny"}
        k = selinux_key(opts)
        if key is None:
            first, key = opts, k
        elif k != key:
            return {"rule": "RunAsAny"}
        for c in p.containers:
            if not isinstance(c.selinux, dict) or selinux_key(c.selinux) != key:
                return {"rule": "RunAsAny"}
    if first is None:
        return {"rule": "RunAsAny"}
    options = {
        f: v for f in ("user", "role", "type", "level") if isinstance(v := first.get(f), str) and v
    }
    return {"rule": "MustRunAs", "seLinuxOptions": options}
