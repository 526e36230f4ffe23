"""Baseline: only the safe, namespaced sysctls.

Fields: spec.securityContext.sysctls[*].name (values are never examined). Allowed names grow
with the version (v1.0, v1.27, v1.29, v1.32, v1.37); matching is exact. The detail lists the
forbidden names in spec order, duplicates kept, unquoted.
"""

from __future__ import annotations

from collections.abc import Set

from podgate.k8s import Obj
from podgate.pss.fields import Contexts, as_obj, entry, items, text
from podgate.pss.model import POD, Check, CheckId, Forbidden, Level, Since, v1

ALLOWED_1_0 = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)
ALLOWED_1_27 = ALLOWED_1_0 | {"net.ipv4.ip_local_reserved_ports"}
ALLOWED_1_29 = ALLOWED_1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
ALLOWED_1_32 = ALLOWED_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
ALLOWED_1_37 = ALLOWED_1_32 | {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}


def _check(spec: Obj, allowed: Set[str]) -> Forbidden | None:
    sc = spec.get("securityContext")
    if sc is None:
        return None
    if type(sc) is not dict:
        sc = as_obj(sc)
    sysctls = sc.get("sysctls")
    if sysctls is None:
        return None
    bad: list[str] = []
    for sysctl in items(sysctls):
        name = entry(sysctl).get("name")
        if not (type(name) is str and name in allowed):
            bad.append(text(name))
    if not bad:
        return None
    detail = ", ".join(bad)
    return "forbidden sysctls", detail, ((POD, detail),)


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    return _check(spec, ALLOWED_1_0)


def _since_1_27(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    return _check(spec, ALLOWED_1_27)


def _since_1_29(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    return _check(spec, ALLOWED_1_29)


def _since_1_32(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    return _check(spec, ALLOWED_1_32)


def _since_1_37(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    return _check(spec, ALLOWED_1_37)


CHECK = Check(
    CheckId("sysctls"),
    Level.BASELINE,
    (
        Since(v1(0), _since_1_0),
        Since(v1(27), _since_1_27),
        Since(v1(29), _since_1_29),
        Since(v1(32), _since_1_32),
        Since(v1(37), _since_1_37),
    ),
)
