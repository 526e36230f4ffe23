"""Baseline: no Windows HostProcess containers.

Fields: spec.securityContext.windowsOptions.hostProcess and every container's
securityContext.windowsOptions.hostProcess. Allowed: unset, false.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import as_obj, containers, name_of, setters
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _host_process(sc: object) -> bool:
    """Whether a securityContext sets windowsOptions.hostProcess to anything but unset/false."""
    if sc is None:
        return False
    if type(sc) is not dict:
        sc = as_obj(sc)
    options = sc.get("windowsOptions")
    if options is None:
        return False
    if type(options) is not dict:
        options = as_obj(options)
    value = options.get("hostProcess")
    return value is not None and value is not False


def _since_1_0(meta: Obj, spec: Obj) -> Forbidden | None:
    bad = [name_of(c) for c in containers(spec) if _host_process(c.get("securityContext"))]
    pod_bad = _host_process(spec.get("securityContext"))
    if not (pod_bad or bad):
        return None
    return (
        "hostProcess",
        f"{setters(pod_bad, bad)} must not set securityContext.windowsOptions.hostProcess=true",
    )


CHECK = Check(CheckId("windowsHostProcess"), Level.BASELINE, (Since(v1(0), _since_1_0),))
