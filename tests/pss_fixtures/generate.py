"""Writes podgate's own Pod Security Standards fixtures, from the spec (not from upstream files).

    python -m tests.pss_fixtures.generate          (make fixtures)

Layout, as upstream's: tests/pss_fixtures/data/<level>/v1.<minor>/{pass,fail}/<name>.yaml, one
v1 Pod per file, `metadata.name` = file name. `base.yaml` is the minimal passing pod of the
level and version; `<checkid lower-cased><n>.yaml` is the n-th pass or fail variant of a check,
built from that minimal pod by changing as little as possible, so that a fail variant trips
exactly one check: the check itself, or, at restricted, the check overriding it at that version.

Which folders exist: only the versions at which the level's check list or a rule revision
changes (the minimal restricted pod and every generator change at those versions too), so
nothing differs between two written versions. `tests/pss/test_pss_checks_fixtures.py` therefore runs
each folder at its own version and at every version up to the next written one (the last one up
to v1.37, `latest` and `v1.99`), and fails when these files differ from a fresh generation.

Which checks a folder covers: at baseline, the baseline checks active at that version; at
restricted, every check active at that version, including the baseline checks restricted
overrides (their fail variants then fail the overriding check), as upstream does.

The pods are what the checks see, not always what the API server would accept (a Windows
hostProcess pod without hostNetwork, `procMount: Unmasked` without `hostUsers: false`): the
engine judges objects as given (spec 11).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from podgate.pss import Level, v1
from podgate.pss.registry import DEFAULT

Pod = dict[str, Any]
Variants = tuple[list[Pod], list[Pod]]  # (pass, fail)
Generator = Callable[[Pod, Level, int], Variants]

DATA = Path(__file__).resolve().parent / "data"
IMAGE = "registry.k8s.io/pause"
MAX_MINOR = DEFAULT.max_version.minor


# --------------------------------------------------------------------------- minimal pods


def minimal_pod(level: Level, minor: int) -> Pod:
    """The minimal pod passing `level` at `minor` (spec 3.3)."""
    init: dict[str, Any] = {"name": "init", "image": IMAGE}
    app: dict[str, Any] = {"name": "app", "image": IMAGE}
    spec: dict[str, Any] = {"initContainers": [init], "containers": [app]}
    if level is Level.RESTRICTED:
        spec["securityContext"] = {"runAsNonRoot": True}
        if minor >= 19:
            spec["securityContext"]["seccompProfile"] = {"type": "RuntimeDefault"}
        for c in (init, app):
            if minor >= 8:
                c.setdefault("securityContext", {})["allowPrivilegeEscalation"] = False
            if minor >= 22:
                c.setdefault("securityContext", {})["capabilities"] = {"drop": ["ALL"]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "base"}, "spec": spec}


def variant(base: Pod, change: Callable[[dict[str, Any], dict[str, Any]], None]) -> Pod:
    """A deep copy of `base` changed by `change(metadata, spec)`."""
    pod = copy.deepcopy(base)
    change(pod["metadata"], pod["spec"])
    return pod


def app(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["containers"][0]


def init(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["initContainers"][0]


def sc(container: dict[str, Any]) -> dict[str, Any]:
    return container.setdefault("securityContext", {})


def pod_sc(spec: dict[str, Any]) -> dict[str, Any]:
    return spec.setdefault("securityContext", {})


def add_ephemeral(spec: dict[str, Any]) -> dict[str, Any]:
    """An ephemeral container like the regular one (so it meets the same rules)."""
    debug = copy.deepcopy(app(spec))
    debug["name"] = "debug"
    spec["ephemeralContainers"] = [debug]
    return debug


def annotate(meta: dict[str, Any], key: str, value: str) -> None:
    meta.setdefault("annotations", {})[key] = value


def windows(meta: dict[str, Any], spec: dict[str, Any]) -> None:
    spec["os"] = {"name": "windows"}


# ----------------------------------------------------------------------------- generators
# Each returns (pass variants, fail variants) for a minimal pod at (level, minor).


def gen_app_armor_profile(base: Pod, level: Level, minor: int) -> Variants:
    prefix = "container.apparmor.security.beta.kubernetes.io/"

    def fields_ok(meta: dict[str, Any], spec: dict[str, Any]) -> None:
        pod_sc(spec)["appArmorProfile"] = {"type": "RuntimeDefault"}
        sc(app(spec))["appArmorProfile"] = {"type": "Localhost", "localhostProfile": "p"}

    def annotations_ok(meta: dict[str, Any], spec: dict[str, Any]) -> None:
        annotate(meta, prefix + "app", "runtime/default")
        annotate(meta, prefix + "init", "localhost/profile")
        annotate(meta, prefix + "other", "")

    return [variant(base, fields_ok), variant(base, annotations_ok)], [
        variant(base, lambda m, s: pod_sc(s).update(appArmorProfile={"type": "Unconfined"})),
        variant(base, lambda m, s: sc(init(s)).update(appArmorProfile={"type": "Unconfined"})),
        variant(base, lambda m, s: sc(app(s)).update(appArmorProfile={})),
        variant(base, lambda m, s: annotate(m, prefix + "app", "unconfined")),
        variant(base, lambda m, s: annotate(m, prefix + "not-a-container", "unconfined")),
    ]


def gen_capabilities_baseline(base: Pod, level: Level, minor: int) -> Variants:
    def adding(*caps: str, which: Callable[[dict[str, Any]], dict[str, Any]] = app) -> Pod:
        def change(meta: dict[str, Any], spec: dict[str, Any]) -> None:
            sc(which(spec)).setdefault("capabilities", {})["add"] = list(caps)

        return variant(base, change)

    overridden = level is Level.RESTRICTED and minor >= 22
    passes = [] if overridden else [adding("AUDIT_WRITE", "CHOWN", "KILL", "NET_BIND_SERVICE")]
    return passes, [
        adding("NET_RAW"),
        adding("ALL", which=init),
        adding("chown"),
        adding("CAP_CHOWN"),
        adding("SYS_ADMIN", "NET_ADMIN"),
    ]


def gen_host_namespaces(base: Pod, level: Level, minor: int) -> Variants:
    return [
        variant(base, lambda m, s: s.update(hostNetwork=False, hostPID=False, hostIPC=False))
    ], [
        variant(base, lambda m, s: s.update(hostNetwork=True)),
        variant(base, lambda m, s: s.update(hostPID=True)),
        variant(base, lambda m, s: s.update(hostIPC=True)),
    ]


def gen_host_path_volumes(base: Pod, level: Level, minor: int) -> Variants:
    return [variant(base, lambda m, s: s.update(volumes=[{"name": "tmp", "emptyDir": {}}]))], [
        variant(base, lambda m, s: s.update(volumes=[{"name": "h", "hostPath": {"path": "/"}}])),
        variant(
            base,
            lambda m, s: s.update(
                volumes=[
                    {"name": "tmp", "emptyDir": {}},
                    {"name": "h", "hostPath": {"path": "/var/run", "type": "Directory"}},
                ]
            ),
        ),
    ]


def gen_host_ports(base: Pod, level: Level, minor: int) -> Variants:
    def ports(*specs: dict[str, Any], which: str = "app") -> Pod:
        def change(meta: dict[str, Any], spec: dict[str, Any]) -> None:
            target = (
                add_ephemeral(spec)
                if which == "debug"
                else spec["initContainers" if which == "init" else "containers"][0]
            )
            target["ports"] = list(specs)

        return variant(base, change)

    return [ports({"containerPort": 80}), ports({"containerPort": 80, "hostPort": 0})], [
        ports({"containerPort": 80, "hostPort": 80}),
        ports({"containerPort": 8080, "hostPort": 8080}, which="init"),
        ports({"containerPort": 9, "hostPort": 9}, which="debug"),
    ]


def gen_host_probes_and_host_lifecycle(base: Pod, level: Level, minor: int) -> Variants:
    def probe(field: str, handler: dict[str, Any], hook: str = "") -> Pod:
        def change(meta: dict[str, Any], spec: dict[str, Any]) -> None:
            if hook:
                app(spec).setdefault("lifecycle", {})[hook] = handler
            else:
                app(spec)[field] = handler

        return variant(base, change)

    return [
        probe("livenessProbe", {"httpGet": {"path": "/", "port": 80}}),
        probe("readinessProbe", {"tcpSocket": {"port": 80, "host": ""}}),
        probe("startupProbe", {"exec": {"command": ["true"]}}),
        probe("", {"httpGet": {"path": "/", "port": 80}}, hook="preStop"),
    ], [
        probe("livenessProbe", {"httpGet": {"host": "localhost", "port": 80}}),
        probe("readinessProbe", {"tcpSocket": {"host": "127.0.0.1", "port": 80}}),
        probe("startupProbe", {"httpGet": {"host": "::1", "port": 80}}),
        probe("", {"httpGet": {"host": "example.com", "port": 80}}, hook="postStart"),
        probe("", {"tcpSocket": {"host": "10.0.0.1", "port": 80}}, hook="preStop"),
    ]


def gen_privileged(base: Pod, level: Level, minor: int) -> Variants:
    return [variant(base, lambda m, s: sc(app(s)).update(privileged=False))], [
        variant(base, lambda m, s: sc(app(s)).update(privileged=True)),
        variant(base, lambda m, s: sc(init(s)).update(privileged=True)),
        variant(base, lambda m, s: sc(add_ephemeral(s)).update(privileged=True)),
    ]


def _proc_mount(base: Pod, *, user_namespace: bool | None, kind: str) -> Pod:
    def change(meta: dict[str, Any], spec: dict[str, Any]) -> None:
        if user_namespace is not None:
            spec["hostUsers"] = not user_namespace
        sc(app(spec))["procMount"] = kind

    return variant(base, change)


def gen_proc_mount(base: Pod, level: Level, minor: int) -> Variants:
    passes = [_proc_mount(base, user_namespace=None, kind="Default")]
    fails = [
        _proc_mount(base, user_namespace=None, kind="Unmasked"),
        _proc_mount(base, user_namespace=False, kind="Unmasked"),
    ]
    relaxed = _proc_mount(base, user_namespace=True, kind="Unmasked")
    if minor >= 35 and level is Level.BASELINE:
        passes.append(relaxed)
    else:
        fails.append(relaxed)
    return passes, fails


def gen_proc_mount_restricted(base: Pod, level: Level, minor: int) -> Variants:
    return [_proc_mount(base, user_namespace=True, kind="Default")], [
        _proc_mount(base, user_namespace=True, kind="Unmasked"),
        _proc_mount(base, user_namespace=None, kind="Unmasked"),
    ]


def gen_se_linux_options(base: Pod, level: Level, minor: int) -> Variants:
    def opts(where: str, **values: str) -> Pod:
        def change(meta: dict[str, Any], spec: dict[str, Any]) -> None:
            target = pod_sc(spec) if where == "pod" else sc(app(spec))
            target["seLinuxOptions"] = dict(values)

        return variant(base, change)

    passes = [
        opts("pod", type="container_t", level="s0:c123,c456"),
        opts("app", type="container_init_t"),
        opts("app", type="container_kvm_t"),
        opts("app", type=""),
    ]
    fails = [
        opts("pod", type="spc_t"),
        opts("app", type="unconfined_t"),
        opts("app", user="system_u"),
        opts("pod", role="system_r"),
    ]
    engine = opts("app", type="container_engine_t")
    (passes if minor >= 31 else fails).append(engine)
    return passes, fails


def gen_seccomp_profile_baseline(base: Pod, level: Level, minor: int) -> Variants:
    pod_key = "seccomp.security.alpha.kubernetes.io/pod"
    container_key = "container.seccomp.security.alpha.kubernetes.io/"
    if minor < 19:  # annotations only
        return [
            variant(base, lambda m, s: annotate(m, pod_key, "runtime/default")),
            variant(base, lambda m, s: annotate(m, container_key + "app", "docker/default")),
            variant(base, lambda m, s: annotate(m, container_key + "init", "localhost/p.json")),
            variant(base, lambda m, s: annotate(m, container_key + "nope", "unconfined")),
            variant(base, lambda m, s: sc(app(s)).update(seccompProfile={"type": "Unconfined"})),
        ], [
            variant(base, lambda m, s: annotate(m, pod_key, "unconfined")),
            variant(base, lambda m, s: annotate(m, container_key + "app", "unconfined")),
            variant(base, lambda m, s: annotate(m, container_key + "init", "")),
        ]
    return [
        variant(base, lambda m, s: pod_sc(s).update(seccompProfile={"type": "RuntimeDefault"})),
        variant(
            base,
            lambda m, s: sc(app(s)).update(
                seccompProfile={"type": "Localhost", "localhostProfile": "p.json"}
            ),
        ),
        variant(base, lambda m, s: annotate(m, pod_key, "unconfined")),
    ], [
        variant(base, lambda m, s: pod_sc(s).update(seccompProfile={"type": "Unconfined"})),
        variant(base, lambda m, s: sc(init(s)).update(seccompProfile={"type": "Unconfined"})),
        variant(base, lambda m, s: sc(app(s)).update(seccompProfile={})),
    ]


SYSCTLS = {
    0: [
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    ],
    27: ["net.ipv4.ip_local_reserved_ports"],
    29: [
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    ],
    32: ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"],
    37: ["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"],
}


def gen_sysctls(base: Pod, level: Level, minor: int) -> Variants:
    def sysctls(*names: str) -> Pod:
        def change(meta: dict[str, Any], spec: dict[str, Any]) -> None:
            pod_sc(spec)["sysctls"] = [{"name": n, "value": "1"} for n in names]

        return variant(base, change)

    allowed = [n for since, names in SYSCTLS.items() if since <= minor for n in names]
    newer = [n for since, names in SYSCTLS.items() if since > minor for n in names]
    passes = [sysctls(*allowed)] + [
        sysctls(n) for since, ns in SYSCTLS.items() if since == minor and since for n in ns
    ]
    fails = [sysctls("kernel.msgmax"), sysctls("net/ipv4/tcp_syncookies"), sysctls("net.*")]
    fails += [sysctls(n) for n in newer]
    return passes, fails


def gen_windows_host_process(base: Pod, level: Level, minor: int) -> Variants:
    return [variant(base, lambda m, s: sc(app(s)).update(windowsOptions={"hostProcess": False}))], [
        variant(base, lambda m, s: pod_sc(s).update(windowsOptions={"hostProcess": True})),
        variant(base, lambda m, s: sc(init(s)).update(windowsOptions={"hostProcess": True})),
    ]


def _without(
    field: str, *, on_windows: bool = False
) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    """Removes a securityContext field of both containers (optionally on a Windows pod)."""

    def change(meta: dict[str, Any], spec: dict[str, Any]) -> None:
        for c in (init(spec), app(spec)):
            sc(c).pop(field, None)
        if on_windows:
            windows(meta, spec)

    return change


def _windows_variants(base: Pod, minor: int, change: Callable[..., None]) -> Variants:
    pod = variant(base, change)
    return ([pod], []) if minor >= 25 else ([], [pod])


def gen_allow_privilege_escalation(base: Pod, level: Level, minor: int) -> Variants:
    win_pass, win_fail = _windows_variants(
        base, minor, _without("allowPrivilegeEscalation", on_windows=True)
    )
    return win_pass, [
        variant(base, _without("allowPrivilegeEscalation")),
        variant(base, lambda m, s: sc(app(s)).update(allowPrivilegeEscalation=True)),
        variant(base, lambda m, s: sc(add_ephemeral(s)).update(allowPrivilegeEscalation=True)),
        *win_fail,
    ]


def gen_capabilities_restricted(base: Pod, level: Level, minor: int) -> Variants:
    win_pass, win_fail = _windows_variants(base, minor, _without("capabilities", on_windows=True))
    return [
        variant(base, lambda m, s: sc(app(s))["capabilities"].update(add=["NET_BIND_SERVICE"])),
        *win_pass,
    ], [
        variant(base, _without("capabilities")),
        variant(base, lambda m, s: sc(app(s)).update(capabilities={"drop": ["all"]})),
        variant(base, lambda m, s: sc(init(s)).update(capabilities={"drop": ["NET_RAW"]})),
        variant(base, lambda m, s: sc(app(s))["capabilities"].update(add=["CHOWN"])),
        variant(base, lambda m, s: sc(app(s)).update(capabilities={})),
        *win_fail,
    ]


ALLOWED_VOLUMES: list[dict[str, Any]] = [
    {"configMap": {"name": "c"}},
    {"csi": {"driver": "csi.example.com"}},
    {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
    {"emptyDir": {}},
    {"ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}}},
    {"image": {"reference": "registry.k8s.io/pause"}},
    {"persistentVolumeClaim": {"claimName": "pvc"}},
    {"projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
    {"secret": {"secretName": "s"}},
]
RESTRICTED_VOLUMES: list[dict[str, Any]] = [
    {"hostPath": {"path": "/"}},
    {"gcePersistentDisk": {"pdName": "d"}},
    {"awsElasticBlockStore": {"volumeID": "v"}},
    {"gitRepo": {"repository": "https://example.com/r.git"}},
    {"nfs": {"server": "nfs", "path": "/"}},
    {"iscsi": {"targetPortal": "t", "iqn": "iqn.2001-04.com.example:x", "lun": 0}},
    {"glusterfs": {"endpoints": "e", "path": "p"}},
    {"rbd": {"monitors": ["m"], "image": "i"}},
    {"flexVolume": {"driver": "d"}},
    {"cinder": {"volumeID": "v"}},
    {"cephfs": {"monitors": ["m"]}},
    {"flocker": {"datasetName": "d"}},
    {"fc": {"wwids": ["w"]}},
    {"azureFile": {"secretName": "s", "shareName": "s"}},
    {"vsphereVolume": {"volumePath": "/p"}},
    {"quobyte": {"registry": "r", "volume": "v"}},
    {"azureDisk": {"diskName": "d", "diskURI": "u"}},
    {"photonPersistentDisk": {"pdID": "p"}},
    {"portworxVolume": {"volumeID": "v"}},
    {"scaleIO": {"gateway": "g", "system": "s", "secretRef": {"name": "n"}}},
    {"storageos": {"volumeName": "v"}},
    {},  # no source at all: "unknown" (the API server would default it to emptyDir)
]


def gen_restricted_volumes(base: Pod, level: Level, minor: int) -> Variants:
    def volumes(*sources: dict[str, Any]) -> Pod:
        vols = [{"name": f"volume{i}", **copy.deepcopy(src)} for i, src in enumerate(sources)]
        return variant(base, lambda m, s: s.update(volumes=vols))

    return [volumes(*ALLOWED_VOLUMES)], [volumes(src) for src in RESTRICTED_VOLUMES]


def gen_run_as_non_root(base: Pod, level: Level, minor: int) -> Variants:
    def only_containers(meta: dict[str, Any], spec: dict[str, Any]) -> None:
        pod_sc(spec).pop("runAsNonRoot")
        for c in (init(spec), app(spec)):
            sc(c)["runAsNonRoot"] = True

    def user_namespace(meta: dict[str, Any], spec: dict[str, Any]) -> None:
        pod_sc(spec).pop("runAsNonRoot")
        spec["hostUsers"] = False

    passes = [variant(base, only_containers)]
    fails = [
        variant(base, lambda m, s: pod_sc(s).update(runAsNonRoot=False)),
        variant(base, lambda m, s: sc(app(s)).update(runAsNonRoot=False)),
        variant(base, lambda m, s: pod_sc(s).pop("runAsNonRoot")),
        variant(
            base,
            lambda m, s: (pod_sc(s).pop("runAsNonRoot"), pod_sc(s).update(runAsUser=1000)),
        ),
    ]
    (passes if minor >= 35 else fails).append(variant(base, user_namespace))
    return passes, fails


def gen_run_as_user(base: Pod, level: Level, minor: int) -> Variants:
    def user_namespace(meta: dict[str, Any], spec: dict[str, Any]) -> None:
        pod_sc(spec)["runAsUser"] = 0
        spec["hostUsers"] = False

    passes = [
        variant(base, lambda m, s: pod_sc(s).update(runAsUser=1000)),
        variant(base, lambda m, s: sc(app(s)).update(runAsUser=65534)),
    ]
    fails = [
        variant(base, lambda m, s: pod_sc(s).update(runAsUser=0)),
        variant(base, lambda m, s: sc(init(s)).update(runAsUser=0)),
        variant(
            base, lambda m, s: (pod_sc(s).update(runAsUser=0), sc(app(s)).update(runAsUser=1000))
        ),
    ]
    (passes if minor >= 35 else fails).append(variant(base, user_namespace))
    return passes, fails


def gen_seccomp_profile_restricted(base: Pod, level: Level, minor: int) -> Variants:
    def only_containers(meta: dict[str, Any], spec: dict[str, Any]) -> None:
        pod_sc(spec).pop("seccompProfile")
        sc(init(spec))["seccompProfile"] = {"type": "RuntimeDefault"}
        sc(app(spec))["seccompProfile"] = {"type": "Localhost", "localhostProfile": "p.json"}

    def no_profile_on_windows(meta: dict[str, Any], spec: dict[str, Any]) -> None:
        pod_sc(spec).pop("seccompProfile")
        windows(meta, spec)

    win_pass, win_fail = _windows_variants(base, minor, no_profile_on_windows)
    return [variant(base, only_containers), *win_pass], [
        variant(base, lambda m, s: pod_sc(s).pop("seccompProfile")),
        variant(base, lambda m, s: pod_sc(s).update(seccompProfile={"type": "Unconfined"})),
        variant(base, lambda m, s: sc(app(s)).update(seccompProfile={"type": "Unconfined"})),
        variant(base, lambda m, s: pod_sc(s).update(seccompProfile={})),
        variant(
            base,
            lambda m, s: (
                pod_sc(s).pop("seccompProfile"),
                annotate(m, "seccomp.security.alpha.kubernetes.io/pod", "runtime/default"),
            ),
        ),
        *win_fail,
    ]


GENERATORS: dict[str, Generator] = {
    "appArmorProfile": gen_app_armor_profile,
    "capabilities_baseline": gen_capabilities_baseline,
    "hostNamespaces": gen_host_namespaces,
    "hostPathVolumes": gen_host_path_volumes,
    "hostPorts": gen_host_ports,
    "hostProbesAndHostLifecycle": gen_host_probes_and_host_lifecycle,
    "privileged": gen_privileged,
    "procMount": gen_proc_mount,
    "seLinuxOptions": gen_se_linux_options,
    "seccompProfile_baseline": gen_seccomp_profile_baseline,
    "sysctls": gen_sysctls,
    "windowsHostProcess": gen_windows_host_process,
    "allowPrivilegeEscalation": gen_allow_privilege_escalation,
    "capabilities_restricted": gen_capabilities_restricted,
    "procMount_restricted": gen_proc_mount_restricted,
    "restrictedVolumes": gen_restricted_volumes,
    "runAsNonRoot": gen_run_as_non_root,
    "runAsUser": gen_run_as_user,
    "seccompProfile_restricted": gen_seccomp_profile_restricted,
}


# ------------------------------------------------------------------------------ folders


def written_minors(level: Level) -> list[int]:
    """The versions at which the level's plan (check list or any rule revision) changes."""
    out: list[int] = []
    previous: tuple[Any, ...] | None = None
    for minor in range(MAX_MINOR + 1):
        plan = DEFAULT.plan(level, v1(minor))
        if plan != previous:
            out.append(minor)
        previous = plan
    return out


