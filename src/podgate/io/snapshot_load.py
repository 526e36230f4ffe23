"""A JSON snapshot (one list, io/snapshot.py) read for a scan: its Pods and workloads decoded to
what a scan reads, prepared (`io.prepare`) and packed (k8s/packed.py) one item at a time, so
that the objects never all exist at once; on every core (`jobs`) when the file is large enough.

With a pool, the items are cut into consecutive spans, each decoded, prepared and packed by
whichever process takes it (`pool.ordered_map`: this process is one of them), and the proof
that msgspec reads the file as orjson does (`read_as_orjson`: no integer beyond 64 bits, no
float beyond range, no value nested too deep) is one more piece of work beside them, done
meanwhile by another process. What the spans give is used only once that proof is had; without
it the file goes the usual way, as on one core. Spans come back in order, and what they give is
what one pass over the items gives: the same documents (the values of their heads shared again
in this process, `Shared`), the first error of the first span that has one, and the usual way
for the file when any item cannot be read as orjson reads it.
"""

from __future__ import annotations

import marshal
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from podgate.errors import LoadError
from podgate.io.snapshot import UNREADABLE, Snapshot, decode_list, read_as_orjson
from podgate.k8s.defaults import Defaulted
from podgate.k8s.packed import PackedDocument, Shared, pack, received, sent
from podgate.k8s.source import Document, Source

__all__ = ["SNAPSHOT_MIN_BYTES", "load_snapshot"]

# Below this size a snapshot is read on one core. The same threshold as a directory's files
# (io/parallel.py: FILES_MIN_BYTES): a fork and the trip back of the packed items cost a few
# milliseconds, reading 4 MiB of items about a tenth of a second.
SNAPSHOT_MIN_BYTES = 4 * 1024 * 1024
# spans per process: enough that no process waits long on another at the end
SPANS_PER_JOB = 32


@dataclass(slots=True)
class _Span:
    """What reading a span of items gave: the documents (none once one was refused), whether
    each item was trimmed, the first item refused, and whether an item could not be read as
    orjson reads it (then nothing else counts: the file goes the usual way)."""

    docs: list[Document] | bytes  # as a worker sends them back: `_sent`
    trimmed: list[bool]
    error: LoadError | None
    unreadable: bool = False


def load_snapshot(
    raw: bytes,
    file: str,
    line: int,
    max_depth: int,
    defaults: bool | None,
    jobs: int = 1,
) -> tuple[list[Document], Snapshot] | None:
    """The documents of the JSON list `raw` (read from `file`, starting on `line`): its Pods and
    workloads trimmed (io/snapshot.py) and packed, prepared with `defaults` (`io.prepare`; as
    read when None; one whose fields have the wrong types packed as read, for `prepare` to
    refuse at its turn). None when `raw` is not one the trimmed decode reads exactly as the
    full one (the caller reads it the usual way). Raises the LoadError of the first item
    refused. On `jobs` cores when the file is at least SNAPSHOT_MIN_BYTES."""
    snap = decode_list(raw)
    if snap is None:
        return None
    shared = Shared()
    read = partial(_read_span, snap, file, line, defaults, shared)
    spans = _spans(snap.raws, jobs) if _use_pool(jobs, len(raw), len(snap.raws)) else None
    if spans is None:
        if not read_as_orjson(raw, max_depth):
            return None
        results: Iterator[_Span] = iter([read(range(len(snap.raws)))])
    else:
        found = _on_every_core(raw, max_depth, snap, spans, read, jobs)
        if found is None:
            return None
        results = found
    docs: list[Document] = []
    error: LoadError | None = None
    made: dict[Any, tuple[Defaulted, ...]] = {}
    for span in results:
        if span.unreadable:
            return None  # e.g. a number beyond a double's range: the usual path says so
        if error is None:
            error = span.error
        if error is None:
            got = span.docs
            docs.extend(got if isinstance(got, list) else _received(got, shared, made))
    if error is not None:
        raise error
    return docs, snap


def _use_pool(jobs: int, size: int, items: int) -> bool:
    if jobs <= 1 or items < 2:
        return False
    from podgate.io.pool import use_pool  # multiprocessing: only for a pool

    return use_pool(jobs, items, size, SNAPSHOT_MIN_BYTES)


