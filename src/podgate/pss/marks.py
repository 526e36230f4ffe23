"""What the screen finds of a pod that decides the frequent restricted checks (`MARKED`), so that
a pod's containers are read once, by the screen, and each distinct finding is judged once.

On its one pass over the pod, the screen (`screen.py`) writes down, for each container in
`fields.pod_contexts` order, its name and its mark (an int), and after the mark the
capabilities it adds when it adds one the checks forbid (`ADDS`): the pod's facts. Each bit
below says exactly (not as a superset) what a field holds, read as the checks read it (`sc` is
the container's securityContext, `psc` the pod's):

* `APE`: `sc` unset, or its `allowPrivilegeEscalation` is not `false`.
* `NO_DROP`: `sc.capabilities` unset, or its `drop` is not a list (or tuple) holding "ALL".
* `ADDS`: `sc.capabilities.add` holds a capability other than "NET_BIND_SERVICE" (the facts
  then hold the whole `add`, as a tuple).
* `NON_ROOT_UNSET` / `NON_ROOT_BAD`: `sc.runAsNonRoot` unset / set to anything but `true`.
* `SECCOMP_UNSET`: `sc.seccompProfile` unset.
* `ROOT_USER`: `sc.runAsUser` set and not a non-zero integer.
* pod bits, in the screen's result: `POD_NON_ROOT` / `POD_NON_ROOT_BAD`: `psc.runAsNonRoot` is
  `true` / set to anything else; `POD_SECCOMP`: `psc.seccompProfile` set with an allowed type;
  `POD_ROOT_USER`: `psc.runAsUser` set and not a non-zero integer.

What the bits cannot say sets `UNMARKED` in the screen's result: a `psc` that is not an object,
a `psc.seccompProfile` or a container's `seccompProfile` set with a type that is not allowed (its
text is in the message), `spec.os` set (Windows exemptions), `spec.hostUsers: false` (the
user-namespace exemption), a container's `capabilities`, its `add` or an added capability of a
wrong type, a container name that is not a string.

So when the screen's result has neither `screen.ODD` nor `UNMARKED`, the facts with the result
decide what every revision of every `MARKED` check returns (each reads only those fields, and
names the containers at fault by their names), and two pods with equal facts and results get
equal results from them, faults included. The registry judges the facts of each such pod whose
suspects are only `MARKED` checks once, with the checks themselves (the reference), and gives
the next pod with the same facts the same violations (`registry._Compiled.by_facts`).

The facts are unambiguous as a tuple: a name is a `str`, a mark an `int` and an `add` a
`tuple`, and no value of one of these types equals one of another, so equal tuples have the
same containers with the same names, marks and added capabilities.

Guard: tests/pss/test_pss_marks.py evaluates generated and arbitrary JSON pods and the upstream
conformance fixtures with the checks, groups them by their facts, and fails if two pods with
equal facts get different results from a `MARKED` check.
"""

from __future__ import annotations

from typing import Final

from podgate.pss.model import CheckId

__all__ = [
    "ADDS",
    "APE",
    "MARKED",
    "NON_ROOT_BAD",
    "NON_ROOT_UNSET",
    "NO_DROP",
    "POD_NON_ROOT",
    "POD_NON_ROOT_BAD",
    "POD_ROOT_USER",
    "POD_SECCOMP",
    "POD_SECCOMP_BAD",
    "ROOT_USER",
    "SECCOMP_UNSET",
    "UNMARKED",
    "USER_NAMESPACE",
    "WINDOWS",
]

# a container's mark, above the screen's check bits (`screen.ALL`)
APE: Final = 1 << 20
NO_DROP: Final = 1 << 21
ADDS: Final = 1 << 22
NON_ROOT_UNSET: Final = 1 << 23
NON_ROOT_BAD: Final = 1 << 24
SECCOMP_UNSET: Final = 1 << 25
ROOT_USER: Final = 1 << 26
# the pod's own, in the screen's result
POD_NON_ROOT: Final = 1 << 27
POD_NON_ROOT_BAD: Final = 1 << 28
POD_SECCOMP: Final = 1 << 29
POD_ROOT_USER: Final = 1 << 30
POD_SECCOMP_BAD: Final = 1 << 31
WINDOWS: Final = 1 << 32
USER_NAMESPACE: Final = 1 << 33
UNMARKED: Final = 1 << 34

MARKED: Final = frozenset(
    {
        CheckId("allowPrivilegeEscalation"),
        CheckId("capabilities_restricted"),
        CheckId("runAsNonRoot"),
        CheckId("runAsUser"),
        CheckId("seccompProfile_restricted"),
    }
)
"""The checks whose results the facts decide (with the screen's result), at every version."""
