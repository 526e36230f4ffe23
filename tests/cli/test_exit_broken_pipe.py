"""When standard output's reader goes away before the report is written whole (`podgate scan
... | head`), the exit code cannot be "nothing to report" (0): under `set -o pipefail` that
passed a scan with findings. It is 141, as a shell reports a process killed by SIGPIPE
(kubectl's own exit in that pipe), with nothing on standard error."""

from __future__ import annotations

import errno
import io
import subprocess
import sys
from pathlib import Path

import click
import pytest

from podgate.cli import common
from podgate.cli.common import EXIT_BROKEN_PIPE, handles_errors, run
from tests.cli.processes import PODGATE, privileged_pods


def _closed_early(args: list[str]) -> tuple[int, bytes]:
    """Run podgate with its standard output read for 10 bytes, then closed."""
    with subprocess.Popen(
        [*PODGATE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.read(10)
        process.stdout.close()
        err = process.stderr.read()
        return process.wait(timeout=300), err


@pytest.mark.e2e
def test_a_scan_report_its_reader_stopped_reading_is_no_pass(tmp_path: Path) -> None:
    # a report of several MB: past what a pipe holds (64 KiB, up to 1 MiB where it is raised)
    pods = privileged_pods(tmp_path / "pods.yaml", 300)
    args = ["scan", str(pods), "--level", "restricted", "-o", "json", "--jobs", "1"]
    assert _closed_early(args) == (141, b"")


def _command(error: BaseException) -> click.Command:
    @click.command()
    @handles_errors
    def command() -> None:
        raise error

    return command


@pytest.mark.parametrize(
    "error",
    [BrokenPipeError(errno.EPIPE, "Broken pipe"), OSError(errno.EPIPE, "Broken pipe")],
    ids=["BrokenPipeError", "OSError-EPIPE"],
)
def test_every_command_exits_141_on_a_broken_pipe(
    monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    """Whatever the command (pss, admit ... write their output in one piece), however the
    error comes (raised in the command, or out of it). (`run` marks the process as podgate's
    own: a list of this test's; standard output a StringIO, which no descriptor is under.)"""
    monkeypatch.setattr(common, "_OWN_PROCESS", [False])
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    with pytest.raises(SystemExit) as caught:
        run(click.Group(commands={"c": _command(error)}), ["c"], "podgate")
    assert caught.value.code == EXIT_BROKEN_PIPE == 141
