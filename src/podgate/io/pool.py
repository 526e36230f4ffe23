"""Work on every core: an ordered map over forked worker processes (`--jobs N`).

The workers are forked, so they start with everything the parent has loaded (objects, compiled
policies, the function to run) and nothing is pickled into them; only results come back. A result
that refers to an object the parent shares (an input object, a workload) comes back as a reference
to the parent's own object, so what crosses the pipe stays small and identity is kept.

The results are handed back in the order of the items whatever order the workers finish in, so a
run on N cores gives what one core gives. Given `here` (how this process computes an item), this
process is one of the N: it forks N - 1 workers and takes items from the same queue as they do,
so that what it computes itself never crosses a pipe. A worker writes each answer to a file of
its own (in memory) and sends only where it is, so a worker never waits for this process to be
done with an item before it can go on with the next.

An item whose function raised re-raises that exception in the parent when its turn comes (an
earlier item's error first, as on one core). A worker that dies (killed, out of memory) is a
`PoolError`, never a hang; on Ctrl-C or any error the workers are ended at once. Fork exists on
Linux and macOS only: elsewhere, and with `jobs` 1, the map runs in this process.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from podgate.errors import PoolError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["POOL_MIN_ENV", "cores", "ordered_map", "pool_min", "use_pool"]

T = TypeVar("T")
R = TypeVar("R")

# A hidden override of the sizes below which no pool is started (tests force the pool on small
# inputs with 0). Not an option: the thresholds are measured, not a user's choice.
POOL_MIN_ENV = "PODGATE_POOL_MIN"


def cores() -> int:
    """The cores this process may run on (`--jobs` auto)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def pool_min(default: int) -> int:
    """The size below which a pool does not pay: `default`, unless overridden for tests."""
    value = os.environ.get(POOL_MIN_ENV, "")
    return int(value) if value.isdigit() else default


def use_pool(jobs: int, items: int, size: int, threshold: int) -> bool:
    """Whether to start a pool of `jobs` workers for `items` pieces of work of `size` in all: more
    than one job and one piece, fork available, and `size` at the threshold (`pool_min`)."""
    return jobs > 1 and items > 1 and size >= pool_min(threshold) and _can_fork()


def _can_fork() -> bool:
    import multiprocessing  # (not imported by a process that starts no pool: start-up time)

    return "fork" in multiprocessing.get_all_start_methods()


class _Pickler(pickle.Pickler):
    """Pickles a shared object (one the parent holds too) as its index in the shared table."""

    def __init__(self, file: io.BytesIO, shared: dict[int, int]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def persistent_id(self, obj: Any) -> int | None:
        return self.shared.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, table: Sequence[object]) -> None:
        super().__init__(file)
        self.table = table

    def persistent_load(self, pid: Any) -> object:
        return self.table[pid]


class _Loads(pickle.Unpickler):
    """Loads an answer in the worker, as the parent will (a shared object is None here)."""

    def persistent_load(self, pid: Any) -> object:
        return None


def _dump(value: object, shared: dict[int, int]) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, shared).dump(value)
    return buffer.getvalue()


def _answer(func: Callable[[T], R], item: T, index: int, shared: dict[int, int]) -> bytes:
    """What a worker sends for one item: (index, True, result) or (index, False, exception)."""
    try:
        return _dump((index, True, func(item)), shared)
    except Exception as e:  # noqa: BLE001 - handed to the parent, which raises it in turn
        e.__traceback__ = None
        try:
            answer = _dump((index, False, e), shared)
            _Loads(io.BytesIO(answer)).load()  # the parent must be able to load it too
        except Exception:  # noqa: BLE001 - an exception that does not pickle: its text
            return _dump((index, False, RuntimeError(f"{type(e).__name__}: {e}")), shared)
        return answer


