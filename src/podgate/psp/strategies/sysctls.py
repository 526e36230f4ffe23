"""spec.allowedUnsafeSysctls and spec.forbiddenSysctls against the pod's sysctls."""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s import Obj, mapping, sequence
from podgate.k8s.field import FieldError, forbidden
from podgate.k8s.gotext import go_quote
from podgate.psp.policy import string_list
from podgate.psp.strategies import Family, Order, PodView, Strategy

# The kubelet's safe sysctls in Kubernetes 1.22-1.24, the releases that ran PSP last.
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)


@dataclass(frozen=True, slots=True)
class Patterns:
    exact: frozenset[str]
    prefixes: tuple[str, ...]

    def matches(self, name: str) -> bool:
        return name in self.exact or any(name.startswith(p) for p in self.prefixes)


def _patterns(entries: tuple[str, ...]) -> Patterns:
    return Patterns(
        frozenset(e for e in entries if not e.endswith("*")),
        tuple(e[:-1] for e in entries if e.endswith("*")),
    )


@dataclass(frozen=True, slots=True)
class Sysctls(Strategy):
    forbidden: Patterns
    allowed_unsafe: Patterns

    # no mutator changes what this strategy reads
    mutation_independent = True

    @property
    def can_fail(self) -> bool:
        """`allowedUnsafeSysctls: ["*"]` with nothing forbidden allows every sysctl."""
        everything = "" in self.allowed_unsafe.prefixes
        return not everything or bool(self.forbidden.exact or self.forbidden.prefixes)

    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None:
        sysctls = sequence(view.sc.get("sysctls"))
        for i, item in enumerate(sysctls):
            name = mapping(item).get("name")
            name = name if isinstance(name, str) else ""
            path = ("pod", "spec", "securityContext", "sysctls", i)
            if self.forbidden.matches(name):
                errs.append(forbidden(path, f"sysctl {go_quote(name)} is not allowed"))
            elif name in SAFE_SYSCTLS or self.allowed_unsafe.matches(name):
                continue
            else:
                errs.append(forbidden(path, f"unsafe sysctl {go_quote(name)} is not allowed"))

    def fails(self, view: PodView) -> bool:
        for item in sequence(view.sc.get("sysctls")):
            name = mapping(item).get("name")
            name = name if isinstance(name, str) else ""
            if self.forbidden.matches(name):
                return True
            if name not in SAFE_SYSCTLS and not self.allowed_unsafe.matches(name):
                return True
        return False


def build(spec: Obj, annotations: Obj) -> Sysctls:
    return Sysctls(
        _patterns(string_list(spec.get("forbiddenSysctls"))),
        _patterns(string_list(spec.get("allowedUnsafeSysctls"))),
    )


FAMILY = Family(
    "sysctls",
    build,
    (Sysctls,),
    Order(build=90, validate_pod=60),
)
