"""What every subcommand shares: exit codes, input options, JSON output, error reporting."""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
import orjson

from podgate.errors import InternalError, PodgateError
from podgate.k8s.gotext import printable

if TYPE_CHECKING:
    from podgate.io.loader import ParseEach
    from podgate.k8s.source import Document

EXIT_OK = 0
EXIT_VIOLATION = 1  # findings, violations, a denial: never anything else
EXIT_BAD_INPUT = 2  # input, arguments or an option podgate cannot use
EXIT_INTERNAL = 3  # a bug in podgate: one line on stderr (the traceback with PODGATE_DEBUG=1)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
EXIT_BROKEN_PIPE = 141  # standard output's reader went away first, as shells report SIGPIPE
DEBUG_ENV = "PODGATE_DEBUG"

F = TypeVar("F", bound=Callable[..., Any])


MAX_BYTES = 64 * 1024 * 1024
# `scan` decodes a JSON snapshot to what it reads (io/snapshot.py), so its memory does not grow
# with what it throws away: its cap for a JSON file admits a 100,000-pod snapshot (about
# 760 MB). YAML costs about ten times its size in memory, and a `--live` response is no
# snapshot: those keep MAX_BYTES unless --max-bytes is given.
SCAN_MAX_BYTES = 1024 * 1024 * 1024


def max_bytes_option(func: F, default: int = MAX_BYTES) -> F:
    """--max-bytes: the size cap per input file."""
    return click.option(
        "--max-bytes",
        type=click.IntRange(min=1),
        default=default,
        show_default=True,
        help="Refuse any input file larger than this many bytes.",
    )(func)


def exclude_option(func: F) -> F:
    """--exclude GLOB: files under input directories to leave out on purpose."""
    return click.option(
        "--exclude",
        "exclude",
        multiple=True,
        metavar="GLOB",
        help="Leave out files found in input directories whose path (relative to the "
        "directory), name or parent directory matches GLOB. Repeatable.",
    )(func)


def read_inputs(
    paths: Sequence[str],
    *,
    max_bytes: int,
    exclude: Sequence[str],
    command: str,
    notes: list[str] | None = None,
    quiet: bool = False,
    parse_each: ParseEach | None = None,
    trim: bool = False,
    max_yaml_bytes: int | None = None,
    defaults: bool | None = None,
    jobs: int = 1,
) -> list[Document]:
    """Every object in the inputs; an input with no object at all is bad input. How many files
    --exclude left out is said on stderr (unless quiet) and added to `notes`. `parse_each`,
    `trim`, `max_yaml_bytes`, `defaults`, `jobs`: see `load_documents`."""
    from podgate.io.loader import load_documents

    said: list[str] = []
    docs = load_documents(
        paths,
        max_bytes=max_bytes,
        require_objects=True,
        exclude=exclude,
        notes=said,
        command=command,
        parse_each=parse_each,
        trim=trim,
        max_yaml_bytes=max_yaml_bytes,
        defaults=defaults,
        jobs=jobs,
    )
    if not quiet:
        for message in said:
            say(f"podgate: note: {message}")
    if notes is not None:
        notes.extend(said)
    return docs


