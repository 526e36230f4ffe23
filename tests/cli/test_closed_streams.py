"""A command started with a standard stream closed (`>&-`, `2>&-`), as a daemon or a CI step
may start it: standard output closed is an error to write the report to (exit 2, one line),
never a crash (exit 3) nor a report dropped; with `--output-file` the report is written; with
standard error closed the scan's verdict and report are whole (the YAML reader's capture of
descriptor 2 made it exit 2, and a file opened then would have held number 2)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.processes import PODGATE, privileged_pods


def _closing(fd: int) -> object:
    def close() -> None:
        os.close(fd)

    return close


def _run(args: list[str], closed: int) -> subprocess.CompletedProcess[bytes]:
    out = subprocess.DEVNULL if closed == 1 else subprocess.PIPE
    err = subprocess.DEVNULL if closed == 2 else subprocess.PIPE
    return subprocess.run(
        [*PODGATE, *args], stdout=out, stderr=err, preexec_fn=_closing(closed), check=False
    )


@pytest.fixture
def pods(tmp_path: Path) -> Path:
    return privileged_pods(tmp_path / "pods.yaml", 3)


@pytest.mark.e2e
def test_a_closed_standard_output_is_an_error_to_write_the_report_to(pods: Path) -> None:
    done = _run(["scan", str(pods), "--level", "restricted"], closed=1)
    assert (done.returncode, done.stderr) == (
        2,
        b"podgate: error: [Errno 9] standard output is closed\n",
    )


@pytest.mark.e2e
def test_with_standard_output_closed_a_report_file_is_written(pods: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["scan", str(pods), "--level", "restricted", "-o", "json", "--output-file", str(out)]
    done = _run(args, closed=1)
    assert done.returncode == 1, done.stderr
    assert json.loads(out.read_text())["summary"]["workloads"] == 3


@pytest.mark.e2e
def test_with_standard_error_closed_the_verdict_and_report_are_whole(pods: Path) -> None:
    done = _run(["scan", str(pods), "--level", "restricted", "-o", "json"], closed=2)
    assert done.returncode == 1
    assert json.loads(done.stdout)["summary"]["workloads"] == 3
