"""`podgate scan --jobs N`: files parsed and workloads judged on N processes give, byte for
byte, what one process gives, in every output format; files a worker could not read are the
same one error and exit code 2. The pool is forced on these small inputs (PODGATE_POOL_MIN=0), and
each test checks that worker processes really ran."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from podgate.io.loader import load_documents
from tests.conftest import Ran, RunScan, count_forks

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CORPUS = ROOT / "tests" / "corpus"
FORMATS = ["text", "json", "sarif", "junit", "html", "policyreport"]


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pool forced on, whatever the input's size; counts the worker processes started."""
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    return count_forks(monkeypatch)


# when the report was made: the one thing two runs may differ in
_NOW = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)|(?<=seconds: )\d{9,}")


def _both(run_scan: RunScan, started: list[int], *args: str) -> tuple[Ran, Ran]:
    """The scan on one process, then on two, the time each report was made left out."""
    one = run_scan(*args, "--jobs", "1")
    assert started == [], "--jobs 1 started a process"
    many = run_scan(*args, "--jobs", "2")
    assert started, "--jobs 2 started no process"
    started.clear()
    one, many = (r._replace(stdout=_NOW.sub("(now)", r.stdout)) for r in (one, many))
    return one, many


MANIFESTS = [
    str(EXAMPLES / "cluster"),
    str(EXAMPLES / "policies"),
    str(EXAMPLES / "rbac"),
    str(CORPUS / "microservices-demo"),
    str(CORPUS / "kube-prometheus"),
    str(CORPUS / "rook"),
    "--exceptions",
    str(EXAMPLES / "exceptions.yaml"),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_directory_of_files_on_two_processes_is_byte_identical(
    run_scan: RunScan, forks: list[int], fmt: str
) -> None:
    one, many = _both(run_scan, forks, *MANIFESTS, "-o", fmt, "-q")
    assert one.exit_code == 1
    assert many == one


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_snapshot_on_two_processes_is_byte_identical(
    run_scan: RunScan, forks: list[int], tmp_path: Path, fmt: str
) -> None:
    # one JSON List (a `kubectl get -o json` snapshot) of the examples and a corpus dump
    snapshot = tmp_path / "snapshot.json"
    items = [d.obj for d in load_documents([str(EXAMPLES / n) for n in ("cluster", "rbac")])]
    snapshot.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    dump = str(CORPUS / "cluster-dump-api" / "pods-raw-api.json")
    one, many = _both(
        run_scan,
        forks,
        str(snapshot),
        dump,
        "--policy",
        str(EXAMPLES / "policies"),
        "-o",
        fmt,
        "-q",
    )
    assert one.exit_code == 1
    assert many == one


def _deployment(name: str, run_as_user: str = "1000") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: app}}\n"
        "spec:\n  template:\n    spec:\n      containers:\n      - name: c\n"
        f"        securityContext: {{runAsUser: {run_as_user}}}\n"
    )


def test_files_workers_could_not_read_are_listed_as_on_one_process(
    run_scan: RunScan, forks: list[int], tmp_path: Path
) -> None:
    for i in range(6):
        (tmp_path / f"f{i}.yaml").write_text(_deployment(f"d{i}"))
    (tmp_path / "f2.yaml").write_text("kind: Pod\nspec: [unclosed\n")
    (tmp_path / "f4.yaml").write_text("kind: Deployment\nmetadata: {name: x}\nspec: 1\n")
    one, many = _both(run_scan, forks, str(tmp_path))
    assert one.exit_code == 2
    assert one.stderr.startswith("podgate: error: 2 inputs could not be read")
    assert "f2.yaml" in one.stderr and "f4.yaml" in one.stderr
    assert many == one


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_is_auto_or_a_number_of_processes(run_scan: RunScan, jobs: str) -> None:
    ran = run_scan(str(EXAMPLES / "cluster"), "--jobs", jobs)
    assert ran.exit_code == 2
    assert f"{jobs!r}: expected auto or a number of processes (1 or more)" in ran.stderr


def test_files_given_one_by_one_are_parsed_on_the_pool_too(
    run_scan: RunScan, forks: list[int], tmp_path: Path
) -> None:
    names = []
    for i in range(4):
        (tmp_path / f"f{i}.yaml").write_text(_deployment(f"d{i}"))
        names.append(str(tmp_path / f"f{i}.yaml"))
    one = run_scan(*names, "-o", "json", "--jobs", "1")
    many = run_scan(*names, "-o", "json", "--jobs", "2")
    # one worker to parse the files, one to judge the workloads: this process is the other
    assert len(forks) == 2
    assert (many.exit_code, _NOW.sub("", many.stdout)) == (one.exit_code, _NOW.sub("", one.stdout))


