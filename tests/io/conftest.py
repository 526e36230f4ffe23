"""Fixtures of the io tests."""

from __future__ import annotations

import pytest

from podgate.io import fastyaml


@pytest.fixture(params=["fast", "libyaml"])
def yaml_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test taking it runs through both YAML paths: rapidyaml's (which hands to libyaml what
    it cannot prove identical) and libyaml's alone."""
    if request.param == "libyaml":
        monkeypatch.setattr(fastyaml, "_RYML", None)
    return str(request.param)
