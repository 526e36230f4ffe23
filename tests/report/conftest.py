"""The report tests' scan: what `podgate scan` hands a renderer, on a fixed day and time."""

from __future__ import annotations

import datetime as dt
import shlex
from typing import Protocol

import pytest

from podgate.cli.scan import load_exceptions
from podgate.io.catalog import load_catalog
from podgate.io.loader import DEFAULT_MAX_BYTES, load_documents
from podgate.io.locate import Locator
from podgate.io.prepare import prepare
from podgate.pss import parse_level
from podgate.report.context import ReportContext
from podgate.scan import ScanOptions, ScanResult, scan

# when the reports say they were made (a fraction of a second in it: PolicyReport keeps nanos)
GENERATED = dt.datetime(2026, 8, 1, 12, 0, 5, 250_000, tzinfo=dt.UTC)


class ScanForReport(Protocol):
    def __call__(
        self, paths: list[str], *, level: str | None = None, exceptions: str | None = None
    ) -> tuple[ScanResult, ReportContext]: ...


@pytest.fixture
def scan_for_report() -> ScanForReport:
    """`podgate scan PATHS [--level L] [--exceptions FILE]` up to the rendering: the command's
    own reading, defaulting and exception loading, judged on GENERATED's day; the result and
    the context it is rendered with (version 0.1.0, that command line, its exit code)."""

    def run(
        paths: list[str], *, level: str | None = None, exceptions: str | None = None
    ) -> tuple[ScanResult, ReportContext]:
        docs = prepare(load_documents(paths))
        options = ScanOptions(
            level=parse_level(level) if level is not None else None,
            exceptions=load_exceptions(exceptions, DEFAULT_MAX_BYTES),
            today=GENERATED.date(),
        )
        result = scan(docs, load_catalog(), options)
        args = [*paths, *(["--level", level] if level else [])]
        args += ["--exceptions", exceptions] if exceptions else []
        context = ReportContext(
            version="0.1.0",
            command=f"podgate scan {shlex.join(args)}",
            generated=GENERATED,
            locate=Locator(),
            exit_code=1 if result.failing else 0,
        )
        return result, context

    return run