def _take(counter: Any, order: Sequence[int]) -> int | None:
    """The index of the next item to do (in `order`), taken from the queue; None when none is
    left."""
    with counter.get_lock():
        taken: int = counter.value
        counter.value = taken + 1
    return order[taken] if taken < len(order) else None


def _scratch() -> int:
    """A file descriptor of an anonymous file (in memory where the system has memfd_create)."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None:
        try:
            fd: int = memfd("podgate-answers", os.MFD_CLOEXEC)
            return fd
        except OSError:
            pass
    import tempfile

    with tempfile.TemporaryFile() as file:  # (the descriptor outlives the file object)
        return os.dup(file.fileno())


_WHERE = struct.Struct("<QQ")  # (offset, size) of an answer in its worker's file


def _work(
    func: Callable[[T], R],
    items: Sequence[T],
    order: Sequence[int],
    counter: Any,
    shared: dict[int, int],
    out: Connection,
    answers: int,
) -> None:
    """A worker: take the next item to do (in `order`) until none is left; write each answer to
    the file `answers` and send where it is."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while forking
    code = 1
    try:
        offset = 0
        while (index := _take(counter, order)) is not None:
            answer = _answer(func, items[index], index, shared)
            view = memoryview(answer)
            while view:
                view = view[os.write(answers, view) :]
            out.send_bytes(_WHERE.pack(offset, len(answer)))
            offset += len(answer)
        out.close()
        code = 0
    except OSError:  # the parent is gone or stopped reading: nothing left to do
        code = 0
    finally:
        # no exit handler, and no flush of output buffered in the parent before the fork (it
        # would be written twice)
        os._exit(code)


