"""The modules of a registry package (PSS checks, PSP strategies): each public module of the
package registers itself with a constant, which the package's registry reads."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType


def public_modules(package: ModuleType | str) -> Iterator[ModuleType]:
    """Every module of `package` whose name does not start with an underscore, imported, in
    module-name order."""
    if isinstance(package, str):
        package = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{package.__name__}.{info.name}")
