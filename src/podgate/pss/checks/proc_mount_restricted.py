"""Restricted (v1.35+): the default /proc masks are required, user namespace or not.

Same fields, rule, reason and detail as procMount v1.0; replaces procMount at restricted so the
v1.35 user-namespace relaxation of baseline never applies at restricted.
"""

from __future__ import annotations

from podgate.k8s import Obj
from podgate.pss.checks.proc_mount import forbidden_proc_mounts
from podgate.pss.fields import Contexts
from podgate.pss.model import Check, CheckId, Forbidden, Level, Since, v1


def _since_1_35(meta: Obj, spec: Obj, contexts: Contexts) -> Forbidden | None:
    return forbidden_proc_mounts(contexts)


CHECK = Check(
    CheckId("procMount_restricted"),
    Level.RESTRICTED,
    (Since(v1(35), _since_1_35, overrides=(CheckId("procMount"),)),),
)
