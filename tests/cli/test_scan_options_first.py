"""`podgate scan` settles the options that need the Pod Security Standards (--level, --version,
--group, --config) once its workers parse the files (with a pool) or once the files are read
(without): a bad option is still said first, alone, before any input error or note, on one
process or several."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import RunScan, count_forks

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}\n"


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A directory of two pods, one file --exclude leaves out and one that cannot be read."""
    (tmp_path / "a.yaml").write_text(POD)
    (tmp_path / "c.yaml").write_text(POD.replace("name: a", "name: c"))
    (tmp_path / "skip.yaml").write_text(POD)
    (tmp_path / "b.yaml").write_text("kind: Pod\nspec: [unclosed\n")
    return tmp_path


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--level", "bogus"], "--level: must be one of privileged, baseline, restricted"),
        (["--version", "v2"], '--version: must be "latest" or "v1.x"'),
        (["--level", "bogus", "--version", "v2"], "--level: must be one of privileged, b"),
        (["--version", "v2", "--group", "g"], '--version: must be "latest" or "v1.x"'),
        (["--group", "g", "--config", "/nonexistent"], "--group needs --user"),
        (["--config", "/nonexistent"], "/nonexistent: No such file or directory"),
    ],
)
def test_a_bad_option_is_said_alone_before_bad_input(
    run_scan: RunScan,
    monkeypatch: pytest.MonkeyPatch,
    inputs: Path,
    jobs: str,
    args: list[str],
    said: str,
) -> None:
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    forks = count_forks(monkeypatch)
    ran = run_scan(str(inputs), "--exclude", "skip.yaml", *args, "--jobs", jobs)
    assert bool(forks) is (jobs == "2")
    assert ran.exit_code == 2
    assert ran.stderr.startswith(f"podgate: error: {said}")
    assert ran.stderr.count("\n") == 1


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_with_good_options_the_note_and_the_input_error_are_said(
    run_scan: RunScan, monkeypatch: pytest.MonkeyPatch, inputs: Path, jobs: str
) -> None:
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    (inputs / "b.yaml").unlink()
    ran = run_scan(str(inputs), "--exclude", "skip.yaml", "-o", "json", "--jobs", jobs)
    assert ran.exit_code == 0
    assert ran.stderr == "podgate: note: 1 file left out by --exclude\n"
    (inputs / "b.yaml").write_text("kind: Pod\nspec: [unclosed\n")
    ran = run_scan(str(inputs), "--exclude", "skip.yaml", "--jobs", jobs)
    assert ran.exit_code == 2
    assert ran.stderr.startswith(f"podgate: error: {inputs}/b.yaml: document 0 (line 3)")


SETTLED = textwrap.dedent(
    """
    import sys
    import podgate.io.pool as pool
    from podgate.cli.main import cli

    ordered_map, seen = pool.ordered_map, []

    def spy(*args, meanwhile=None, **kwargs):
        if meanwhile is not None:
            seen.append("podgate.pss" in sys.modules)
        return ordered_map(*args, meanwhile=meanwhile, **kwargs)

    pool.ordered_map = spy
    sys.argv = ["podgate", "scan", *sys.argv[1:]]
    try:
        cli.main(standalone_mode=False)
    except SystemExit:
        pass
    print(seen, "podgate.pss" in sys.modules)
    """
)


@pytest.mark.e2e
def test_with_a_pool_the_standards_are_imported_once_the_workers_parse(inputs: Path) -> None:
    """Start-up: nothing of the Pod Security Standards is imported before the workers are
    started (the import overlaps their parsing)."""
    (inputs / "b.yaml").unlink()
    args = [str(inputs), "--level", "restricted", "-o", "json", "--output-file", "/dev/null"]
    done = subprocess.run(
        [sys.executable, "-c", SETTLED, *args, "--jobs", "2"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PODGATE_POOL_MIN": "0"},
    )
    assert done.stdout.splitlines()[-1] == "[False] True"
