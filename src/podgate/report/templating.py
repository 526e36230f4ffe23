"""The one way podgate renders HTML: Jinja with every value from the input autoescaped and an
undefined name an error (a misspelt name in a template fails the render, never prints nothing).
The HTML report, the advisor's section and the web UI all build their environment here."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined


def environment(
    package: str | None = None, *, trim: bool = True, keep_trailing_newline: bool = False
) -> Environment:
    """An environment for the templates in `package`'s `templates/` folder (without a package:
    templates given as strings); `trim` strips the newline after a block tag and the spaces
    before it."""
    return Environment(
        loader=PackageLoader(package, "templates") if package is not None else None,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=trim,
        lstrip_blocks=trim,
        keep_trailing_newline=keep_trailing_newline,
    )
