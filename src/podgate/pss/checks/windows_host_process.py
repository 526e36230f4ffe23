"""Baseline: no Windows HostProcess containers.

Fields: spec.securityContext.windowsOptions.hostProcess and every container's
securityContext.windowsOptions.hostProcess. Allowed: unset, false.
"""

from __future__ import annotations

from collections.abc import Sequence

from podgate.k8s import Obj
from podgate.pss.fields import Contexts, as_obj, name_at, names_at, setters
from podgate.pss.model import POD, Check, CheckId, Faults, Forbidden, Level, Since, v1


def _host_process(options: object) -> bool:
    """Whether set windowsOptions set hostProcess to anything but unset/false."""
    value = (options if type(options) is dict else as_obj(options)).get("hostProcess")
    return value is not None and value is not False


def _detail(pod: bool, names: Sequence[str]) -> str:
    return f"{setters(pod, names)} must not set securityContext.windowsOptions.hostProcess=true"


def _since_1_0(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    pod_bad = False
    psc = spec.get("securityContext")
    if psc is not None:
        options = (psc if type(psc) is dict else as_obj(psc)).get("windowsOptions")
        pod_bad = options is not None and _host_process(options)
    bad: list[int] | None = None
    for i, (_, sc) in enumerate(contexts):
        if sc is None:
            continue
        options = sc.get("windowsOptions")
        if options is not None and _host_process(options):
            if bad is None:
                bad = []
            bad.append(i)
    if not pod_bad and bad is None:
        return None
    detail = _detail(pod_bad, names_at(contexts, bad or ()))
    if pod_bad:
        return "hostProcess", detail, ((POD, _detail(True, ())),)
    return "hostProcess", detail, _each(contexts, bad or [], detail)


def _each(contexts: Contexts, bad: list[int], detail: str) -> Faults:
    if len(bad) == 1:
        return ((bad[0], detail),)
    return tuple([(i, _detail(False, (name_at(contexts, i),))) for i in bad])


CHECK = Check(CheckId("windowsHostProcess"), Level.BASELINE, (Since(v1(0), _since_1_0),))
