"""A lint finding, and the closest known name for a misspelt one."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Hint:
    """One lint finding: where, what is wrong or surprising, and the fix when there is one."""

    field: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}"
        return f"{text} (did you mean: {self.suggestion})" if self.suggestion else text


def closest(name: str, known: Any) -> str | None:
    names = [k for k in known if isinstance(k, str)]
    for k in names:
        if k.lower() == name.lower():
            return k
    match = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    if match:
        return match[0]
    lowered = {k.lower(): k for k in names}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
    return lowered[match[0]] if match else None
