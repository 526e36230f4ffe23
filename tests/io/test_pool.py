"""The process pool (`podgate.io.pool`): answers in the items' order whatever order the workers
finish in, an item's exception raised at its turn (the first in order wins, as on one core), the
parent's own objects handed back for shared ones, a dead worker an error and never a hang, and
Ctrl-C ending every worker without a traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from podgate.errors import LoadError, PoolError
from podgate.io import pool
from podgate.io.pool import ordered_map, use_pool
from tests.conftest import as_from_a_terminal, count_forks


def _slow_first(i: int) -> int:
    """Item 0 finishes last: its worker is still busy while the other does every other item."""
    if i == 0:
        time.sleep(0.2)
    return i * i


def test_answers_come_in_the_order_of_the_items_not_of_the_workers() -> None:
    assert list(ordered_map(_slow_first, list(range(12)), 2)) == [i * i for i in range(12)]


def test_heaviest_first_scheduling_keeps_the_items_order() -> None:
    items = list(range(9))
    assert list(ordered_map(str, items, 3, weights=items)) == [str(i) for i in items]


def test_the_first_error_in_the_items_order_is_raised_as_on_one_core() -> None:
    def judge(i: int) -> int:
        if i == 5:
            raise LoadError("the later error", file="b.yaml")
        if i == 3:
            time.sleep(0.2)  # finishes after item 5 has failed
            raise LoadError("the earlier error", file="a.yaml", document=2, line=7)
        return i

    got = ordered_map(judge, list(range(8)), 2)
    assert [next(got) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(LoadError) as raised:
        next(got)
    assert str(raised.value) == "a.yaml: document 2 (line 7): the earlier error"
    assert (raised.value.file, raised.value.document, raised.value.line) == ("a.yaml", 2, 7)


def test_an_exception_that_does_not_pickle_arrives_as_its_text() -> None:
    class Local(Exception):  # defined in a function: pickle cannot find it
        pass

    def fail(i: int) -> int:
        raise Local(f"item {i}")

    with pytest.raises(RuntimeError, match=r"^Local: item 0$"):
        list(ordered_map(fail, [0, 1], 2))


def test_shared_objects_come_back_as_the_parents_own() -> None:
    objs = [{"name": f"o{i}", "spec": {"containers": [{"name": "c"}]}} for i in range(6)]
    got = list(ordered_map(lambda o: {"obj": o, "new": dict(o)}, objs, 2, shared=objs))
    assert all(g["obj"] is o for g, o in zip(got, objs, strict=True))
    assert all(g["new"] == o and g["new"] is not o for g, o in zip(got, objs, strict=True))


def test_shared_objects_are_listed_once_the_workers_have_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Listing the shared objects (a scan's workloads and their parts: 200,000 objects on a
    20,000-pod snapshot) is not done before the work is shared out: each process lists them
    once the workers are forked, a generator each on its own copy, and they still come back
    as the parent's own."""
    objs = [{"name": f"o{i}", "spec": {"containers": [{"name": "c"}]}} for i in range(6)]
    pids = count_forks(monkeypatch)
    listed: list[int] = []  # in this process: how many workers were started then

    def shared() -> Iterator[object]:
        listed.append(len(pids))
        yield from objs

    got = list(ordered_map(lambda o: {"obj": o}, objs, 2, shared=shared()))
    assert all(g["obj"] is o for g, o in zip(got, objs, strict=True))
    assert len(pids) == 2
    assert listed == [2]


def test_a_worker_killed_midway_is_an_error_not_a_hang() -> None:
    def die_on_3(i: int) -> int:
        if i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    with pytest.raises(PoolError, match="a worker process was killed by SIGKILL before it"):
        list(ordered_map(die_on_3, list(range(6)), 2))


