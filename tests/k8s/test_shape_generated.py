"""`k8s/_shape_fits.py`, the shape check's fast path, is the code `shape.fits_source` generates
from the schema (written once rather than compiled at each start): a schema changed without
writing it again (`python -m podgate.k8s.shape`) fails here."""

from __future__ import annotations

from pathlib import Path

from podgate.k8s import shape


def test_the_generated_module_is_what_the_schema_generates() -> None:
    written = Path(shape.__file__).with_name(shape.GENERATED).read_text()
    assert written == shape.fits_source(shape.POD)


def test_the_fast_path_is_the_generated_module() -> None:
    from podgate.k8s import _shape_fits

    assert shape.fits_pod is _shape_fits.fits
