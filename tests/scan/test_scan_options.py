"""ScanOptions has no default day: exceptions expire against the day the caller gives."""

from __future__ import annotations

import datetime as dt

import pytest

from podgate.scan import ScanOptions


def test_scan_options_without_today_is_refused() -> None:
    with pytest.raises(TypeError, match="today"):
        ScanOptions()  # type: ignore[call-arg]


def test_scan_options_keep_the_day_given() -> None:
    assert ScanOptions(today=dt.date(2026, 12, 6)).today == dt.date(2026, 12, 6)
