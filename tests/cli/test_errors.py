"""Every exception podgate defines is in the PodgateError tree that errors.py draws (so the
command line turns it into one line and exit code 2, or 3 for InternalError), or is private
control flow caught in the module that defines it; and the drawing is the code's tree."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import podgate
from podgate import errors
from podgate.errors import PodgateError

BUILTIN_BASES = (ValueError, RuntimeError)


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of src/podgate, by name."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(podgate.__path__, "podgate."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                assert name not in found or found[name] is value, f"two exceptions named {name}"
                found[name] = value
    return found


def _drawing() -> list[tuple[str, str | None, str]]:
    """(class, parent drawn above it, its description) for each line of errors.py's tree."""
    doc = errors.__doc__ or ""
    lines = doc[doc.index("    PodgateError") :].splitlines()
    out: list[tuple[str, str | None, str]] = []
    parents: list[str] = []
    for line in lines:
        if not line.strip():
            break
        found = re.match(r"^(    [│├└─ ]*)(\w+)\s*(.*)$", line)
        assert found is not None, line
        depth = (len(found.group(1)) - 4) // 4
        name = found.group(2)
        del parents[depth:]
        out.append((name, parents[-1] if parents else None, found.group(3)))
        parents.append(name)
    return out


CLASSES = _exception_classes()


def test_the_classes_are_found() -> None:
    # the walk reaches every subpackage: a few known ones from different layers
    for name in ("LoadError", "BuildError", "Invalid", "BadReview", "ExportError"):
        assert name in CLASSES


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_exception_is_in_the_tree_or_private_control_flow(name: str) -> None:
    cls = CLASSES[name]
    if issubclass(cls, PodgateError):
        return
    assert name.startswith("_"), (
        f"{cls.__module__}.{name} is outside the PodgateError tree: derive it from PodgateError "
        "(or a subclass) and draw it in errors.py's docstring"
    )
    source = Path(inspect.getfile(inspect.getmodule(cls))).read_text()  # type: ignore[arg-type]
    assert re.search(rf"except\b[^:\n]*\b{name}\b", source), (
        f"{cls.__module__}.{name} is private but never caught in its module: it could escape"
    )


def test_the_drawn_tree_is_the_classes_tree() -> None:
    drawn = _drawing()
    assert drawn[0] == ("PodgateError", None, "")
    names = [name for name, _, _ in drawn]
    assert len(names) == len(set(names)), "a class drawn twice"
    in_tree = {n for n, cls in CLASSES.items() if issubclass(cls, PodgateError)}
    assert set(names) == in_tree, (
        f"drawn but not defined: {sorted(set(names) - in_tree)}; "
        f"defined but not drawn: {sorted(in_tree - set(names))}"
    )
    for name, parent, text in drawn[1:]:
        cls = CLASSES[name]
        podgate_bases = [b for b in cls.__bases__ if issubclass(b, PodgateError)]
        assert [b.__name__ for b in podgate_bases] == [parent], f"{name} is drawn under {parent}"
        for builtin in BUILTIN_BASES:
            says = f"a {builtin.__name__}" in text
            assert says == (builtin in cls.__bases__), (
                f"{name}: the drawing and the class disagree on being a {builtin.__name__}"
            )


def test_an_rbac_field_error_reads_as_before_and_carries_its_path() -> None:
    from podgate.rbac.parse import Invalid

    err = Invalid("rules[0].verbs", "must contain at least one value")
    assert str(err) == "rules[0].verbs: must contain at least one value"
    assert (err.path, err.field, err.message) == (
        "rules[0].verbs",
        "rules[0].verbs",
        "must contain at least one value",
    )
