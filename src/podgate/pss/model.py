"""The values of Pod Security Standards: levels, versions, check definitions and violations.

A check is a `Check` with one `Since` per rule revision; a revision's function takes the pod's
`(meta, spec)` and its containers with their security contexts, and returns `None` (allowed) or
`(reason, detail, faults)` (forbidden). The faults say, in the same pass, whom the check blames:
the pod as a whole (its own fields), or each container at fault, each with the detail the check
gives for it alone. The registry turns those into `Violation`s carrying the check ID, in
upstream's evaluation order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, NewType

from podgate.errors import PolicyError
from podgate.k8s import Obj
from podgate.pss.fields import Contexts

__all__ = [
    "LATEST",
    "POD",
    "Check",
    "CheckFn",
    "CheckId",
    "Fault",
    "Faults",
    "Forbidden",
    "Level",
    "LevelVersion",
    "Since",
    "Version",
    "Violation",
    "parse_level",
    "parse_version",
    "v1",
]

CheckId = NewType("CheckId", str)

POD: Final = -1
"""The index a fault gives when the pod as a whole (its own fields) is at fault."""

Fault = tuple[int, str]
"""Whom a failing check blames, with the detail it gives for that one alone: `(POD, detail)` for
the pod's own fields, or `(i, detail)` for the i-th container of the evaluation's containers
(init, regular, ephemeral, each in spec order). The detail alone is what the check would say
of the pod without containers, or of the pod with that container only."""

Faults = tuple[Fault, ...]
"""A failing check's faults: the pod alone when its own fields fail the check (containers are
then not blamed), else every container that fails it on its own, in container order."""

Forbidden = tuple[str, str, Faults]
"""A forbidden result: (reason, detail, faults). The detail may be empty."""

CheckFn = Callable[[Obj, Obj, Contexts], Forbidden | None]
"""A rule revision: `(meta, spec, contexts) -> None` when allowed, else `(reason, detail,
faults)`; `contexts` are the pod's (container, securityContext) pairs (`fields.Contexts`)."""


class Level(StrEnum):
    """A Pod Security Standards level; strictness: privileged < baseline < restricted."""

    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"

    @property
    def strictness(self) -> int:
        """0 for privileged, 1 for baseline, 2 for restricted."""
        return _STRICTNESS[self]


_STRICTNESS = {Level.PRIVILEGED: 0, Level.BASELINE: 1, Level.RESTRICTED: 2}
_LEVELS = {level.value: level for level in Level}


def parse_level(text: str) -> Level:
    """The level named exactly by `text` (case-sensitive), else PolicyError with upstream's text."""
    level = _LEVELS.get(text) if isinstance(text, str) else None
    if level is None:
        raise PolicyError("must be one of privileged, baseline, restricted")
    return level


_MAX_MINOR = 2**63 - 1  # upstream parses the minor with strconv.Atoi (int64)
_LATEST_MINOR = 2**63  # sorts after every parseable minor


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """A policy version: `v1.<minor>`, or `latest`, which is newer than every numbered version."""

    minor: int

    def __post_init__(self) -> None:
        if type(self.minor) is not int or not 0 <= self.minor <= _LATEST_MINOR:
            raise PolicyError(f"version minor out of range: {self.minor!r}")

    @property
    def is_latest(self) -> bool:
        return self.minor == _LATEST_MINOR

    def __str__(self) -> str:
        return "latest" if self.minor == _LATEST_MINOR else f"v1.{self.minor}"

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"


LATEST = Version(_LATEST_MINOR)


def v1(minor: int) -> Version:
    """The numbered version v1.<minor>."""
    if type(minor) is not int or not 0 <= minor <= _MAX_MINOR:
        raise PolicyError(f"version minor out of range: {minor!r}")
    return Version(minor)


_VERSION_RE = re.compile(r"v1\.(0|[1-9][0-9]*)")


def parse_version(text: str) -> Version:
    """`latest` or `v1.<minor>` exactly (no leading zeros, no patch, case-sensitive), else
    PolicyError with upstream's text."""
    if text == "latest":
        return LATEST
    match = _VERSION_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None or int(match[1]) > _MAX_MINOR:
        raise PolicyError('must be "latest" or "v1.x"')
    return Version(int(match[1]))


@dataclass(frozen=True, slots=True)
class LevelVersion:
    """A level at a version, rendered `<level>:<version>` (`restricted:latest`)."""

    level: Level
    version: Version

    def __str__(self) -> str:
        return f"{self.level.value}:{self.version}"


@dataclass(frozen=True, slots=True)
class Violation:
    """One failing check: its ID, upstream's short reason and the specific detail (may be
    empty), and whom it blames (`Faults`; not part of the value: two violations with the same
    texts are equal)."""

    check: str
    reason: str
    detail: str
    faults: Faults = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Since:
    """A rule revision active from `version` on; `overrides` names the baseline checks it replaces
    at the restricted level while it is active (restricted checks only)."""

    version: Version
    fn: CheckFn
    overrides: tuple[CheckId, ...] = ()


@dataclass(frozen=True, slots=True)
class Check:
    """A check: its upstream ID, its level and its revisions in increasing version order."""

    id: CheckId
    level: Level
    versions: tuple[Since, ...]

    def revision_at(self, version: Version) -> Since | None:
        """The newest revision whose minimum version is <= `version`, or None."""
        found: Since | None = None
        for since in self.versions:
            if since.version <= version:
                found = since
        return found
