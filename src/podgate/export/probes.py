"""Pods near every policy's boundary: each base pod changed in one field at a time, with the
values the policies name (range ends and their neighbours, allowed and forbidden paths,
capabilities, sysctls, drivers, runtime classes) and every value a Pod Security Standards
check lets through in some version (each capability baseline allows, each sysctl it calls
safe, each volume type, AppArmor localhost profiles, SELinux types, user-namespace and Windows
pods): a level admits those, so a policy that denies one must show as a gap. Exports are
compared with PSP on these as well as on the input's workloads."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping, sequence
from podgate.k8s.prepare import seccomp_field_for_annotation
from podgate.psp.strategies.volumes import SOURCES
from podgate.pss.checks import capabilities_baseline, se_linux_options
from podgate.pss.checks import sysctls as pss_sysctls

Pod = dict[str, Any]
Change = Callable[[Pod], None]


@dataclass(frozen=True, slots=True)
class Probe:
    """A generated pod, named for the base it came from and the one field it changes."""

    field: str  # the field changed ("" for the base pod itself)
    label: str  # e.g. "runAsUser=0"
    pod: Obj


def minimal_pod(namespace: str, service_account: str = "default") -> Pod:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", "namespace": namespace},
        "spec": {
            "serviceAccountName": service_account,
            "containers": [{"name": "app", "image": "registry.example/app:1"}],
        },
    }


def restricted_pod(namespace: str, service_account: str = "default") -> Pod:
    """A pod that meets the restricted level and sets every field PSP can default."""
    pod = minimal_pod(namespace, service_account)
    pod["spec"]["securityContext"] = {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "fsGroup": 1000,
        "supplementalGroups": [1000],
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    pod["spec"]["containers"][0]["securityContext"] = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    return pod


def _sc(pod: Pod, container: int = 0, init: bool = False) -> dict[str, Any]:
    lst = pod["spec"].setdefault("initContainers" if init else "containers", [])
    while len(lst) <= container:
        lst.append({"name": f"init{len(lst)}" if init else f"c{len(lst)}", "image": "busybox"})
    c = lst[container]
    sc: dict[str, Any] | None = c.get("securityContext")
    if not isinstance(sc, dict):
        sc = c["securityContext"] = {}
    return sc


def _pod_sc(pod: Pod) -> dict[str, Any]:
    sc: dict[str, Any] | None = pod["spec"].get("securityContext")
    if not isinstance(sc, dict):
        sc = pod["spec"]["securityContext"] = {}
    return sc


def _set_csc(key: str, value: Any, init: bool = False) -> Change:
    def change(pod: Pod) -> None:
        _sc(pod, 0, init)[key] = value

    return change


def _set_psc(key: str, value: Any) -> Change:
    def change(pod: Pod) -> None:
        _pod_sc(pod)[key] = value

    return change


def _set_spec(key: str, value: Any) -> Change:
    def change(pod: Pod) -> None:
        pod["spec"][key] = value

    return change


def _volume(source: dict[str, Any], read_only: bool | None = None) -> Change:
    def change(pod: Pod) -> None:
        pod["spec"].setdefault("volumes", []).append({"name": "probe-vol", **source})
        mount: dict[str, Any] = {"name": "probe-vol", "mountPath": "/probe"}
        if read_only is not None:
            mount["readOnly"] = read_only
        pod["spec"]["containers"][0].setdefault("volumeMounts", []).append(mount)

    return change


def _caps(key: str, names: list[str], init: bool = False) -> Change:
    def change(pod: Pod) -> None:
        caps = _sc(pod, 0, init).setdefault("capabilities", {})
        caps[key] = [*caps.get(key, []), *names]

    return change


def _annotation(key: str, value: str) -> Change:
    def change(pod: Pod) -> None:
        pod["metadata"].setdefault("annotations", {})[key] = value

    return change


def _host_port(port: int) -> Change:
    def change(pod: Pod) -> None:
        pod["spec"]["containers"][0]["ports"] = [{"containerPort": port, "hostPort": port}]

    return change


def _both(*steps: Change) -> Change:
    def change(pod: Pod) -> None:
        for step in steps:
            step(pod)

    return change


def _unset_csc(key: str) -> Change:
    def change(pod: Pod) -> None:
        for c in pod["spec"].get("containers", []):
            if isinstance(c.get("securityContext"), dict):
                c["securityContext"].pop(key, None)
        _pod_sc(pod).pop(key, None)

    return change


def _range_values(ranges: Any) -> set[int]:
    out: set[int] = set()
    for r in sequence(ranges):
        low, high = mapping(r).get("min"), mapping(r).get("max")
        for v in (low, high):
            if isinstance(v, int) and not isinstance(v, bool):
                out.update({v - 1, v, v + 1})
    return {v for v in out if v >= 0}


def changes(policies: Sequence[Obj]) -> Iterator[tuple[str, str, Change]]:
    """(field, label, change) for every value worth trying against these policies."""
    uids = {0, 1000, 65534}
    gids = {0, 1000}
    ports = {80, 8080}
    paths = {"/", "/etc", "/var/log", "/var/run/docker.sock"}
    # besides the values the policies name, every value a Pod Security Standards check lets
    # through (in any version): a level admits them, so a policy that denies one is a gap
    caps = {"NET_BIND_SERVICE", "SYS_ADMIN", "NET_RAW", "CHOWN", "SYS_TIME"}
    sysctls = {"kernel.shm_rmid_forced", "net.core.somaxconn", "kernel.msgmax"}
    sysctls |= pss_sysctls.ALLOWED_1_37
    flex = {"example/other"}
    csi = {"other.csi.example"}
    runtime = {"other-runtime"}
    for p in policies:
        spec = mapping(p.get("spec"))
        uids |= _range_values(mapping(spec.get("runAsUser")).get("ranges"))
        gids |= _range_values(mapping(spec.get("runAsGroup")).get("ranges"))
        gids |= _range_values(mapping(spec.get("fsGroup")).get("ranges"))
        gids |= _range_values(mapping(spec.get("supplementalGroups")).get("ranges"))
        ports |= {p for p in _range_values(spec.get("hostPorts")) if 0 < p < 65536}
        for hp in sequence(spec.get("allowedHostPaths")):
            prefix = mapping(hp).get("pathPrefix")
            if isinstance(prefix, str) and prefix:
                paths |= {prefix, prefix.rstrip("/") + "/sub", prefix.rstrip("/") + "x"}
        for key in ("allowedCapabilities", "defaultAddCapabilities", "requiredDropCapabilities"):
            caps |= {c for c in sequence(spec.get(key)) if isinstance(c, str) and c != "*"}
        for key in ("allowedUnsafeSysctls", "forbiddenSysctls"):
            for s in sequence(spec.get(key)):
                if isinstance(s, str):
                    sysctls.add(s.replace("*", "probe"))
        for f in sequence(spec.get("allowedFlexVolumes")):
            d = mapping(f).get("driver")
            if isinstance(d, str):
                flex.add(d)
        for f in sequence(spec.get("allowedCSIDrivers")):
            d = mapping(f).get("name")
            if isinstance(d, str):
                csi.add(d)
        rc = mapping(spec.get("runtimeClass"))
        runtime |= {r for r in sequence(rc.get("allowedRuntimeClassNames")) if r != "*"}
    sc = "securityContext"
    yield "", "as written", lambda pod: None
    yield f"{sc}.privileged", "privileged=true", _set_csc("privileged", True)
    yield f"{sc}.privileged", "initContainer privileged=true", _set_csc("privileged", True, True)
    for ns in ("hostNetwork", "hostPID", "hostIPC"):
        yield ns, f"{ns}=true", _set_spec(ns, True)
    for port in sorted(ports):
        yield "hostPort", f"hostPort={port}", _host_port(port)
    for path in sorted(paths):
        for ro in (True, False):
            yield (
                "volumes.hostPath",
                f"hostPath {path} readOnly={ro}",
                _volume({"hostPath": {"path": path}}, ro),
            )
    for kind, src in (
        ("emptyDir", {}),
        ("configMap", {"name": "c"}),
        ("secret", {"secretName": "s"}),
        ("persistentVolumeClaim", {"claimName": "c"}),
        ("projected", {"sources": []}),
        ("downwardAPI", {"items": []}),
        ("nfs", {"server": "nfs.example", "path": "/"}),
        ("gitRepo", {"repository": "https://example.invalid/r"}),
        ("ephemeral", {"volumeClaimTemplate": {"spec": {}}}),
    ):
        yield "volumes", f"volume {kind}", _volume({kind: src})
    named = {"hostPath", "flexVolume", "csi", "emptyDir", "configMap", "secret", "nfs"}
    named |= {"persistentVolumeClaim", "projected", "downwardAPI", "gitRepo", "ephemeral"}
    for key, kind in SOURCES:
        if key not in named:
            yield "volumes", f"volume {kind}", _volume({key: {}})
    for d in sorted(flex):
        yield "volumes.flexVolume", f"flexVolume {d}", _volume({"flexVolume": {"driver": d}})
    for d in sorted(csi):
        yield "volumes.csi", f"csi {d}", _volume({"csi": {"driver": d}})
    for cap in sorted(caps):
        yield f"{sc}.capabilities.add", f"add {cap}", _caps("add", [cap])
        yield f"{sc}.capabilities.add", f"initContainer add {cap}", _caps("add", [cap], True)
        yield f"{sc}.capabilities.drop", f"drop {cap}", _caps("drop", [cap])
    for cap in sorted(capabilities_baseline.ALLOWED - caps):
        yield f"{sc}.capabilities.add", f"add {cap}", _caps("add", [cap])
    yield f"{sc}.capabilities.drop", "drop ALL", _caps("drop", ["ALL"])
    yield f"{sc}.capabilities", "no capabilities", _unset_csc("capabilities")
    for uid in sorted(uids):
        yield f"{sc}.runAsUser", f"runAsUser={uid}", _set_csc("runAsUser", uid)
        yield f"{sc}.runAsUser", f"pod runAsUser={uid}", _set_psc("runAsUser", uid)
    yield f"{sc}.runAsUser", "no runAsUser", _unset_csc("runAsUser")
    for v in (True, False):
        yield f"{sc}.runAsNonRoot", f"runAsNonRoot={v}", _set_csc("runAsNonRoot", v)
        yield f"{sc}.allowPrivilegeEscalation", f"ape={v}", _set_csc("allowPrivilegeEscalation", v)
        yield (
            f"{sc}.readOnlyRootFilesystem",
            f"readOnlyRootFilesystem={v}",
            _set_csc("readOnlyRootFilesystem", v),
        )
    yield f"{sc}.runAsNonRoot", "no runAsNonRoot", _unset_csc("runAsNonRoot")
    yield f"{sc}.allowPrivilegeEscalation", "no ape", _unset_csc("allowPrivilegeEscalation")
    for gid in sorted(gids):
        yield f"{sc}.runAsGroup", f"runAsGroup={gid}", _set_csc("runAsGroup", gid)
        yield "securityContext.fsGroup", f"fsGroup={gid}", _set_psc("fsGroup", gid)
        yield (
            "securityContext.supplementalGroups",
            f"supplementalGroups=[{gid}]",
            _set_psc("supplementalGroups", [gid]),
        )
    for t in ("RuntimeDefault", "Unconfined", "Localhost"):
        prof: dict[str, Any] = {"type": t}
        if t == "Localhost":
            prof["localhostProfile"] = "profiles/p.json"
        yield f"{sc}.seccompProfile", f"pod seccomp {t}", _set_psc("seccompProfile", prof)
        yield f"{sc}.seccompProfile", f"seccomp {t}", _set_csc("seccompProfile", prof)
    yield f"{sc}.seccompProfile", "no seccomp", _unset_csc("seccompProfile")
    for profile in ("runtime/default", "docker/default", "unconfined"):
        # alone (no field: the API server refuses a pod whose annotation and field differ),
        # which confines nothing from 1.25, and with its field
        annotated = _annotation("seccomp.security.alpha.kubernetes.io/pod", profile)
        yield (
            "metadata.annotations[seccomp]",
            f"seccomp annotation {profile}",
            _both(_unset_csc("seccompProfile"), annotated),
        )
        yield (
            "metadata.annotations[seccomp]",
            f"seccomp annotation {profile} with its field",
            _both(annotated, _set_psc("seccompProfile", seccomp_field_for_annotation(profile))),
        )
    for profile in ("runtime/default", "unconfined", "localhost/probe"):
        yield (
            "metadata.annotations[apparmor]",
            f"apparmor annotation {profile}",
            _annotation("container.apparmor.security.beta.kubernetes.io/app", profile),
        )
    for t in ("RuntimeDefault", "Unconfined", "Localhost"):
        aa: dict[str, Any] = {"type": t}
        if t == "Localhost":
            aa["localhostProfile"] = "probe"
        yield (
            f"{sc}.appArmorProfile",
            f"appArmorProfile {t}",
            _set_csc("appArmorProfile", aa),
        )
    selinux: list[dict[str, str]] = [{"type": "spc_t"}, {"level": "s0:c1,c2"}]
    selinux.extend({"type": t} for t in sorted(se_linux_options.ALLOWED_TYPES - {""}))
    for opts in selinux:
        yield f"{sc}.seLinuxOptions", f"seLinuxOptions {opts}", _set_csc("seLinuxOptions", opts)
    yield f"{sc}.procMount", "procMount Unmasked", _set_csc("procMount", "Unmasked")
    for s in sorted(sysctls):
        yield (
            "securityContext.sysctls",
            f"sysctl {s}",
            _set_psc("sysctls", [{"name": s, "value": "1"}]),
        )
    for r in sorted(runtime):
        yield "runtimeClassName", f"runtimeClassName={r}", _set_spec("runtimeClassName", r)
    yield (
        f"{sc}.windowsOptions",
        "hostProcess=true",
        _set_csc("windowsOptions", {"hostProcess": True}),
    )
    # the pods some checks let through whatever the values (from v1.35 a user-namespace pod
    # may run as root and unmask /proc; from v1.25 a Windows pod needs no seccomp profile,
    # dropped capabilities nor allowPrivilegeEscalation: false); PSP read neither field
    userns = _set_spec("hostUsers", False)
    yield "hostUsers", "hostUsers=false", userns
    yield "hostUsers", "hostUsers=false runAsUser=0", _both(userns, _set_csc("runAsUser", 0))
    yield "hostUsers", "hostUsers=false pod runAsUser=0", _both(userns, _set_psc("runAsUser", 0))
    yield (
        "hostUsers",
        "hostUsers=false runAsNonRoot=false",
        _both(userns, _set_csc("runAsNonRoot", False)),
    )
    yield (
        "hostUsers",
        "hostUsers=false procMount Unmasked",
        _both(userns, _set_csc("procMount", "Unmasked")),
    )
    windows = _set_spec("os", {"name": "windows"})
    yield "os.name", "os windows", windows
    for key in ("seccompProfile", "capabilities", "allowPrivilegeEscalation"):
        yield "os.name", f"os windows, no {key}", _both(windows, _unset_csc(key))


def probes(bases: Sequence[Obj], policies: Sequence[Obj]) -> Iterator[Probe]:
    """Each base pod with each change applied (the base pod itself first)."""
    found = list(changes(policies))
    for base in bases:
        for field, label, change in found:
            pod = copy.deepcopy(dict(base))
            change(pod)
            yield Probe(field, label, pod)
