"""What writers need besides the result: who made the report, when, and where fields are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from podgate.k8s.field import FieldPath
from podgate.k8s.source import Source

Locate = Callable[[Source, FieldPath], "tuple[int, int] | None"]


def _nowhere(source: Source, path: FieldPath) -> tuple[int, int] | None:
    return None


@dataclass(frozen=True, slots=True)
class ReportContext:
    version: str  # podgate's version
    command: str  # the command line that made the report
    generated: dt.datetime  # when (UTC)
    locate: Locate = _nowhere  # (line, column) of a field path in the object at a source
    exit_code: int = 0  # the exit code the scan ends with
    color: bool = False  # text output on a terminal