def _waited_for(pid: int) -> bool:
    """Whether `pid` is no child of this process left to wait for (it ended and was reaped)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_a_consumer_that_stops_early_leaves_no_worker_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pids = count_forks(monkeypatch)
    got = ordered_map(_slow_first, list(range(50)), 2)
    next(got)
    got.close()
    assert len(pids) == 2
    assert all(_waited_for(pid) for pid in pids)


def test_the_pool_is_used_only_with_jobs_and_work_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PODGATE_POOL_MIN", raising=False)
    assert use_pool(2, 10, 5000, 1000)
    assert not use_pool(1, 10, 5000, 1000)  # --jobs 1
    assert not use_pool(2, 1, 5000, 1000)  # one file, one workload
    assert not use_pool(2, 10, 999, 1000)  # below the threshold
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    assert use_pool(2, 10, 1, 1000)


INTERRUPTED = textwrap.dedent(
    """
    import os, sys, time, click
    from pathlib import Path
    from podgate.cli.common import handles_errors, run
    from podgate.io.pool import ordered_map

    def block(i):
        Path(sys.argv[1], str(os.getpid())).write_text("")
        while True:
            time.sleep(1)

    @click.command()
    @handles_errors
    def scan():
        list(ordered_map(block, [0, 1, 2, 3], 2))

    run(scan, sys.argv[2:], "podgate")
    """
)


@pytest.mark.e2e
def test_ctrl_c_ends_every_worker_and_exits_130_without_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell gives a command
        preexec_fn=as_from_a_terminal,
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.iterdir())) < 2:  # both workers are busy
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: every process
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.strip() == "podgate: interrupted"  # (click puts a newline after the ^C)
    for worker in tmp_path.iterdir():
        assert not Path("/proc", worker.name).exists(), f"worker {worker.name} is still running"


def test_when_no_process_can_be_started_everything_runs_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(pool, "_fork", refuse)
    assert list(ordered_map(_slow_first, list(range(5)), 2)) == [i * i for i in range(5)]


BUFFERED = textwrap.dedent(
    """
    import sys
    from podgate.io.pool import ordered_map

    sys.stdout.write("before\\n")  # buffered: stdout is a pipe
    assert list(ordered_map(abs, [-1, -2, -3, -4], 2)) == [1, 2, 3, 4]
    sys.stdout.write("after\\n")
    """
)


@pytest.mark.e2e
def test_output_buffered_before_the_pool_is_written_once() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", BUFFERED], capture_output=True, text=True, timeout=60, check=False
    )
    assert (ran.returncode, ran.stderr) == (0, "")
    assert ran.stdout == "before\nafter\n"


def _whose(i: int) -> tuple[str, int]:
    time.sleep(0.02)
    return ("worker", i)


def test_this_process_computes_items_too_and_the_answers_keep_the_items_order() -> None:
    def here(i: int) -> tuple[str, int]:
        time.sleep(0.02)
        return ("here", i)

    got = list(ordered_map(_whose, list(range(20)), 2, here=here))
    assert [i for _, i in got] == list(range(20))
    assert {who for who, _ in got} == {"worker", "here"}  # one worker forked, and this process


def test_with_this_process_computing_one_job_forks_no_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pids = count_forks(monkeypatch)
    assert list(ordered_map(_whose, [1, 2], 1, here=lambda i: ("here", i))) == [
        ("here", 1),
        ("here", 2),
    ]
    assert pids == []


def test_a_worker_goes_on_while_this_process_is_busy_with_an_item(tmp_path: Path) -> None:
    """Answers larger than a pipe holds: a worker writes them to its file, so it does every
    other item while this process is still on its one (with answers sent through the pipe
    itself, the worker would wait on this process, which waits on the worker: a hang)."""
    big = 2 * 1024 * 1024

    def work(i: int) -> bytes:
        (tmp_path / str(i)).write_text("")
        return bytes([i]) * big

    def here(i: int) -> bytes:
        deadline = time.monotonic() + 30
        while len(list(tmp_path.iterdir())) < 5:
            assert time.monotonic() < deadline, "the worker did not go on"
            time.sleep(0.01)
        return bytes([i]) * big

    got = list(ordered_map(work, list(range(6)), 2, here=here))
    assert got == [bytes([i]) * big for i in range(6)]
    assert len(list(tmp_path.iterdir())) == 5  # this process did one item, the worker the rest


def test_an_error_in_this_processs_own_item_is_raised_at_its_turn() -> None:
    def here(i: int) -> tuple[str, int]:
        raise LoadError(f"item {i}", file="a.yaml")

    yielded: list[int] = []

    def consume() -> None:
        for _, i in ordered_map(_whose, list(range(10)), 2, here=here):
            yielded.append(i)

    with pytest.raises(LoadError) as raised:
        consume()
    failed = int(str(raised.value).rsplit(" ", 1)[1])
    assert yielded == list(range(failed))


def test_meanwhile_runs_once_in_this_process_while_the_workers_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pids = count_forks(monkeypatch)
    calls: list[tuple[int, int]] = []

    def meanwhile() -> None:
        calls.append((os.getpid(), len(pids)))

    got = list(ordered_map(_whose, list(range(4)), 2, here=_whose, meanwhile=meanwhile))
    assert got == [("worker", i) for i in range(4)]
    assert calls == [(os.getpid(), 1)]
    assert all(_waited_for(pid) for pid in pids)


TERM_HANDLED = textwrap.dedent(
    """
    import signal, time
    from podgate.io.pool import ordered_map

    def block(i):
        while True:
            time.sleep(1)

    def give_up(signum, frame):
        raise RuntimeError("given up")

    signal.signal(signal.SIGTERM, lambda signum, frame: None)  # as a server might have it
    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(1)
    try:
        list(ordered_map(block, [0, 1], 2))
    except RuntimeError:
        print("ended")
    """
)


@pytest.mark.e2e
def test_workers_end_when_this_process_handles_sigterm_itself() -> None:
    """The workers are ended with SIGTERM: a handler this process had for it is not theirs
    (inherited, it would keep a blocked worker running, and this process waiting for it)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", TERM_HANDLED],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its workers in its process group: none outlives the test
    )
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert (proc.returncode, out, err) == (0, "ended\n", "")
