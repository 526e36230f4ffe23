"""Every way out of the command line is a documented exit code: 1 means findings or a denial
and nothing else. Uncaught errors are one line and exit 3 (the traceback only with
PODGATE_DEBUG=1), usage errors 2, Ctrl-C 130. Each case runs a real process through the same
`run` that `podgate` and `kubectl-podgate` use, with a command that fails the way a bug would."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.e2e

PROGRAM = textwrap.dedent(
    """
    import sys
    import click
    from podgate.advisor import AdvisorError
    from podgate.cli.common import handles_errors, run

    @click.group()
    def cli() -> None:
        pass

    @cli.command()
    @handles_errors
    def crash() -> None:
        {{}}["missing"]

    @cli.command()
    @handles_errors
    def selfcheck() -> None:
        raise AdvisorError("advisor bug: a generated policy does not admit an observed pod")

    @cli.command()
    def interrupt() -> None:
        raise KeyboardInterrupt

    @cli.command()
    @click.argument("f", type=click.File())
    def unreadable(f: object) -> None:
        pass

    @cli.command()
    def findings() -> None:
        raise SystemExit(1)

    run(cli, sys.argv[1:], "podgate")
    """
)


def podgate(*args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PODGATE_DEBUG"}
    if debug:
        env["PODGATE_DEBUG"] = "1"
    return subprocess.run(
        [sys.executable, "-c", PROGRAM.replace("{{}}", "{}"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_an_uncaught_error_exits_3_with_one_line_and_no_traceback() -> None:
    proc = podgate("crash")
    assert proc.returncode == 3
    assert proc.stderr == (
        "podgate: internal error: KeyError: 'missing' "
        "(a bug in podgate; PODGATE_DEBUG=1 shows the traceback)\n"
    )


def test_podgate_debug_adds_the_traceback() -> None:
    proc = podgate("crash", debug=True)
    assert proc.returncode == 3
    assert proc.stderr.startswith("Traceback (most recent call last):")
    assert proc.stderr.endswith(
        "podgate: internal error: KeyError: 'missing' "
        "(a bug in podgate; PODGATE_DEBUG=1 shows the traceback)\n"
    )


def test_an_advisor_self_check_failure_is_an_internal_error_not_bad_input() -> None:
    proc = podgate("selfcheck")
    assert proc.returncode == 3
    assert proc.stderr.startswith("podgate: internal error: AdvisorError: advisor bug: ")
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("interrupt",), 130),
        (("unreadable", "/nonexistent/file"), 2),  # click's own file error exits 1 by default
        (("no-such-command",), 2),
        (("findings",), 1),
    ],
)
def test_other_ways_out_have_their_documented_codes(args: tuple[str, ...], code: int) -> None:
    proc = podgate(*args)
    assert proc.returncode == code
    assert "Traceback" not in proc.stderr
