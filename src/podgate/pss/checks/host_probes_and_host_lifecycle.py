"""Baseline (v1.34+): probes and lifecycle handlers may not name a host.

Fields: every container's {liveness,readiness,startup}Probe.{httpGet,tcpSocket}.host and
lifecycle.{postStart,preStop}.{httpGet,tcpSocket}.host (the tcpSocket lifecycle handler is
deprecated but still checked). Allowed: unset, "". Unlike other checks, the detail lists the
container names de-duplicated and sorted.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import as_obj, containers, join_quote, name_of, plural, text
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HOOKS = ("postStart", "preStop")


def _handler_hosts(handler: object, found: set[str]) -> bool:
    """Adds the forbidden hosts of a probe or lifecycle handler to `found`; True if any."""
    if type(handler) is not dict:
        handler = as_obj(handler)
    bad = False
    for kind in ("httpGet", "tcpSocket"):
        action = handler.get(kind)
        if action is None:
            continue
        host = (action if type(action) is dict else as_obj(action)).get("host")
        if host is not None and host != "":
            found.add(text(host))
            bad = True
    return bad


def _suspect(handler: object) -> bool:
    """Whether a set probe or lifecycle handler may name a host (cheap pre-test)."""
    if type(handler) is not dict:
        return True
    action = handler.get("httpGet")
    if action is not None and (type(action) is not dict or action.get("host") not in (None, "")):
        return True
    action = handler.get("tcpSocket")
    return action is not None and (type(action) is not dict or action.get("host") not in (None, ""))


def _since_1_34(meta: Obj, spec: Obj) -> Forbidden | None:
    bad_containers: set[str] | None = None
    hosts: set[str] = set()
    for c in containers(spec):
        bad = False
        for key in _PROBES:
            probe = c.get(key)
            if probe is None:
                continue
            if type(probe) is dict and probe.get("tcpSocket") is None:
                # the common probe: an httpGet without a host (or exec, grpc)
                action = probe.get("httpGet")
                if action is None or (type(action) is dict and action.get("host") in (None, "")):
                    continue
            if _suspect(probe) and _handler_hosts(probe, hosts):
                bad = True
        lifecycle = c.get("lifecycle")
        if lifecycle is not None:
            if type(lifecycle) is not dict:
                lifecycle = as_obj(lifecycle)
            for key in _HOOKS:
                hook = lifecycle.get(key)
                if hook is not None and _suspect(hook) and _handler_hosts(hook, hosts):
                    bad = True
        if bad:
            if bad_containers is None:
                bad_containers = set()
            bad_containers.add(name_of(c))
    if bad_containers is None:
        return None
    n = len(bad_containers)
    return (
        "probe or lifecycle host",
        f"{plural('container', 'containers', n)} {join_quote(sorted(bad_containers))}"
        f" {plural('uses', 'use', n)}"
        f" {plural('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))}"
        f" {join_quote(sorted(hosts))}",
    )


CHECK = Check(CheckId("hostProbesAndHostLifecycle"), Level.BASELINE, (Since(v1(34), _since_1_34),))
