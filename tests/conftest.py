"""Shared fixtures: where ../shared is (a skip with the reason when it is absent), a working
directory holding a test's input files, `podgate scan` run in this process, and the fake API
server (`pki`, `api`; a module may override `api` to serve its own objects)."""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner
from hypothesis import settings

from podgate.cli.main import cli
from tests.kube_fake import FakeApi, Pki, make_pki, running

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the project root; tests needing it skip, saying why, without it."""
    if not SHARED.is_dir():
        pytest.skip(f"needs ../shared (not found at {SHARED}): CI has it, a user's clone does not")
    return SHARED


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA (like a kubeadm cluster's) and the API server's certificate for 127.0.0.1."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def api(pki: Pki) -> Iterator[FakeApi]:
    """The fake API server, started with no objects, stopped after the test."""
    with running(pki) as fake:
        yield fake


@pytest.fixture
def workdir(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """tmp_path made the current directory, holding the files of the test's `workdir` mark
    ({relative path: text}), so inputs are named as a user in a checkout names them."""
    mark = request.node.get_closest_marker("workdir")
    files: dict[str, str] = mark.args[0] if mark else {}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


class Ran(NamedTuple):
    """How a command ended and what it wrote."""

    exit_code: int
    stdout: str
    stderr: str


RunScan = Callable[..., Ran]


@pytest.fixture
def run_scan() -> RunScan:
    """`podgate scan ARGS` run in this process by click's runner. An exception podgate does not
    turn into an exit code is raised into the test (a crash never passes as exit code 1)."""

    def run(*args: str, stdin: str | None = None) -> Ran:
        result = CliRunner().invoke(cli, ["scan", *args], input=stdin, catch_exceptions=False)
        return Ran(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def collector_on() -> Iterator[None]:
    """Python's cyclic collector on during the test, as it was after."""
    enabled = gc.isenabled()
    gc.enable()
    yield
    if not enabled:
        gc.disable()


# CI runs the property tests with a fixed seed, so a submission's result does not depend on
# luck; locally each run explores new examples.
if os.environ.get("CI"):
    settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    settings.load_profile("ci")


def as_from_a_terminal() -> None:
    """`preexec_fn` for a child that a test interrupts as Ctrl-C in a terminal would: SIGINT at
    its default, not blocked. A shell without job control starts background commands with
    SIGINT ignored (`make test &`), and every process below inherits that; such a child would
    never see the test's Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def count_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the worker processes `podgate.io.pool` forks from now on."""
    from podgate.io import pool

    pids: list[int] = []
    fork = pool._fork

    def counted() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(pool, "_fork", counted)
    return pids
