"""Work on every core: an ordered map over forked worker processes (`--jobs N`).

The workers are forked (`os.fork`, without multiprocessing, which costs a scan tens of
milliseconds to import), so they start with everything the parent has loaded (objects, compiled
policies, the function to run) and nothing is pickled into them; only results come back. A result
that refers to an object the parent shares (an input object, a workload) comes back as a reference
to the parent's own object, so what crosses back stays small and identity is kept.

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

import contextlib
import dataclasses
import fcntl
import io
import mmap
import operator
import os
import pickle
import select
import signal
import struct
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any, NoReturn, TypeVar

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
    return jobs > 1 and items > 1 and size >= pool_min(threshold) and _can_fork()


def _can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform in ("linux", "darwin")


def _fork() -> int:
    """`os.fork()` (tests wrap it to count or hinder the workers started)."""
    return os.fork()


class _Pickler(pickle.Pickler):
    """Pickles a shared object (one the parent holds too) as its index in the shared table,
    and an instance of a slotted dataclass as its class and its fields' values (`_fields`)."""

    def __init__(self, file: io.BytesIO, shared: dict[int, int]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def persistent_id(self, obj: Any) -> int | None:
        return self.shared.get(id(obj))

    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        if cls not in _READERS:
            _READERS[cls] = _reader(cls)
        read = _READERS[cls]
        if read is None:
            return NotImplemented
        return _made, (cls, read(obj))


# of each class met, how its instances' field values are read (None: pickle's own way)
_READERS: dict[type, Callable[[Any], tuple[Any, ...]] | None] = {}
_NAMES: dict[type, tuple[str, ...]] = {}  # of each such class, its fields' names


def _reader(cls: type) -> Callable[[Any], tuple[Any, ...]] | None:
    """How to read the values of the fields of an instance of `cls`, when it is a slotted
    dataclass pickled as dataclasses makes it (its fields, all of its state, in its own
    `__slots__`; no `__reduce__` or `__getstate__` of its own): read at C speed, where the
    `__getstate__` dataclasses writes asks `fields()` for each instance. Else None."""
    own: dict[str, Any] = dict(vars(cls))
    getstate = own.get("__getstate__")
    reduce_ex: object = cls.__reduce_ex__
    reduce: object = cls.__reduce__
    if (
        "__dataclass_fields__" not in own
        or getattr(getstate, "__name__", "") != "_dataclass_getstate"
        or reduce_ex is not object.__reduce_ex__
        or reduce is not object.__reduce__
        or any(vars(base).get("__slots__") for base in cls.__mro__[1:])
    ):
        return None
    names = _names(cls)
    if not names or set(names) != set(own.get("__slots__", ())):
        return None
    if len(names) == 1:
        return lambda obj: (getattr(obj, names[0]),)
    read: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*names)
    return read


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_SET = object.__setattr__  # (a frozen dataclass' own __setattr__ refuses)
_DROPPED: deque[object] = deque(maxlen=0)
_CONSUME = _DROPPED.extend  # runs an iterator to its end, keeping nothing


def _made(cls: type[Any], values: tuple[Any, ...]) -> Any:
    """An instance of `cls` (`_reader`) with its fields' `values` (frozen or not). The fields
    are set by `map`, not a loop (a judging pool's answers hold tens of thousands of them:
    findings, violations, outcomes; the parent loads them all)."""
    obj = object.__new__(cls)
    names = _names(cls)
    if len(values) != len(names):
        raise pickle.UnpicklingError(f"{cls.__name__}: {len(values)} values for {len(names)}")
    _CONSUME(map(_SET, repeat(obj), names, values))
    return obj


class _Table:
    """The shared objects (`ordered_map`), listed when an answer first refers to one."""

    __slots__ = ("_listed", "_shared")

    def __init__(self, shared: Iterable[object]) -> None:
        self._shared = shared
        self._listed: list[object] | None = None

    def listed(self) -> list[object]:
        if self._listed is None:
            self._listed = list(self._shared)
        return self._listed


class _Unpickler(pickle.Unpickler):
    """Loads an answer in this process: a shared object is this process' own. (The shared
    objects are listed when an answer is first loaded; each reference to one is looked up by
    the list itself, without a call of a Python function.)"""

    def __init__(self, file: io.BytesIO, table: _Table) -> None:
        super().__init__(file)
        # (the C unpickler calls what this attribute holds; typeshed declares it a method)
        self.persistent_load = table.listed().__getitem__  # type: ignore[method-assign]


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