def ordered_map(
    func: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    *,
    shared: Iterable[object] = (),
    weights: Sequence[int] | None = None,
    here: Callable[[T], R] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[R]:
    """`func(item)` for each of `items`, in their order, computed by `jobs` forked workers
    (heaviest `weights` first, so that no worker is left with a large item at the end). Objects
    in `shared` cross back as references to the parent's own. Given `here`, this process is one
    of the `jobs`: it computes items too, as `here(item)`, which must give what `func(item)`
    gives once it has crossed back. `meanwhile` is called once in this process, once the
    workers are started (what it does overlaps their work). With one job or one item, or
    without fork, the map runs here (as `here`, when given)."""
    local = func if here is None else here
    workers_wanted = min(jobs, len(items)) - (here is not None)
    if jobs <= 1 or len(items) <= 1 or workers_wanted < 1 or not _can_fork():
        if meanwhile is not None:
            meanwhile()
        yield from map(local, items)
        return
    table = list(shared)
    ids = {id(o): i for i, o in enumerate(table)}
    order = list(range(len(items)))
    if weights is not None:
        order.sort(key=lambda i: -weights[i])
    for stream in (sys.stdout, sys.stderr):  # nothing buffered to be copied into the workers
        stream.flush()
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    workers: list[_Worker] = []
    try:
        # Ctrl-C waits until every worker started is known: one that came between a fork and
        # the end of `start()` would leave a worker whose pid the parent never learnt running
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            counter = ctx.Value("q", 0)
            for _ in range(workers_wanted):
                reader, writer = ctx.Pipe(duplex=False)
                answers = _scratch()
                process = ctx.Process(
                    target=_work,
                    args=(func, items, order, counter, ids, writer, answers),
                    daemon=True,
                )
                workers.append(_Worker(process, reader, answers))
                process.start()
                writer.close()
        except OSError:  # no process to be had (memory, limits): all of it here, as with 1 job
            _end(workers)
            workers = []
            started = False
        else:
            started = True
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a Ctrl-C held back is raised here
        if meanwhile is not None:
            meanwhile()
        if not started:
            yield from map(local, items)
            return
        mine = None if here is None else (here, counter, order)
        yield from _in_order(workers, items, table, mine)
    finally:
        _end(workers)


class _Worker:
    """A worker process, the pipe it says where each answer is on, and the file it writes the
    answers to."""

    __slots__ = ("answers", "process", "reader")

    def __init__(self, process: Any, reader: Connection, answers: int) -> None:
        self.process = process
        self.reader = reader
        self.answers = answers


def _end(workers: list[_Worker]) -> None:
    """Every worker ended (at once, when it is still running) and waited for."""
    for worker in workers:
        if worker.process.pid is not None and worker.process.exitcode is None:
            worker.process.terminate()
    for worker in workers:
        if worker.process.pid is not None:
            worker.process.join()
        worker.reader.close()
        os.close(worker.answers)


def _in_order(
    workers: list[_Worker],
    items: Sequence[Any],
    table: Sequence[object],
    mine: tuple[Callable[[Any], Any], Any, Sequence[int]] | None,
) -> Iterator[Any]:
    """The answers, in the items' order; an item's exception raised at its turn. With `mine`
    (how this process computes an item, the queue and its order), this process takes items
    from the queue too whenever the answer it waits for is not there yet."""
    from multiprocessing.connection import wait

    count = len(items)
    done: dict[int, tuple[bool, Any]] = {}
    readers = {worker.reader: worker for worker in workers}
    sentinels = {worker.process.sentinel: worker for worker in workers}
    following = 0
    while following < count:
        while following in done:
            ok, value = done.pop(following)
            if not ok:
                raise value
            yield value
            following += 1
        if following == count:
            return
        if mine is not None:
            compute, counter, order = mine
            index = _take(counter, order)
            if index is not None:
                try:
                    done[index] = (True, compute(items[index]))
                except Exception as e:  # noqa: BLE001 - raised at its turn, as a worker's is
                    done[index] = (False, e)
                _gather(wait([*readers, *sentinels], 0), readers, sentinels, done, table)
                continue
            mine = None
        if not sentinels:
            raise PoolError("the worker processes ended before every item was done")
        _gather(wait([*readers, *sentinels]), readers, sentinels, done, table)


def _gather(
    ready: list[Any],
    readers: dict[Connection, _Worker],
    sentinels: dict[Any, _Worker],
    done: dict[int, tuple[bool, Any]],
    table: Sequence[object],
) -> None:
    """The answers of the workers `ready` says have sent some, and the end of those that
    ended (an error unless they exited 0)."""
    from multiprocessing.connection import Connection

    for one in ready:
        if isinstance(one, Connection):
            if one in readers:
                _receive(one, done, table, readers)
            continue
        worker = sentinels.pop(one)
        while worker.reader in readers and worker.reader.poll():  # what it sent before it ended
            _receive(worker.reader, done, table, readers)
        readers.pop(worker.reader, None)
        worker.process.join()
        if worker.process.exitcode != 0:
            raise PoolError(_ended(worker.process.exitcode))


def _receive(
    reader: Connection,
    done: dict[int, tuple[bool, Any]],
    table: Sequence[object],
    readers: dict[Connection, _Worker],
) -> None:
    try:
        where = reader.recv_bytes()
    except EOFError:  # the worker closed its end: it has sent everything
        readers.pop(reader, None)
        return
    offset, size = _WHERE.unpack(where)
    payload = _read_at(readers[reader].answers, offset, size)
    index, ok, value = _Unpickler(io.BytesIO(payload), table).load()
    done[index] = (ok, value)


def _read_at(fd: int, offset: int, size: int) -> bytes:
    """`size` bytes of the file `fd` from `offset` (written by a worker before it said so)."""
    chunks = []
    while size > 0:
        chunk = os.pread(fd, size, offset)
        if not chunk:
            raise PoolError("a worker's answer was cut short")
        chunks.append(chunk)
        offset += len(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"was killed by signal {-exitcode}"
    else:
        how = f"exited with code {exitcode}"
    return (
        f"a worker process {how} before it finished (out of memory?); "
        "run with --jobs 1 to use one process"
    )
