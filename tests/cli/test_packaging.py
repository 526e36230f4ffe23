"""`pip install podgate` works: the sdist and the wheel hold every file of the package, and the
wheel, installed (not editable) into a clean venv and run from a directory outside the checkout,
runs every command. A packaging gap (a data file left out of the wheel) fails here, not on a
user's machine.

The build runs once per test session (a lock and a marker file share it between xdist workers),
with the build backend from pip's cache or the configured registry and nothing else."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.packaging]

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "podgate"
EXAMPLES = ROOT / "examples"


@dataclass(frozen=True)
class Installed:
    wheel: Path
    sdist: Path
    venv: Path
    workdir: Path  # outside the checkout: the source tree is not importable from here

    def run(self, *args: str, tool: str = "podgate") -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env.pop("PODGATE_DEBUG", None)
        return subprocess.run(
            [str(self.venv / "bin" / tool), *args],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _build_and_install(where: Path) -> None:
    dist = where / "dist"
    # no --sdist/--wheel: build makes the sdist, then the wheel from the unpacked sdist, so a
    # file missing from the sdist is missing from the wheel too
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = dist.glob("podgate-*.whl")
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (where / "ready").write_text("ok")


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    # under xdist the parent of each worker's basetemp belongs to this run and is shared
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "packaging"
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (shared / "ready").exists():
                _build_and_install(shared)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    workdir = tmp_path_factory.mktemp("outside-the-checkout")
    (wheel,) = (shared / "dist").glob("podgate-*.whl")
    (sdist,) = (shared / "dist").glob("podgate-*.tar.gz")
    return Installed(wheel, sdist, shared / "venv", workdir)


def _package_files() -> set[str]:
    return {
        p.relative_to(PACKAGE.parent).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_wheel_holds_every_file_of_the_package(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    missing = sorted(_package_files() - names)
    assert missing == []
    assert "podgate/data/threats.yaml" in names  # the file a scan needs (it was left out once)


def test_sdist_holds_every_file_of_the_package(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = sorted(f"src/{f}" for f in _package_files() if f"src/{f}" not in names)
    assert missing == []


def test_installed_wheel_is_imported_from_the_venv_not_the_checkout(installed: Installed) -> None:
    proc = installed.run("-c", "import podgate; print(podgate.__file__)", tool="python")
    assert proc.returncode == 0, proc.stderr
    location = Path(proc.stdout.strip()).resolve()
    assert location.is_relative_to(installed.venv.resolve())
    assert not location.is_relative_to(ROOT)


def test_installed_scan_of_the_examples_reports_findings_with_their_threat_mapping(
    installed: Installed,
) -> None:
    cluster = [str(EXAMPLES / d) for d in ("cluster", "policies", "rbac")]
    proc = installed.run("scan", *cluster, "--quiet", "-o", "json")
    assert proc.returncode == 1, proc.stderr  # the example holds findings
    assert proc.stderr == ""
    report = json.loads(proc.stdout)
    text = json.dumps(report)
    assert "MITRE" in text or "T1611" in text  # read from podgate/data/threats.yaml
    html = installed.workdir / "report.html"
    proc = installed.run("scan", *cluster, "--quiet", "-o", "html", "--output-file", str(html))
    assert proc.returncode == 1, proc.stderr
    assert "<html" in html.read_text("utf-8").lower()  # the templates are package data


def test_installed_admit_uses_the_builtin_library(installed: Installed) -> None:
    web = installed.run(
        "admit", str(EXAMPLES / "pods" / "web.yaml"), "--policy", "builtin:baseline"
    )
    assert web.returncode == 0, web.stderr
    assert "ALLOWED" in web.stdout
    debug = installed.run(
        "admit", str(EXAMPLES / "pods" / "debug.yaml"), "--policy", "builtin:restricted"
    )
    assert debug.returncode == 1, debug.stderr
    assert "DENIED" in debug.stdout


def test_installed_pss_lint_and_advise_run(installed: Installed) -> None:
    pss = installed.run("pss", str(EXAMPLES / "pods" / "debug.yaml"), "--level", "baseline")
    assert pss.returncode == 1, pss.stderr
    assert "privileged" in pss.stdout
    lint = installed.run("lint", str(EXAMPLES / "policies"))
    assert lint.returncode == 0, lint.stderr
    advise = installed.run("advise", str(EXAMPLES / "cluster"))
    assert advise.returncode == 0, advise.stderr
    assert "kind: PodSecurityPolicy" in advise.stdout


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("podgate", ("serve", "--help"), "--tls-cert"),
        ("podgate", ("certs", "--help"), "--self-signed"),
        ("podgate", ("--version",), "podgate"),
        ("kubectl-podgate", ("scan", "--help"), "kubectl podgate scan"),
    ],
)
def test_installed_entry_points_answer(
    installed: Installed, tool: str, args: tuple[str, ...], expected: str
) -> None:
    proc = installed.run(*args, tool=tool)
    assert proc.returncode == 0, proc.stderr
    assert expected in proc.stdout
