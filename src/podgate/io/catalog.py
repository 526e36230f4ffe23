"""The control catalog (package data: the table of spec/threats.md section 6)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

import podgate.data
from podgate.scan.controls import Catalog


@cache
def load_catalog() -> Catalog:
    # beside the package's modules (importlib.resources, and the tempfile it imports, cost
    # `podgate scan` start-up time)
    path = Path(podgate.data.__file__).with_name("threats.yaml")
    text = path.read_text("utf-8")
    return Catalog.from_table(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
