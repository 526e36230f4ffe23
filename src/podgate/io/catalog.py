"""The control catalog (package data: the table of spec/threats.md section 6)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import podgate.data
from podgate.io import fastyaml
from podgate.scan.controls import Catalog


@cache
def load_catalog() -> Catalog:
    # beside the package's modules (importlib.resources, and the tempfile it imports, cost
    # `podgate scan` start-up time)
    path = Path(podgate.data.__file__).with_name("threats.yaml")
    return Catalog.from_table(_table(path.read_bytes()))


def _table(data: bytes) -> Any:
    """The catalog's YAML as PyYAML's safe loader reads it: through ryml, which reads it alike
    (tests/io/test_catalog.py) in under a millisecond, without a scan importing PyYAML (tens of
    milliseconds with libyaml's loader); PyYAML's loader itself where ryml is not installed."""
    table = fastyaml.unproved_value(data)
    if table is not None:
        return table
    import yaml

    return yaml.load(data.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
