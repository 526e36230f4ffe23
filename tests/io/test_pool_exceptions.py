"""Exceptions raised in a `--jobs` worker arrive in the parent as themselves: podgate's own with
their text and attributes (exit 2 stays exit 2), whatever their `__init__` takes; one that
pickles but cannot be loaded again arrives as its text instead of breaking the parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from podgate.errors import PodgateError
from podgate.io.pool import ordered_map
from podgate.io.stream import SeparatorError
from podgate.rbac.parse import Invalid
from podgate.verify import EngineMissing
from tests.conftest import as_from_a_terminal


class TwoArgs(Exception):
    """Pickles as (message,) but needs two arguments to be built: loading it fails."""

    def __init__(self, what: str, where: str) -> None:
        super().__init__(f"{what} at {where}")


_RAISED: list[PodgateError] = [
    SeparatorError("--- x: 1", 4),
    Invalid("rules[0].verbs", "must be a list"),
    EngineMissing("celpy", "install podgate[verify] to verify"),
]


@pytest.mark.parametrize("error", _RAISED, ids=lambda e: type(e).__name__)
def test_a_podgate_error_raised_in_a_worker_arrives_as_itself(error: PodgateError) -> None:
    def fail(i: int) -> int:
        if i == 1:
            raise error
        return i

    with pytest.raises(type(error)) as raised:
        list(ordered_map(fail, [0, 1, 2], 2))
    assert type(raised.value) is type(error)
    assert str(raised.value) == str(error)
    assert vars(raised.value) == vars(error)


def test_an_exception_that_pickles_but_does_not_load_arrives_as_its_text() -> None:
    def fail(i: int) -> int:
        raise TwoArgs(f"item {i}", "here")

    with pytest.raises(RuntimeError, match=r"^TwoArgs: item 0 at here$"):
        list(ordered_map(fail, [0, 1], 2))


# Ctrl-C the moment a worker has been forked, before the pool has recorded it: the parent
# still ends that worker (it used not to know its pid, and left it running, holding the pipes of
# the terminal: the flaky test_ctrl_c_ends_every_worker_and_exits_130_without_a_traceback).
INTERRUPTED_WHILE_FORKING = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from podgate.io import pool
    from podgate.io.pool import ordered_map

    fork = pool._fork

    def fork_then_ctrl_c():
        pid = fork()
        if pid:
            Path(sys.argv[1], str(pid)).write_text("")
            os.kill(os.getpid(), signal.SIGINT)
        return pid

    pool._fork = fork_then_ctrl_c

    def block(i):
        while True:
            time.sleep(1)

    try:
        list(ordered_map(block, [0, 1, 2, 3], 2))
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


@pytest.mark.e2e
def test_ctrl_c_while_a_worker_starts_ends_that_worker_too(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    with (tmp_path / "err").open("w") as err:  # not a pipe: a worker left behind holds it
        proc = subprocess.Popen(
            [sys.executable, "-c", INTERRUPTED_WHILE_FORKING, str(pids)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            preexec_fn=as_from_a_terminal,
        )
        try:
            code = proc.wait(timeout=60)
        finally:
            proc.kill()
            forked = [int(p.name) for p in pids.iterdir()]
            left = [pid for pid in forked if Path("/proc", str(pid)).exists() and not _zombie(pid)]
            for pid in left:
                os.kill(pid, signal.SIGKILL)
    assert code == 130, (tmp_path / "err").read_text()
    assert forked
    assert left == []


def _zombie(pid: int) -> bool:
    try:
        return Path("/proc", str(pid), "stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return False
