"""Work on every core: an ordered map over forked worker processes (`--jobs N`).

The workers are forked, so they start with everything the parent has loaded (objects, compiled
policies, the function to run) and nothing is pickled into them; only results come back. A result
that refers to an object the parent shares (an input object, a workload) comes back as a reference
to the parent's own object, so what crosses the pipe stays small and identity is kept.

The results are handed back in the order of the items whatever order the workers finish in, so a
run on N cores gives what one core gives. An item whose function raised re-raises that exception
in the parent when its turn comes (an earlier item's error first, as on one core). A worker that
dies (killed, out of memory) is a `PoolError`, never a hang; on Ctrl-C or any error the workers
are ended at once. Fork exists on Linux and macOS only: elsewhere, and with `jobs` 1, the map runs
in this process.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from podgate.errors import PoolError

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
    return (
        jobs > 1
        and items > 1
        and size >= pool_min(threshold)
        and "fork" in multiprocessing.get_all_start_methods()
    )


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


def _work(
    func: Callable[[T], R],
    items: Sequence[T],
    order: Sequence[int],
    counter: Any,
    shared: dict[int, int],
    out: Connection,
) -> None:
    """A worker: take the next item to do (in `order`) until none is left, send each answer."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while forking
    code = 1
    try:
        while True:
            with counter.get_lock():
                taken = counter.value
                counter.value = taken + 1
            if taken >= len(order):
                break
            index = order[taken]
            out.send_bytes(_answer(func, items[index], index, shared))
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
) -> Iterator[R]:
    """`func(item)` for each of `items`, in their order, computed by `jobs` forked workers
    (heaviest `weights` first, so that no worker is left with a large item at the end). Objects
    in `shared` cross back as references to the parent's own. With one job or one item, or
    without fork, the map runs here."""
    if jobs <= 1 or len(items) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(func, items)
        return
    table = list(shared)
    ids = {id(o): i for i, o in enumerate(table)}
    order = list(range(len(items)))
    if weights is not None:
        order.sort(key=lambda i: -weights[i])
    for stream in (sys.stdout, sys.stderr):  # nothing buffered to be copied into the workers
        stream.flush()
    ctx = multiprocessing.get_context("fork")
    workers: list[tuple[Any, Connection]] = []
    try:
        # Ctrl-C waits until every worker started is known: one that came between a fork and
        # the end of `start()` would leave a worker whose pid the parent never learnt running
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            counter = ctx.Value("q", 0)
            for _ in range(min(jobs, len(items))):
                reader, writer = ctx.Pipe(duplex=False)
                process = ctx.Process(
                    target=_work, args=(func, items, order, counter, ids, writer), daemon=True
                )
                workers.append((process, reader))
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
        if not started:
            yield from map(func, items)
            return
        yield from _in_order(workers, len(items), table)
    finally:
        _end(workers)


def _end(workers: list[tuple[Any, Connection]]) -> None:
    """Every worker ended (at once, when it is still running) and waited for."""
    for process, _ in workers:
        if process.pid is not None and process.exitcode is None:
            process.terminate()
    for process, reader in workers:
        if process.pid is not None:
            process.join()
        reader.close()


def _in_order(
    workers: list[tuple[Any, Connection]], count: int, table: Sequence[object]
) -> Iterator[Any]:
    """The workers' answers, in the items' order; an item's exception raised at its turn."""
    done: dict[int, tuple[bool, Any]] = {}
    readers = {reader: process for process, reader in workers}
    sentinels = {process.sentinel: (process, reader) for process, reader in workers}
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
        if not sentinels:
            raise PoolError("the worker processes ended before every item was done")
        for ready in wait([*readers, *sentinels]):
            if isinstance(ready, Connection):
                if ready in readers:
                    _receive(ready, done, table, readers)
                continue
            process, reader = sentinels.pop(ready)
            while reader in readers and reader.poll():  # what it sent before it ended
                _receive(reader, done, table, readers)
            readers.pop(reader, None)
            process.join()
            if process.exitcode != 0:
                raise PoolError(_ended(process.exitcode))


def _receive(
    reader: Connection,
    done: dict[int, tuple[bool, Any]],
    table: Sequence[object],
    readers: dict[Connection, Any],
) -> None:
    try:
        payload = reader.recv_bytes()
    except EOFError:  # the worker closed its end: it has sent everything
        readers.pop(reader, None)
        return
    index, ok, value = _Unpickler(io.BytesIO(payload), table).load()
    done[index] = (ok, value)


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
