"""spec.hostNetwork, hostPID, hostIPC. Upstream reports them under spec.securityContext."""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s import Obj
from podgate.k8s.field import FieldError, invalid
from podgate.psp.strategies import Family, Order, PodView, Strategy

_FIELDS = (
    ("hostNetwork", "Host network is not allowed to be used"),
    ("hostPID", "Host PID is not allowed to be used"),
    ("hostIPC", "Host IPC is not allowed to be used"),
)


@dataclass(frozen=True, slots=True)
class HostNamespaces(Strategy):
    # no mutator changes what this strategy reads
    mutation_independent = True

    forbidden: tuple[tuple[str, str], ...]  # the fields the policy does not allow, in order

    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None:
        spec = view.spec
        for key, detail in self.forbidden:
            value = spec.get(key)
            if value is not None and value is not False:
                errs.append(invalid(("spec", "securityContext", key), value, detail))

    def fails(self, view: PodView) -> bool:
        spec = view.spec
        for key, _ in self.forbidden:
            value = spec.get(key)
            if value is not None and value is not False:
                return True
        return False


def build(spec: Obj, annotations: Obj) -> HostNamespaces | None:
    forbidden = tuple((k, d) for k, d in _FIELDS if spec.get(k) is not True)
    return HostNamespaces(forbidden) if forbidden else None


FAMILY = Family(
    "hostNamespaces",
    build,
    (HostNamespaces,),
    Order(build=150, validate_pod=50),
)
