"""Baseline (v1.34+): probes and lifecycle handlers may not name a host.

Fields: every container's {liveness,readiness,startup}Probe.{httpGet,tcpSocket}.host and
lifecycle.{postStart,preStop}.{httpGet,tcpSocket}.host (the tcpSocket lifecycle handler is
deprecated but still checked). Allowed: unset, "". Unlike other checks, the detail lists the
container names de-duplicated and sorted.
"""

from __future__ import annotations

from collections.abc import Iterable

from podgate.k8s import Obj
from podgate.pss.fields import Contexts, as_obj, join_quote, name_at, names_at, plural, text
from podgate.pss.model import Check, CheckId, Faults, Forbidden, Level, Since, v1

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HOOKS = ("postStart", "preStop")


def _handler_hosts(handler: object, found: set[str] | None) -> set[str] | None:
    """`found` with the forbidden hosts of a probe or lifecycle handler added (a new set when
    `found` is None and there is one)."""
    if type(handler) is not dict:
        handler = as_obj(handler)
    for kind in ("httpGet", "tcpSocket"):
        action = handler.get(kind)
        if action is None:
            continue
        host = (action if type(action) is dict else as_obj(action)).get("host")
        if host is not None and host != "":
            if found is None:
                found = set()
            found.add(text(host))
    return found


def _suspect(handler: object) -> bool:
    """Whether a set probe or lifecycle handler may name a host (cheap pre-test)."""
    if type(handler) is not dict:
        return True
    action = handler.get("httpGet")
    if action is not None and (type(action) is not dict or action.get("host") not in (None, "")):
        return True
    action = handler.get("tcpSocket")
    return action is not None and (type(action) is not dict or action.get("host") not in (None, ""))


def _detail(names: Iterable[str], hosts: Iterable[str]) -> str:
    shown = sorted(names)
    n = len(shown)
    found = sorted(hosts)
    return (
        f"{plural('container', 'containers', n)} {join_quote(shown)}"
        f" {plural('uses', 'use', n)}"
        f" {plural('probe or lifecycle host', 'probe or lifecycle hosts', len(found))}"
        f" {join_quote(found)}"
    )


def _since_1_34(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    bad: dict[int, set[str]] | None = None
    for i, (c, _) in enumerate(contexts):
        hosts: set[str] | None = None
        for key in _PROBES:
            probe = c.get(key)
            if probe is None:
                continue
            if type(probe) is dict and probe.get("tcpSocket") is None:
                # the common probe: an httpGet without a host (or exec, grpc)
                action = probe.get("httpGet")
                if action is None or (type(action) is dict and action.get("host") in (None, "")):
                    continue
            if _suspect(probe):
                hosts = _handler_hosts(probe, hosts)
        lifecycle = c.get("lifecycle")
        if lifecycle is not None:
            if type(lifecycle) is not dict:
                lifecycle = as_obj(lifecycle)
            for key in _HOOKS:
                hook = lifecycle.get(key)
                if hook is not None and _suspect(hook):
                    hosts = _handler_hosts(hook, hosts)
        if hosts is not None:
            if bad is None:
                bad = {}
            bad[i] = hosts
    if bad is None:
        return None
    detail = _detail(set(names_at(contexts, bad)), set().union(*bad.values()))
    return "probe or lifecycle host", detail, _each(contexts, bad, detail)


def _each(contexts: Contexts, bad: dict[int, set[str]], detail: str) -> Faults:
    if len(bad) == 1:
        return tuple([(i, detail) for i in bad])
    return tuple([(i, _detail((name_at(contexts, i),), hosts)) for i, hosts in bad.items()])


CHECK = Check(CheckId("hostProbesAndHostLifecycle"), Level.BASELINE, (Since(v1(34), _since_1_34),))
