"""Where an object was read, and the object read there: each document carries its own `Source`,
so no list of objects is ever zipped with a list of places."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from podgate.k8s.defaults import Defaulted
from podgate.k8s.objects import Obj, PodSource, pod_sources

__all__ = ["Document", "Source", "documents", "where"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object was read: file (as given), document index, line, item of a v1 List."""

    file: str  # the path as given (or as found under a given directory), "-" for stdin
    document: int  # the document's index in its file, from 0 (as kubectl cuts it at `---`)
    line: int  # the line the object starts on, from 1 (0: not known, as for a live read)
    item: int | None = None  # the index within a list (`v1 List`, `PodList` ...), when in one

    def __str__(self) -> str:
        """`file:line`, or `file document N` (`item M` within a List) when no line is known."""
        if self.line > 0:
            return f"{self.file}:{self.line}"
        item = f" item {self.item}" if self.item is not None else ""
        return f"{self.file} document {self.document}{item}"


def where(source: Source | None) -> str:
    """Where an object was read, for messages."""
    return str(source) if source is not None else "(no file)"


@dataclass(frozen=True, slots=True)
class Document:
    """One object and where it was read (None: not read from a file, as in tests and the
    webhook). After `io.prepare`, the object is as the API server would store it and
    `defaulted` says what its defaulting set."""

    obj: Obj
    source: Source | None = None
    defaulted: tuple[Defaulted, ...] = ()
    # how it was prepared as it was read (`io.prepare.prepare_read`: with defaults or not);
    # None: not yet (`io.prepare.prepare` prepares it)
    prepared: bool | None = field(default=None, compare=False)
    # PodSource | None once found; False (not yet: it survives pickling, as a worker of the
    # process pool sends documents back) until then
    _pod: Any = field(default=False, init=False, repr=False, compare=False)

    @property
    def pod(self) -> PodSource | None:
        """The pod spec in the object (`k8s.pod_sources`), found once for every reader."""
        found = self._pod
        if found is False:
            found = pod_sources(self.obj)
            object.__setattr__(self, "_pod", found)  # a cache: the document stays the same
        return found  # type: ignore[no-any-return]

    @property
    def file(self) -> str:
        return self.source.file if self.source is not None else ""

    @property
    def index(self) -> int:
        return self.source.document if self.source is not None else 0

    @property
    def line(self) -> int:
        return self.source.line if self.source is not None else 0

    @property
    def item(self) -> int | None:
        return self.source.item if self.source is not None else None

    @property
    def where(self) -> str:
        """`file: document N [item M] (line L)`, as load errors name a document."""
        at = f"{self.file}: document {self.index}"
        if self.item is not None:
            at += f" item {self.item}"
        return f"{at} (line {self.line})"


def documents(objs: Iterable[Obj]) -> list[Document]:
    """Objects that were not read from a file (built in code, or received by the webhook), as
    documents without a source."""
    return [Document(o) for o in objs]