def covered_checks(level: Level, minor: int) -> list[str]:
    """The checks a folder has fixtures for (see the module docstring)."""
    out = []
    for check in DEFAULT.checks:
        if check.versions[0].version > v1(minor):
            continue
        if level is Level.BASELINE and check.level is not Level.BASELINE:
            continue
        out.append(check.id)
    return sorted(out)


def render(pod: Pod, name: str) -> str:
    pod = copy.deepcopy(pod)
    pod["metadata"]["name"] = name
    return yaml.safe_dump(pod, sort_keys=False, default_flow_style=False, width=100)


def generate() -> dict[str, str]:
    """Every fixture file: path relative to DATA -> YAML text."""
    files: dict[str, str] = {}
    for level in (Level.BASELINE, Level.RESTRICTED):
        for minor in written_minors(level):
            folder = f"{level.value}/v1.{minor}"
            base = minimal_pod(level, minor)
            files[f"{folder}/pass/base.yaml"] = render(base, "base")
            for check_id in covered_checks(level, minor):
                passes, fails = GENERATORS[check_id](base, level, minor)
                prefix = check_id.lower()
                for outcome, pods in (("pass", passes), ("fail", fails)):
                    for n, pod in enumerate(pods):
                        name = f"{prefix}{n}"
                        files[f"{folder}/{outcome}/{name}.yaml"] = render(pod, name)
    return files


def write(files: dict[str, str], root: Path = DATA) -> None:
    """Replaces the data folder with `files`."""
    for old in sorted(root.rglob("*.yaml")) if root.exists() else []:
        old.unlink()
    for rel, text in sorted(files.items()):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def main() -> int:
    files = generate()
    write(files)
    print(f"wrote {len(files)} fixtures under {DATA}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