def _jobs(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """`auto` (the cores this process may use) or a number of processes, at least 1."""
    if value == "auto":
        from podgate.io.pool import cores  # (multiprocessing: only when it may be used)

        return cores()
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(f"{value!r}: expected auto or a number of processes (1 or more)")
    return int(value)


def jobs_option(func: F) -> F:
    """--jobs: how many processes parse and judge (auto, the default: one per core; this
    process is one of them). Measured on 2 cores (benchmarks/bench_jobs.py): past the
    thresholds in io/parallel.py a second process shortens the scan when a core is free."""
    return click.option(
        "--jobs",
        "-j",
        "jobs",
        default="auto",
        show_default=True,
        metavar="N",
        callback=_jobs,
        help="Processes to parse input files and judge workloads with: N (1: no other "
        "process) or auto (one per core). Other processes are started only for inputs large "
        "enough (4 MiB of files; 1,000 objects to judge); the output is the same whatever N.",
    )(func)


def no_defaults_option(func: F) -> F:
    return click.option(
        "--no-defaults",
        is_flag=True,
        help="Do not apply the API server's defaulting to offline input "
        "(volume without source -> emptyDir, hostNetwork hostPort = containerPort, "
        "PSP allowPrivilegeEscalation -> true).",
    )(func)


def _release(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """`latest` (None) or v1.N / 1.N (N)."""
    if value is None or value == "latest":
        return None
    text = value[1:] if value.startswith("v") else value
    major, _, minor = text.partition(".")
    if major != "1" or not minor.isdigit() or not 0 <= int(minor) <= 99:
        raise click.BadParameter(f'{value!r}: expected "latest" or v1.N, e.g. v1.27')
    return int(minor)


def kubernetes_version_option(func: F) -> F:
    """--kubernetes-version: the API server's release, for what it does to a Pod before
    admission (PrepareForCreate's seccomp and AppArmor annotation/field sync)."""
    return click.option(
        "--kubernetes-version",
        "kubernetes_release",
        metavar="VERSION",
        default=None,
        callback=_release,
        help="The cluster's Kubernetes release, latest (the default) or v1.N: what its API "
        "server does to a Pod before admission (seccomp annotations and fields kept in sync "
        "in 1.19-1.26, AppArmor from 1.30). Not the Pod Security Standards --version.",
    )(func)


def manifest_options(func: F, max_bytes: int = MAX_BYTES) -> F:
    """The options of every command that judges manifests as an API server would receive them:
    --kubernetes-version, --no-defaults, --exclude and --max-bytes, in that order."""
    return kubernetes_version_option(
        no_defaults_option(exclude_option(max_bytes_option(func, max_bytes)))
    )


def scan_manifest_options(func: F) -> F:
    """`manifest_options` with scan's --max-bytes: no default value (None), which stands for
    SCAN_MAX_BYTES for a JSON file and MAX_BYTES for everything else (`scan_caps`)."""
    with_cap = click.option(
        "--max-bytes",
        type=click.IntRange(min=1),
        default=None,
        help=f"Refuse any input file larger than this many bytes. Default: {SCAN_MAX_BYTES} "
        f"(1 GiB) for a file that is one JSON value (a cluster snapshot), {MAX_BYTES} (64 MiB) "
        "for YAML and other files, each --live response and --policy, --config and "
        "--exceptions files (YAML costs about ten times its size in memory).",
    )(func)
    return kubernetes_version_option(no_defaults_option(exclude_option(with_cap)))


def scan_caps(max_bytes: int | None) -> tuple[int, int]:
    """(the cap of a JSON input file, the cap of everything else) for scan's --max-bytes."""
    if max_bytes is not None:
        return max_bytes, max_bytes
    return SCAN_MAX_BYTES, MAX_BYTES


def write_output(text: str | bytes | Iterable[bytes], output_file: str | None) -> None:
    """`text` on standard output, or into `output_file` (exit 2 when it cannot be written);
    bytes (UTF-8 already) as they are, and pieces of bytes each as it comes (if making one
    fails, a regular output file is left empty, never holding part of a report)."""
    pieces = [text] if isinstance(text, bytes) else text
    if output_file is None:
        if isinstance(pieces, str):
            sys.stdout.write(pieces)
            sys.stdout.flush()
            return
        sys.stdout.flush()
        for piece in pieces:  # write() each: a test runner's stream may copy only those
            sys.stdout.buffer.write(piece)
        sys.stdout.buffer.flush()
        return
    try:
        if not isinstance(pieces, str):
            with open(output_file, "wb") as out:
                try:
                    out.writelines(pieces)
                except BaseException:
                    if stat.S_ISREG(os.fstat(out.fileno()).st_mode):
                        out.truncate(0)
                    raise
            return
        with open(output_file, "w", encoding="utf-8") as fh:
            fh.write(pieces)
    except OSError as e:
        fail(f"{output_file}: {e.strerror or e}")


def output_option(*choices: str) -> Callable[[F], F]:
    def deco(func: F) -> F:
        return click.option(
            "-o",
            "--output",
            "output",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help="Output format.",
        )(func)

    return deco


def say(message: str) -> None:
    """One message on stderr, its non-printable characters escaped (`k8s.gotext.printable`: a
    name read from the input cannot move the cursor or rewrite a line: report/shown.py)."""
    click.echo(printable(message), err=True)


def fail(message: str) -> None:
    """Print one error line on stderr and exit 2 (bad input)."""
    say(f"podgate: error: {message}")
    sys.exit(EXIT_BAD_INPUT)


def internal_error(e: BaseException) -> None:
    """A bug in podgate: one line on stderr and exit 3 (the traceback too with PODGATE_DEBUG=1)."""
    if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        traceback.print_exception(e, file=sys.stderr)
    text = str(e).splitlines()[0] if str(e).strip() else ""
    what = f"{type(e).__name__}: {text}" if text else type(e).__name__
    say(f"podgate: internal error: {what} (a bug in podgate; {DEBUG_ENV}=1 shows the traceback)")
    sys.exit(EXIT_INTERNAL)


def broken_pipe() -> NoReturn:
    """Standard output's reader closed it before the output was written whole (`podgate scan
    | head`): exit 141, as a shell reports a process killed by SIGPIPE (kubectl's exit there),
    never 0, which would pass a scan with findings under `set -o pipefail`. In podgate's own
    process the rest is dropped (standard output pointed at /dev/null), or the interpreter's
    last flush would fail again and print an error."""
    if _OWN_PROCESS[0]:
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        except (AttributeError, OSError, ValueError):
            pass
    sys.exit(EXIT_BROKEN_PIPE)


def handles_errors(func: F) -> F:
    """Turn podgate's exceptions into one line on stderr and exit code 2, never a traceback.
    Errors podgate declares to be bugs (InternalError: a self-check failed) exit 3."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PodgateError as e:
            if isinstance(e, InternalError):
                internal_error(e)
            fail(str(e))
        except RecursionError:
            fail("input nests too deep")
        except BrokenPipeError:
            broken_pipe()
        return None

    return wrapper  # type: ignore[return-value]


# True while `run` runs a command: this process is podgate's own (an executable's entry point),
# not a caller's that invokes the group itself (click's test runner)
_OWN_PROCESS = [False]


def finish(code: int) -> NoReturn:
    """End a command that is done, its output written, with exit code `code`. In podgate's own
    process (`run`) the process ends here, its standard streams flushed, without first freeing,
    one by one, the objects it read and judged (about 80M instructions after a 1,000-pod scan);
    in a caller's process, SystemExit as usual."""
    if _OWN_PROCESS[0]:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)


class _ClosedBuffer(io.BufferedIOBase):
    """The bytes of a standard output the process was started without (`>&-`): writing them
    is an error, nothing is kept (no flush at exit fails again)."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


class _ClosedOutput(io.TextIOBase):
    """Standard output when the process was started without one: an error to write to (exit 2,
    one line on stderr), never a report dropped in silence."""

    def __init__(self) -> None:
        self._buffer = _ClosedBuffer()

    @property
    def buffer(self) -> _ClosedBuffer:
        return self._buffer

    def writable(self) -> bool:
        return True

    def write(self, text: Any) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def _standard_streams() -> None:
    """Descriptors 0, 1 and 2 open before anything is read: one the caller closed (`2>&-`) is
    given /dev/null, so that no file podgate opens takes its number (the YAML reader points
    descriptor 2 at a capture file while ryml runs, and dups it: with 2 closed it failed, and
    a file holding number 2 would have been swapped out under its reader). Standard error and
    input closed read and write nothing; standard output closed is an error to write to."""
    closed = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            closed.append(fd)
    if 0 in closed or sys.stdin is None:
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process' own, never closed
    if 1 in closed or sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if 2 in closed or sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115 - the process' own


def run(group: click.Group, args: Sequence[str], prog_name: str) -> None:
    """Run the command line; every way out is one of the documented exit codes. Exit 1 means
    findings or a denial only: click's own errors (usage, unreadable files) exit 2, Ctrl-C 130,
    and anything unexpected is an internal error (exit 3, one line)."""
    _OWN_PROCESS[0] = True
    _standard_streams()
    try:
        code = group.main(args=list(args), prog_name=prog_name, standalone_mode=False)
    except click.UsageError as e:
        e.show()
        sys.exit(EXIT_BAD_INPUT)
    except click.ClickException as e:  # e.g. a file click could not open: input, so 2
        e.show()
        sys.exit(EXIT_BAD_INPUT)
    except (click.Abort, KeyboardInterrupt):
        click.echo("podgate: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        broken_pipe()
    except OSError as e:
        if e.errno == errno.EPIPE:
            broken_pipe()
        say(f"podgate: error: {e}")
        sys.exit(EXIT_BAD_INPUT)
    except Exception as e:  # noqa: BLE001 - the last line of defence: one line, exit 3
        internal_error(e)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def print_json(value: Any) -> None:
    sys.stdout.buffer.write(
        orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    )
    sys.stdout.flush()


def read_live(
    kubeconfig: str | None,
    context: str | None,
    namespace: str | None,
    insecure: bool,
    max_bytes: int,
    quiet: bool,
    notes: list[str] | None = None,
) -> list[Any]:
    """The objects of the current cluster, read-only (`--live`): warnings on stderr (and, as
    "incomplete read" notes, in `notes` for the report), notes on stderr unless quiet."""
    from podgate.io.live import read_cluster

    def warn(message: str) -> None:
        say(f"podgate: {message}")

    read = read_cluster(
        kubeconfig,
        context,
        namespace,
        insecure_skip_tls_verify=insecure,
        max_bytes=max_bytes,
        warn=warn,
    )
    for message in read.warnings:
        warn(f"warning: {message}")
    if notes is not None:
        notes.extend(f"incomplete read of the cluster: {m}" for m in read.warnings)
        notes.extend(read.notes)
    if not quiet:
        for message in read.notes:
            warn(f"note: {message}")
    return list(read.documents)