class _Queue:
    """The items to do, in `order`, shared by this process and the workers it forks: how many
    have been taken is a counter in a shared file, read and raised under a lock on that file
    (a record lock: held by one process at a time)."""

    __slots__ = ("counter", "fd", "order")

    def __init__(self, order: Sequence[int]) -> None:
        self.order = order
        self.fd = _scratch()
        try:
            os.ftruncate(self.fd, 8)
            self.counter = mmap.mmap(self.fd, 8)  # shared with the processes forked later
        except BaseException:
            os.close(self.fd)
            raise

    def take(self) -> int | None:
        """The index of the next item to do; None when none is left."""
        fcntl.lockf(self.fd, fcntl.LOCK_EX)
        try:
            taken = int.from_bytes(self.counter[:8], "little")
            self.counter[:8] = (taken + 1).to_bytes(8, "little")
        finally:
            fcntl.lockf(self.fd, fcntl.LOCK_UN)
        return self.order[taken] if taken < len(self.order) else None

    def close(self) -> None:
        self.counter.close()
        os.close(self.fd)


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
    queue: _Queue,
    shared: Iterable[object],
    notices: int,
    answers: int,
) -> NoReturn:
    """A worker: take the next item to do until none is left; write each answer to the file
    `answers` and say where it is on the pipe `notices`. Ends the process."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        # the parent ends a worker with SIGTERM: whatever handler the parent had for it
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while forking
        ids = _ids(shared)
        offset = 0
        while (index := queue.take()) is not None:
            answer = _answer(func, items[index], index, ids)
            _write(answers, answer)
            _write(notices, _WHERE.pack(offset, len(answer)))  # (less than PIPE_BUF: whole)
            offset += len(answer)
        code = 0
    except OSError:  # the parent is gone or stopped reading: nothing left to do
        code = 0
    finally:
        # no exit handler, and no flush of output buffered in the parent before the fork (it
        # would be written twice)
        os._exit(code)


def _ids(shared: Iterable[object]) -> dict[int, int]:
    """Of each object of `shared`, by its id, its index in it (in a worker: the parent's objects
    have the same ids in it, which the fork copied)."""
    return {id(o): i for i, o in enumerate(shared)}


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


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
    in `shared` cross back as references to the parent's own: it is iterated only once the
    workers are started, by each worker and by this process (when it first loads an answer),
    so that what it costs is not paid before the work is shared out (a generator: each
    process iterates its own copy, in the same order). Given `here`, this process is one
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
    order = list(range(len(items)))
    if weights is not None:
        order.sort(key=lambda i: -weights[i])
    for stream in (sys.stdout, sys.stderr):  # nothing buffered to be copied into the workers
        stream.flush()
    workers: list[_Worker] = []
    queue: _Queue | None = None
    try:
        # Ctrl-C waits until every worker started is known: one that came between a fork and
        # the record of its pid would leave a worker the parent never learnt of running
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            queue = _Queue(order)
            for _ in range(workers_wanted):
                workers.append(_start(func, items, queue, shared))
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
        if not started or queue is None:
            yield from map(local, items)
            return
        mine = None if here is None else here
        yield from _in_order(workers, items, _Table(shared), queue, mine)
    finally:
        _end(workers)
        if queue is not None:
            queue.close()


class _Worker:
    """A worker process: its pid, the pipe it says where each answer is on (what is left of a
    notice read in part), the file it writes the answers to, and whether it was waited for."""

    __slots__ = ("answers", "ended", "notices", "pending", "pid")

    def __init__(self, pid: int, notices: int, answers: int) -> None:
        self.pid = pid
        self.notices = notices
        self.answers = answers
        self.pending = b""
        self.ended = False


def _start(
    func: Callable[[Any], Any], items: Sequence[Any], queue: _Queue, shared: Iterable[object]
) -> _Worker:
    """A worker forked (with SIGINT blocked: see `ordered_map`)."""
    answers = _scratch()
    try:
        notices, writer = os.pipe()
    except OSError:
        os.close(answers)
        raise
    try:
        pid = _fork()
    except OSError:
        for fd in (answers, notices, writer):
            os.close(fd)
        raise
    if pid == 0:  # the worker
        try:
            os.close(notices)
            _work(func, items, queue, shared, writer, answers)
        finally:
            os._exit(1)
    os.close(writer)
    return _Worker(pid, notices, answers)


def _end(workers: list[_Worker]) -> None:
    """Every worker ended (at once, when it is still running) and waited for."""
    for worker in workers:
        if not worker.ended:
            with contextlib.suppress(ProcessLookupError):  # (ended: not waited for yet)
                os.kill(worker.pid, signal.SIGTERM)
    for worker in workers:
        if not worker.ended:
            with contextlib.suppress(ChildProcessError):  # (waited for elsewhere)
                os.waitpid(worker.pid, 0)
            worker.ended = True
        for fd in (worker.notices, worker.answers):
            if fd >= 0:
                os.close(fd)
        worker.notices = worker.answers = -1


def _in_order(
    workers: list[_Worker],
    items: Sequence[Any],
    table: _Table,
    queue: _Queue,
    mine: Callable[[Any], Any] | None,
) -> Iterator[Any]:
    """The answers, in the items' order; an item's exception raised at its turn. With `mine`
    (how this process computes an item), this process takes items from the queue too whenever
    the answer it waits for is not there yet."""
    count = len(items)
    done: dict[int, tuple[bool, Any]] = {}
    running = {worker.notices: worker for worker in workers}
    poller = select.poll()
    for fd in running:
        poller.register(fd, select.POLLIN)
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
            index = queue.take()
            if index is not None:
                try:
                    done[index] = (True, mine(items[index]))
                except Exception as e:  # noqa: BLE001 - raised at its turn, as a worker's is
                    done[index] = (False, e)
                _gather(poller.poll(0), running, poller, done, table)
                continue
            mine = None
        if not running:
            raise PoolError("the worker processes ended before every item was done")
        _gather(poller.poll(), running, poller, done, table)


def _gather(
    ready: list[tuple[int, int]],
    running: dict[int, _Worker],
    poller: select.poll,
    done: dict[int, tuple[bool, Any]],
    table: _Table,
) -> None:
    """The answers the workers `ready` says have sent; a worker whose pipe has closed has
    ended: an error unless it exited 0."""
    for fd, _ in ready:
        worker = running.get(fd)
        if worker is None:
            continue
        data = os.read(fd, 1 << 16)
        if data:
            data = worker.pending + data
            whole = len(data) - len(data) % _WHERE.size
            worker.pending = data[whole:]
            for offset, size in _WHERE.iter_unpack(data[:whole]):
                payload = _read_at(worker.answers, offset, size)
                index, ok, value = _Unpickler(io.BytesIO(payload), table).load()
                done[index] = (ok, value)
            continue
        poller.unregister(fd)  # its end of the pipe is closed: it has ended
        del running[fd]
        _, status = os.waitpid(worker.pid, 0)
        worker.ended = True
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise PoolError(_ended(code))


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
