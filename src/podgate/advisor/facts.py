"""What one pod uses, read exactly as the PSP strategies read it (psp/strategies/*): the facts a
least-privilege policy is derived from. Wrongly typed values are kept as they are, so a policy
derived from them fails the advisor's self-check instead of silently allowing them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, container_lists, mapping, sequence
from podgate.k8s.objects import ContainerList
from podgate.psp.strategies import apparmor, seccomp
from podgate.psp.strategies.sysctls import SAFE_SYSCTLS
from podgate.psp.strategies.volumes import fs_type

_EMPTY: Obj = {}


def _set(value: Any) -> bool:
    """A field the strategies read as "on": anything but absent, null and false."""
    return value is not None and value is not False


def _trim(path: str) -> str:
    return path[:-1] if path.endswith("/") else path


def is_id(value: Any) -> bool:
    """A user or group ID a MustRunAs/MayRunAs range can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def selinux_key(opts: Obj) -> tuple[Any, ...]:
    """SELinux options as the MustRunAs strategy compares them: user, role and type as text,
    the level's categories as a sorted list."""

    def text(key: str) -> str:
        v = opts.get(key)
        return v if isinstance(v, str) else ""

    level = text("level")
    parts = level.split(":", 1)
    lvl: tuple[Any, ...] = (level,)
    if len(parts) == 2:
        lvl = (parts[0], tuple(sorted(parts[1].split(","))))
    return (text("user"), text("role"), text("type"), lvl)


@dataclass(frozen=True, slots=True)
class ContainerFacts:
    name: str
    list_name: ContainerList
    privileged: bool
    host_ports: tuple[Any, ...]  # hostPort values other than absent/0/negative
    uid: Any  # effective runAsUser (container, else pod), None when unset
    non_root: Any  # effective runAsNonRoot
    gid: Any  # effective runAsGroup
    selinux: Any  # effective seLinuxOptions
    added: tuple[Any, ...]  # capabilities.add
    dropped: frozenset[str]  # capabilities.drop
    seccomp: str  # the profile the seccomp strategy validates ("" when none)
    apparmor: Any  # the container's AppArmor annotation (None when absent)
    proc_mount: Any
    read_only_root: bool  # readOnlyRootFilesystem is true
    no_escalation: bool  # allowPrivilegeEscalation is false

    @property
    def passes_non_root(self) -> bool:
        """MustRunAsNonRoot accepts the container as it is (and so does not mutate it)."""
        nr, uid = self.non_root, self.uid
        if nr is None and uid is None:
            return False
        if nr is not None and nr is not True:
            return False
        return uid is None or (isinstance(uid, int) and uid != 0)


@dataclass(frozen=True, slots=True)
class HostPathUse:
    path: str  # with one trailing slash removed, as the strategy compares it
    read_only: bool  # every mount of the volume is readOnly: true
    volume: str


@dataclass(frozen=True, slots=True)
class PodFacts:
    host_network: bool
    host_pid: bool
    host_ipc: bool
    volume_types: tuple[str, ...]
    host_paths: tuple[HostPathUse, ...]
    flex_drivers: tuple[Any, ...]
    csi_drivers: tuple[Any, ...]
    supplemental_groups: Any  # the pod's value (None, a list, or a wrong type)
    fs_group: Any
    pod_selinux: Any
    pod_seccomp: str
    unsafe_sysctls: tuple[Any, ...]
    runtime_class: Any
    containers: tuple[ContainerFacts, ...]


def _container_seccomp(c: Obj, csc: Obj, pod_sc: Obj, annotations: Obj) -> str:
    """The container's profile as the seccomp strategy's validate_container finds it."""
    profile = seccomp.profile_of_field(csc)
    if profile is None:
        name = c.get("name")
        key = seccomp.CONTAINER_PREFIX + (name if isinstance(name, str) else "")
        if key in annotations:
            v = annotations.get(key)
            profile = v if isinstance(v, str) else ""
        else:
            profile = seccomp.profile_of_field(pod_sc)
            if profile is None:
                v = annotations.get(seccomp.POD_KEY)
                profile = v if isinstance(v, str) else ""
    return profile


