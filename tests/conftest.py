"""Shared test helpers: where ../shared is, and a skip with the reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the project root; tests needing it skip, saying why, without it."""
    if not SHARED.is_dir():
        pytest.skip(f"needs ../shared (not found at {SHARED}): CI has it, a user's clone does not")
    return SHARED
