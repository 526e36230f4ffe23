"""How `podgate scan` ends once its report is written: in podgate's own process it ends there
(cli/common.py::finish), its standard streams flushed first, so nothing written is lost and the
exit code is the scan's; in a caller's process (click's runner) it raises SystemExit as usual."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.processes import PODGATE, privileged_pods
from tests.conftest import RunScan


@pytest.mark.e2e
def test_the_whole_report_reaches_a_pipe_with_the_scans_exit_code(tmp_path: Path) -> None:
    """A report far larger than a pipe's buffer, on standard output, and a line on standard
    error, arrive whole before the process ends; exit 1 for the findings."""
    pods = privileged_pods(tmp_path / "pods.yaml", 300, "shop")
    done = subprocess.run(
        [*PODGATE, "scan", str(pods), "--level", "restricted", "-o", "json", "--jobs", "1"],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert len(done.stdout) > 1 << 16
    report = json.loads(done.stdout)
    assert report["summary"]["workloads"] == 300
    out = tmp_path / "out.txt"
    text = subprocess.run(
        [*PODGATE, "scan", str(pods), "--level", "baseline", "--output-file", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert text.returncode == 1
    assert text.stderr.endswith(f"podgate: wrote text report to {out}\n")
    assert "web-299" in out.read_text()


def test_in_a_callers_process_the_scan_returns_its_exit_code(
    run_scan: RunScan, tmp_path: Path
) -> None:
    """Through click's runner (this process) the scan raises SystemExit: the caller goes on."""
    pods = privileged_pods(tmp_path / "pods.yaml", 2, "shop")
    ran = run_scan(str(pods), "--level", "restricted", "-o", "json")
    assert ran.exit_code == 1
    assert json.loads(ran.stdout)["summary"]["workloads"] == 2
