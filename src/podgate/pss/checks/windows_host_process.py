"""Baseline: no Windows HostProcess containers.

Fields: spec.securityContext.windowsOptions.hostProcess and every container's
securityContext.windowsOptions.hostProcess. Allowed: unset, false.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.fields import as_obj, name_of, security_contexts, setters
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _host_process(options: object) -> bool:
    """Whether set windowsOptions set hostProcess to anything but unset/false."""
    value = (options if type(options) is dict else as_obj(options)).get("hostProcess")
    return value is not None and value is not False


def _since_1_0(meta: Obj, spec: Obj) -> Forbidden | None:
    pod_bad = False
    psc = spec.get("securityContext")
    if psc is not None:
        options = (psc if type(psc) is dict else as_obj(psc)).get("windowsOptions")
        pod_bad = options is not None and _host_process(options)
    bad: list[str] | None = None
    for c, sc in security_contexts(spec):
        if sc is None:
            continue
        options = sc.get("windowsOptions")
        if options is not None and _host_process(options):
            if bad is None:
                bad = []
            bad.append(name_of(c))
    if not pod_bad and bad is None:
        return None
    return (
        "hostProcess",
        f"{setters(pod_bad, bad or ())} must not set"
        " securityContext.windowsOptions.hostProcess=true",
    )


CHECK = Check(CheckId("windowsHostProcess"), Level.BASELINE, (Since(v1(0), _since_1_0),))
