"""The control catalog (package data: the table of spec/threats.md section 6)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from podgate.scan.controls import Catalog


@cache
def load_catalog() -> Catalog:
    text = resources.files("podgate.data").joinpath("threats.yaml").read_text("utf-8")
    return Catalog.from_table(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
