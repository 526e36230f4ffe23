"""Shared test helpers: where ../shared is, and a skip with the reason when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the project root; tests needing it skip, saying why, without it."""
    if not SHARED.is_dir():
        pytest.skip(f"needs ../shared (not found at {SHARED}): CI has it, a user's clone does not")
    return SHARED


# CI runs the property tests with a fixed seed, so a submission's result does not depend on
# luck; locally each run explores new examples.
if os.environ.get("CI"):
    settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    settings.load_profile("ci")
