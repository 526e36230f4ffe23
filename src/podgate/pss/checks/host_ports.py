"""Baseline: no host ports.

Fields: every container's ports[*].hostPort. Allowed: unset, 0. Ports in the detail are the
distinct values sorted as strings (upstream sorts their decimal renderings).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from podgate.k8s import Obj
from podgate.pss.fields import Contexts, entry, items, join_quote, name_at, names_at, plural, text
from podgate.pss.model import Check, CheckId, Faults, Forbidden, Level, Since, v1


def _detail(names: Sequence[str], ports: Iterable[str]) -> str:
    n = len(names)
    shown = sorted(ports)
    return (
        f"{plural('container', 'containers', n)} {join_quote(names)}"
        f" {plural('uses', 'use', n)} {plural('hostPort', 'hostPorts', len(shown))}"
        f" {', '.join(shown)}"
    )


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    bad: dict[int, set[str]] | None = None
    for i, (c, _) in enumerate(contexts):
        declared = c.get("ports")
        if declared is None:
            continue
        found: set[str] | None = None
        for port in declared if type(declared) is list else items(declared):
            host_port = (port if type(port) is dict else entry(port)).get("hostPort")
            if host_port is None or (type(host_port) is int and host_port == 0):
                continue
            if found is None:
                found = set()
            found.add(text(host_port))
        if found is not None:
            if bad is None:
                bad = {}
            bad[i] = found
    if bad is None:
        return None
    detail = _detail(names_at(contexts, bad), set().union(*bad.values()))
    return "hostPort", detail, _each(contexts, bad, detail)


def _each(contexts: Contexts, bad: dict[int, set[str]], detail: str) -> Faults:
    if len(bad) == 1:
        return tuple([(i, detail) for i in bad])
    return tuple([(i, _detail((name_at(contexts, i),), ports)) for i, ports in bad.items()])


CHECK = Check(CheckId("hostPorts"), Level.BASELINE, (Since(v1(0), _since_1_0),))