@pytest.mark.e2e
@pytest.mark.parametrize("pool", [False, True], ids=["one process", "a pool"])
def test_a_scan_imports_neither_multiprocessing_nor_tempfile(pool: bool) -> None:
    """Start-up: an input too small for a pool (whatever --jobs: auto by default) is scanned in
    this process; and a pool forks its workers itself. Neither pays for importing
    multiprocessing (nor tempfile, which importlib.resources would bring)."""
    code = (
        "import sys\n"
        "import podgate.io.pool as pool\n"
        "from podgate.cli.main import cli\n"
        "fork, forked = pool._fork, []\n"
        "def counted():\n"
        "    pid = fork()\n"
        "    forked.append(pid)\n"
        "    return pid\n"
        "pool._fork = counted\n"
        f"sys.argv = ['podgate', 'scan', {str(EXAMPLES / 'cluster')!r}, '-o', 'json', '--quiet',"
        " '--output-file', '/dev/null', '--jobs', '2']\n"
        # the group itself, as in a caller's process: it returns (SystemExit) rather than ending
        # the process once the report is written (cli/common.py::finish)
        "try:\n    cli.main(standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "print(bool(forked), sorted(m for m in ('multiprocessing', 'tempfile') if m in sys.modules))\n"
    )
    env = {**os.environ, "PODGATE_POOL_MIN": "0" if pool else ""}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.splitlines()[-1] == f"{pool} []"


def test_the_scan_options_offer_the_scanners_severities_and_identities() -> None:
    """cli/scan.py writes them out, to define its options without importing the scanner."""
    from podgate.cli.scan import CONTROLLER_IDENTITIES, SEVERITY_CHOICES
    from podgate.scan import ControllerIdentity
    from podgate.scan.controls import SEVERITIES

    assert (*reversed(SEVERITIES), "none") == SEVERITY_CHOICES
    assert tuple(c.value for c in ControllerIdentity) == CONTROLLER_IDENTITIES
    assert CONTROLLER_IDENTITIES[0] == ControllerIdentity.PER_CONTROLLER


OVERLAPPED = textwrap.dedent(
    """
    import sys
    import podgate.io.pool as pool
    from podgate.cli.main import cli

    ordered_map, fork, seen, forked = pool.ordered_map, pool._fork, [], []

    def counted():
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    def spy(*args, meanwhile=None, **kwargs):
        def hook():
            seen.append(("podgate.scan.scan" in sys.modules, len(forked)))
            meanwhile()
            seen.append(("podgate.scan.scan" in sys.modules, "podgate.report.json_report" in sys.modules))
        return ordered_map(*args, meanwhile=hook if meanwhile else None, **kwargs)

    pool.ordered_map, pool._fork = spy, counted
    sys.argv = ["podgate", "scan", *sys.argv[1:]]
    try:
        cli.main(standalone_mode=False)  # returns, as in a caller's process (no `finish` there)
    except SystemExit:
        pass
    print(seen)
    """
)


@pytest.mark.e2e
def test_with_a_pool_the_scanner_is_imported_while_the_workers_parse() -> None:
    """Start-up overlapped: the scanner and the report are not imported before the files are
    read; with a pool, this process imports them once the worker has started, before it parses
    its own share."""
    args = [str(CORPUS / "kube-prometheus"), "-o", "json", "--quiet", "--output-file", "/dev/null"]
    done = subprocess.run(
        [sys.executable, "-c", OVERLAPPED, *args, "--jobs", "2"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PODGATE_POOL_MIN": "0"},
    )
    # the scan's judging pool calls no hook
    assert done.stdout.splitlines()[-1] == "[(False, 1), (True, True)]"


@pytest.mark.e2e
def test_a_json_scan_of_manifests_read_the_fast_way_imports_no_pyyaml(tmp_path: Path) -> None:
    """Start-up: the catalog is read through ryml (io/catalog.py), and a JSON report asks no
    field's location (io/locate.py imports PyYAML), so PyYAML is imported only for a piece that
    goes the libyaml way; a text report, which locates its workloads, does import it."""
    pods = tmp_path / "pods.yaml"
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{}\nspec:\n  containers:\n  - name: c\n"
    pods.write_text("---\n".join(pod.format(i) for i in range(3)))
    code = (
        "import sys\n"
        "from podgate.cli.main import cli\n"
        "try:\n    cli.main(standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "print('yaml' in sys.modules)\n"
    )
    for output, imported in (("json", "False"), ("text", "True")):
        args = ["scan", str(pods), "-o", output, "--quiet", "--output-file", "/dev/null"]
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        )
        assert done.stdout.splitlines()[-1] == imported, output
