"""Baseline: no host ports.

Fields: every container's ports[*].hostPort. Allowed: unset, 0. Ports in the detail are the
distinct values sorted as strings (upstream sorts their decimal renderings).
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import containers, entry, items, join_quote, name_of, plural, text
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _since_1_0(meta: Obj, spec: Obj) -> Forbidden | None:
    bad_containers: list[str] = []
    ports: set[str] = set()
    for c in containers(spec):
        declared = c.get("ports")
        if declared is None:
            continue
        valid = True
        for port in declared if type(declared) is list else items(declared):
            host_port = (port if type(port) is dict else entry(port)).get("hostPort")
            if host_port is None or (type(host_port) is int and host_port == 0):
                continue
            valid = False
            ports.add(text(host_port))
        if not valid:
            bad_containers.append(name_of(c))
    if not bad_containers:
        return None
    n = len(bad_containers)
    return (
        "hostPort",
        f"{plural('container', 'containers', n)} {join_quote(bad_containers)}"
        f" {plural('uses', 'use', n)} {plural('hostPort', 'hostPorts', len(ports))}"
        f" {', '.join(sorted(ports))}",
    )


CHECK = Check(CheckId("hostPorts"), Level.BASELINE, (Since(v1(0), _since_1_0),))
