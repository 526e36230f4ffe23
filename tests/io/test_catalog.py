"""The control catalog (podgate/data/threats.yaml) is read through ryml (io/catalog.py), so that a
scan does not import PyYAML for it; that must give what PyYAML's safe loader gives, the loader
the catalog was written for, and is what a scan falls back to without ryml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import podgate.data
from podgate.io import catalog, fastyaml

THREATS = Path(podgate.data.__file__).with_name("threats.yaml")


def _pyyaml() -> object:
    return yaml.load(
        THREATS.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )


def test_the_catalog_reads_through_ryml_as_pyyamls_safe_loader_reads_it() -> None:
    data = THREATS.read_bytes()
    assert fastyaml.unproved_value(data) == _pyyaml()
    assert catalog._table(data) == _pyyaml()


def test_without_ryml_the_catalog_is_read_by_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastyaml, "_RYML", None)
    assert fastyaml.unproved_value(THREATS.read_bytes()) is None
    assert catalog._table(THREATS.read_bytes()) == _pyyaml()


def test_what_ryml_refuses_is_none(capfd: pytest.CaptureFixture[str]) -> None:
    """(and ryml's own message is not printed)"""
    assert fastyaml.unproved_value(b"a: [b\n") is None
    assert capfd.readouterr().err == ""
