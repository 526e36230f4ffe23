"""One policy's strategies, built once through PSP's strategy registry (the table
`podgate.psp.provider` builds providers from), typed for the exporters that translate them
(CEL, JSONPatch CEL, Rego parameters, Gatekeeper mutators): every exporter reads a policy the
one way the admission engine does, and none keeps its own list of strategy builders."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.psp.policy import BuildError
from podgate.psp.registry import registry
from podgate.psp.strategies import (
    apparmor,
    capabilities,
    groups,
    host_namespaces,
    host_ports,
    privilege_escalation,
    privileged,
    proc_mount,
    read_only_root,
    run_as_user,
    runtime_class,
    seccomp,
    selinux,
    sysctls,
    volumes,
)


def _checked(built: dict[str, Any], name: str, kind: Any) -> Any:
    """Family `name`'s strategy, checked against the field's type (`X | None` allows None)."""
    value = built.get(name)
    if not isinstance(value, kind):
        raise TypeError(f"strategy family {name}: unexpected {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class Strategies:
    """Each family's strategy for one policy (None: the family is a no-op for it)."""

    run_as_user: run_as_user.MustRunAs | run_as_user.MustRunAsNonRoot | None
    run_as_group: groups.RunAsGroup | None
    fs_group: groups.FsGroup | None
    supplemental_groups: groups.SupplementalGroups | None
    selinux: selinux.MustRunAs | None
    apparmor: apparmor.AppArmor | None
    seccomp: seccomp.Seccomp
    capabilities: capabilities.Capabilities
    sysctls: sysctls.Sysctls
    read_only_root: read_only_root.ReadOnlyRootFilesystem | None
    privilege_escalation: privilege_escalation.PrivilegeEscalation | None
    privileged: privileged.Privileged | None
    proc_mount: proc_mount.ProcMount
    host_ports: host_ports.HostPorts
    host_namespaces: host_namespaces.HostNamespaces | None
    volumes: volumes.Volumes
    runtime_class: runtime_class.RuntimeClass | None

    @classmethod
    def of(cls, policy: Obj) -> Strategies:
        """Build every family in the registry's build order; raises BuildError for a policy
        PSP cannot build (admission skips it)."""
        meta = mapping(policy.get("metadata"))
        spec = mapping(policy.get("spec"))
        ann = mapping(meta.get("annotations"))
        built: dict[str, Any] = {}
        problems: list[str] = []
        for family in registry().build:
            try:
                built[family.name] = family.build(spec, ann)
            except BuildError as e:
                problems.append(str(e))
        if problems:
            raise BuildError(problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]")
        hints = typing.get_type_hints(cls)
        return cls(**{f: _checked(built, name, hints[f]) for f, name in _FAMILY.items()})


# the registry's family name of each field of `Strategies`
_FAMILY = {
    "run_as_user": "runAsUser",
    "run_as_group": "runAsGroup",
    "fs_group": "fsGroup",
    "supplemental_groups": "supplementalGroups",
    "selinux": "seLinux",
    "apparmor": "appArmor",
    "seccomp": "seccomp",
    "capabilities": "capabilities",
    "sysctls": "sysctls",
    "read_only_root": "readOnlyRootFilesystem",
    "privilege_escalation": "allowPrivilegeEscalation",
    "privileged": "privileged",
    "proc_mount": "allowedProcMountTypes",
    "host_ports": "hostPorts",
    "host_namespaces": "hostNamespaces",
    "volumes": "volumes",
    "runtime_class": "runtimeClass",
}