def _spans(raws: Sequence[Any], jobs: int) -> list[range]:
    """Consecutive spans of the items, about SPANS_PER_JOB per process, of about equal bytes."""
    from podgate.io.parallel import _chunks

    return _chunks([len(r) for r in raws], jobs * SPANS_PER_JOB)


def _on_every_core(
    raw: bytes,
    max_depth: int,
    snap: Snapshot,
    spans: list[range],
    read: partial[_Span],
    jobs: int,
) -> Iterator[_Span] | None:
    """The spans read on `jobs` cores, in order, once `read_as_orjson` is proved (None when it
    is not): it is the first piece of work, done by whichever process takes it first."""
    from podgate.io.pool import ordered_map

    def there(piece: range | None) -> bool | _Span:
        if piece is None:
            return read_as_orjson(raw, max_depth)
        span = read(piece)
        if isinstance(span.docs, list):
            span.docs = _sent(span.docs)
        return span

    def here(piece: range | None) -> bool | _Span:
        return read_as_orjson(raw, max_depth) if piece is None else read(piece)

    # in their order, the proof first (it reads the whole file): each span's answer is taken
    # in soon after it is sent, never held while later ones are read
    answers = ordered_map(there, [None, *spans], jobs, here=here)
    if not next(answers):
        if isinstance(answers, Generator):
            answers.close()  # the workers are ended now
        return None
    return _spans_of(answers, spans, snap)


def _spans_of(answers: Iterator[Any], spans: list[range], snap: Snapshot) -> Iterator[_Span]:
    """The spans' answers, each span's trimmed flags noted in `snap` (a worker's are its own)."""
    for piece, span in zip(spans, answers, strict=True):
        if not span.unreadable:
            snap.trimmed[piece.start : piece.stop] = span.trimmed
        yield span


def _sent(docs: list[Document]) -> bytes:
    """`docs` as a worker sends them back: one marshal text (written and read several times
    faster than pickle writes the same documents) of plain values: a packed document as
    `sent` gives it, another as its object, source and defaults."""
    plain: list[Any] = []
    for d in docs:
        if isinstance(d, PackedDocument):
            plain.append((True, sent(d)))
        else:
            s = d.source
            where = None if s is None else (s.file, s.document, s.line, s.item)
            plain.append(
                (False, (d.obj, where, tuple((x.field, x.value, x.why) for x in d.defaulted)))
            )
    return marshal.dumps(plain)


def _received(
    data: bytes, shared: Shared, made: dict[Any, tuple[Defaulted, ...]]
) -> Iterator[Document]:
    """The documents `_sent` wrote in `data` (by this process' own worker), packed ones made
    of the values `shared` holds, defaults remembered in `made`."""
    same: dict[int, tuple[Any, Any]] = {}  # what each value of this text was made (by id)
    for is_packed, values in marshal.loads(data):
        if is_packed:
            yield received(values, shared, made, same)
        else:
            obj, where, done = values
            defaulted = tuple(Defaulted(*x) for x in done)
            yield Document(obj, None if where is None else Source(*where), defaulted)


def _read_span(
    snap: Snapshot,
    file: str,
    line: int,
    defaults: bool | None,
    shared: Shared,
    span: range,
) -> _Span:
    """Items `span` of `snap` decoded, prepared and packed (`load_snapshot`)."""
    from podgate.io.loader import _list_item
    from podgate.io.prepare import prepare_packed

    docs: list[Any] = []
    trimmed: list[bool] = []
    error: LoadError | None = None
    for i in span:
        try:
            obj = snap.item(i)
        except UNREADABLE:
            return _Span([], [], None, unreadable=True)
        trimmed.append(snap.trimmed[i])
        if error is not None:
            continue  # decoded only to learn whether every item can be
        try:
            doc = _list_item(obj, i, snap.kind, snap.api_version, file, 0, line)
        except LoadError as e:
            e.__traceback__ = None
            error, docs = e, []
            continue
        found = doc.pod if snap.trimmed[i] else None
        if found is not None:  # packed until it is judged: the objects never all exist at once
            try:
                if defaults is not None:
                    doc = prepare_packed(doc, defaults, shared)
            except LoadError:
                pass
            if not isinstance(doc, PackedDocument):
                doc = pack(doc.obj, found, doc.source, doc.defaulted, shared=shared)
        docs.append(doc)
    return _Span(docs, trimmed, error)