def pod_facts(meta: Obj, spec: Obj) -> PodFacts:
    """The facts of one pod (its metadata and spec)."""
    annotations = mapping(meta.get("annotations"))
    pod_sc = mapping(spec.get("securityContext"))
    vols = [mapping(v) for v in sequence(spec.get("volumes"))]
    types = tuple(fs_type(v) for v in vols)
    mounts: dict[Any, list[bool]] = {}
    containers: list[ContainerFacts] = []
    for list_name, items in container_lists(spec):
        for item in items:
            c = mapping(item)
            for m in sequence(c.get("volumeMounts")):
                mm = mapping(m)
                mounts.setdefault(mm.get("name"), []).append(mm.get("readOnly") is True)
            csc = mapping(c.get("securityContext"))
            caps = csc.get("capabilities")
            capm = mapping(caps)
            name = c.get("name")
            name = name if isinstance(name, str) else ""
            aa = annotations.get(apparmor.CONTAINER_PREFIX + name)

            def eff(key: str, csc: Obj = csc) -> Any:
                v = csc.get(key)
                return pod_sc.get(key) if v is None else v

            ports = tuple(
                hp
                for p in sequence(c.get("ports"))
                if (hp := mapping(p).get("hostPort")) is not None
                and hp != 0
                and not (isinstance(hp, int) and hp < 0)
            )
            containers.append(
                ContainerFacts(
                    name=name,
                    list_name=list_name,
                    privileged=_set(csc.get("privileged")),
                    host_ports=ports,
                    uid=eff("runAsUser"),
                    non_root=eff("runAsNonRoot"),
                    gid=eff("runAsGroup"),
                    selinux=eff("seLinuxOptions"),
                    added=tuple(sequence(capm.get("add"))),
                    dropped=frozenset(d for d in sequence(capm.get("drop")) if isinstance(d, str)),
                    seccomp=_container_seccomp(c, csc, pod_sc, annotations),
                    apparmor=aa,
                    proc_mount="Default" if csc.get("procMount") is None else csc["procMount"],
                    read_only_root=csc.get("readOnlyRootFilesystem") is True,
                    no_escalation=csc.get("allowPrivilegeEscalation") is False,
                )
            )
    host_paths = []
    flex: list[Any] = []
    csi: list[Any] = []
    for v, kind in zip(vols, types, strict=True):
        if kind == "hostPath":
            path = mapping(v.get("hostPath")).get("path", "")
            path = path if isinstance(path, str) else ""
            ro = all(mounts.get(v.get("name"), ()))
            host_paths.append(HostPathUse(_trim(path), ro, str(v.get("name") or "")))
        elif kind == "flexVolume":
            flex.append(mapping(v.get("flexVolume")).get("driver", ""))
        elif kind == "csi":
            csi.append(mapping(v.get("csi")).get("driver", ""))
    pod_profile = annotations.get(seccomp.POD_KEY)
    pod_profile = pod_profile if isinstance(pod_profile, str) else ""
    if not pod_profile:
        pod_profile = seccomp.profile_of_field(pod_sc) or ""
    sysctls = []
    for s in sequence(pod_sc.get("sysctls")):
        n = mapping(s).get("name")
        n = n if isinstance(n, str) else ""
        if n not in SAFE_SYSCTLS:
            sysctls.append(n)
    return PodFacts(
        host_network=_set(spec.get("hostNetwork")),
        host_pid=_set(spec.get("hostPID")),
        host_ipc=_set(spec.get("hostIPC")),
        volume_types=types,
        host_paths=tuple(host_paths),
        flex_drivers=tuple(flex),
        csi_drivers=tuple(csi),
        supplemental_groups=pod_sc.get("supplementalGroups"),
        fs_group=pod_sc.get("fsGroup"),
        pod_selinux=pod_sc.get("seLinuxOptions"),
        pod_seccomp=pod_profile,
        unsafe_sysctls=tuple(sysctls),
        runtime_class=spec.get("runtimeClassName"),
        containers=tuple(containers),
    )


def all_containers(pods: Iterable[PodFacts]) -> Iterable[ContainerFacts]:
    for p in pods:
        yield from p.containers
