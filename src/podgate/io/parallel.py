"""What runs on every core (`--jobs`), through `pool.ordered_map`: the files of a directory are
parsed by file, the workloads of a scan judged by chunks of workloads. Everything that needs the
whole input (namespace levels, RBAC, policies, owners, duplicates) stays in the parent, before
and after. Either part starts a pool only past a size where it paid off when measured (see
benchmarks/bench_jobs.py): below it, the fork and the results' trip back cost more than the
second core saves."""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from podgate.k8s.defaults import Defaulted
from podgate.k8s.source import Document, Source

if TYPE_CHECKING:  # not imported to read files: `podgate scan` imports them anyway
    from podgate.scan.inventory import Workload
    from podgate.scan.scan import Judged, JudgeEach

__all__ = ["FILES_MIN_BYTES", "JUDGE_MIN", "judging", "parsing"]

T = TypeVar("T")
R = TypeVar("R")

# Below these no pool is started (measured on 2 cores: benchmarks/bench_jobs.py).
FILES_MIN_BYTES = 4 * 1024 * 1024  # bytes of input files to parse
JUDGE_MIN = 1000  # objects to judge (workloads and the objects folded into them)
# chunks per worker: enough that no process waits long for the last chunk another is judging
# (with 8, on a 20,000-pod snapshot the worker ended 1.3-3.0 s before this process at load
# 9-10; with 32, 0.3-0.6 s), few enough that each chunk amortises its trip back
CHUNKS_PER_JOB = 32


def _chunks(weights: Sequence[int], count: int) -> list[range]:
    """Consecutive ranges of the items, about `count` of them, of about equal weight."""
    target = max(1, sum(weights) // max(1, count))
    out: list[range] = []
    start = total = 0
    for i, weight in enumerate(weights):
        total += weight
        if total >= target:
            out.append(range(start, i + 1))
            start, total = i + 1, 0
    if start < len(weights):
        out.append(range(start, len(weights)))
    return out


def _shared(workloads: Iterable[Workload]) -> Iterator[object]:
    """What the results of judging refer to that the parent already holds: the workloads, the
    objects read and their pod specs, and the fields of those (a pod PSP admits unchanged is
    built of them), and where each was read (each of its findings names it)."""
    for w in workloads:
        yield from (w, w.ref, w.obj, w.meta, w.spec)
        if w.source is not None:
            yield w.source
        yield from (v for v in w.spec.values() if isinstance(v, dict | list))
        yield from _shared(w.owned)


def judging(jobs: int) -> JudgeEach:
    """`scan`'s `judge_each` on `jobs` cores, when there are enough objects to judge."""

    def judge_each(
        judge: Callable[[Workload], Judged], workloads: Sequence[Workload]
    ) -> Iterable[Judged]:
        if jobs <= 1:
            return map(judge, workloads)
        from podgate.io.pool import ordered_map, use_pool  # multiprocessing: only for a pool

        weights = [1 + len(w.owned) for w in workloads]
        if not use_pool(jobs, len(workloads), sum(weights), JUDGE_MIN):
            return map(judge, workloads)
        chunks = _chunks(weights, jobs * CHUNKS_PER_JOB)

        def judge_span(span: range) -> list[Judged]:
            return [judge(workloads[i]) for i in span]

        answers = ordered_map(
            judge_span,
            chunks,
            jobs,
            shared=_shared(workloads),  # (listed by each process once the workers start)
            weights=[sum(weights[i] for i in span) for span in chunks],
            here=judge_span,  # this process judges chunks too
        )
        return chain.from_iterable(answers)

    return judge_each


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:  # parsing it says why
        return 0


_Sent = tuple[str, int, int, "int | None", "bool | None", tuple[tuple[str, str, str], ...]]


class _Packed(NamedTuple):
    """A file's documents as a worker sends them: their objects as one `marshal` text (written
    and read several times faster than pickle does the same objects, and exact for the types
    a parse makes: `True`, `1` and `1.0` apart, NaN, ints of any size, key order), and for each
    its source, how it was prepared and what was defaulted (`Document`)."""

    objects: bytes
    documents: list[_Sent]


def _pack(parsed: object) -> object:
    """What a worker sends for a file parsed: its documents packed, when they are plain
    `Document`s read from a file and marshal carries their objects (it refuses any type but
    the built-in ones, a subclass too); else as parsed. (The pod spec each document found is
    not sent: it is found again from the object, as it was.)"""
    if not isinstance(parsed, list) or not parsed:
        return parsed
    sent: list[_Sent] = []
    for doc in parsed:
        source = doc.source if type(doc) is Document else None
        if source is None or any(type(d) is not Defaulted for d in doc.defaulted):
            return parsed
        defaulted = tuple((d.field, d.value, d.why) for d in doc.defaulted)
        sent.append(
            (source.file, source.document, source.line, source.item, doc.prepared, defaulted)
        )
    try:
        data = marshal.dumps([doc.obj for doc in parsed])
    except ValueError:  # an object of another type
        return parsed
    return _Packed(data, sent)


def _unpack(sent: object) -> Any:
    """The documents of a file as parsed, from what a worker sent."""
    if not isinstance(sent, _Packed):
        return sent
    objects = marshal.loads(sent.objects)  # (written by this process' own worker)
    return [
        Document(
            o,
            Source(file, index, line, item),
            tuple(Defaulted(*d) for d in defaulted),
            prepared,
        )
        for o, (file, index, line, item, prepared, defaulted) in zip(
            objects, sent.documents, strict=True
        )
    ]


def parsing(
    jobs: int, meanwhile: Callable[[], object] | None = None
) -> Callable[[Callable[[str], R], Sequence[str]], Iterable[R]]:
    """`load_documents`' `parse_each` on `jobs` cores: files parsed in order, or by file on
    every core when there are enough bytes to parse (standard input in this process); the
    documents a worker parsed come back packed (`_Packed`), those this process parsed as they
    are. `meanwhile` is called once, before this process reads any file: with a pool, once the
    workers have started (what the command needs next, overlapped with their parsing); without
    one, at once (what it says of the command's options is said before any file is read)."""

    def alone(parse: Callable[[str], R], paths: Sequence[str]) -> Iterable[R]:
        if meanwhile is not None:
            meanwhile()
        return map(parse, paths)

    def parse_each(parse: Callable[[str], R], paths: Sequence[str]) -> Iterable[R]:
        if jobs <= 1 or "-" in paths:
            return alone(parse, paths)
        from podgate.io.pool import ordered_map, use_pool  # multiprocessing: only for a pool

        sizes = [_size(p) for p in paths]
        if not use_pool(jobs, len(paths), sum(sizes), FILES_MIN_BYTES):
            return alone(parse, paths)
        sent = ordered_map(
            lambda path: _pack(parse(path)),
            paths,
            jobs,
            weights=sizes,
            here=parse,
            meanwhile=meanwhile,
        )
        return map(_unpack, sent)

    return parse_each
