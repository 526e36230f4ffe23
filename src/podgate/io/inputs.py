"""Which files the inputs name: files as given, directories searched for .yaml/.yml/.json files
(hidden files read, as `kubectl apply -f DIR` reads them; files under a hidden directory such
as `.git` or `.cache` left out and named; `--exclude GLOB` left out on purpose), stdin as `-`;
anything that is not a regular file or a directory (a FIFO would block forever) refused at
once. And, for files that could not be read, where a hint helps: a kustomization or a Helm
chart around them."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from podgate.errors import LoadError

EXTENSIONS = (".yaml", ".yml", ".json")
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(slots=True)
class Found:
    """The files one input names, the files left out by --exclude, the files left out for being
    under a hidden directory, and the entries refused."""

    files: list[str] = field(default_factory=list)
    excluded: int = 0
    hidden: list[str] = field(default_factory=list)
    refused: list[LoadError] = field(default_factory=list)


def _what(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def not_regular(path: str, mode: int) -> LoadError:
    return LoadError(
        f"{_what(mode)}, not a regular file or a directory (give - to read standard input)",
        file=path,
    )


def extension(name: str) -> str:
    """A file name's extension as kubectl's directory walk takes it (Go's `filepath.Ext`): from
    the last dot on, so a name that is only an extension (`.yaml`) has one (pathlib gives it
    none), lower-cased (kubectl compares it as written: podgate reads `.YAML` too)."""
    at = name.rfind(".")
    return name[at:].lower() if at >= 0 else ""


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    parts = rel.split("/")
    candidates = {rel, parts[-1]} | {"/".join(parts[:i]) for i in range(1, len(parts))}
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


def expand(given: str, exclude: Sequence[str] = ()) -> Found:
    """The files `given` names (a file, a directory, or `-`)."""
    found = Found()
    if given == "-":
        found.files.append(given)
        return found
    try:
        mode = os.stat(given).st_mode
    except FileNotFoundError:
        found.refused.append(LoadError("no such file or directory", file=given))
        return found
    except OSError as e:
        found.refused.append(LoadError(e.strerror or str(e), file=given))
        return found
    if stat.S_ISREG(mode):
        found.files.append(given)
        return found
    if not stat.S_ISDIR(mode):
        found.refused.append(not_regular(given, mode))
        return found
    root = Path(given)
    entries, unlisted = _walk(root)
    for error in unlisted:  # kubectl's walk stops there with an error: never passed over unsaid
        where = Path(error.filename) if error.filename else root
        if exclude and where != root and _excluded(where.relative_to(root).as_posix(), exclude):
            continue
        found.refused.append(LoadError(error.strerror or str(error), file=str(where)))
    for f in sorted(entries):
        rel = f.relative_to(root)
        if extension(f.name) not in EXTENSIONS:
            continue
        if exclude and _excluded(rel.as_posix(), exclude):
            found.excluded += 1
            continue
        if any(p.startswith(".") for p in rel.parts[:-1]):
            # tools' and version control's state (.git, .github, .venv, .cache): kubectl's
            # `apply -R` would read these too, so each is named in a note, never dropped unsaid
            found.hidden.append(str(f))
            continue
        try:
            mode = f.stat().st_mode
        except OSError as e:
            found.refused.append(LoadError(e.strerror or str(e), file=str(f)))
            continue
        if stat.S_ISREG(mode):
            found.files.append(str(f))
        elif not stat.S_ISDIR(mode):
            found.refused.append(not_regular(str(f), mode))
        elif f.is_symlink():  # (a directory itself named so is walked: its files are read)
            found.refused.append(_linked_directory(str(f)))
    return found


def _linked_directory(path: str) -> LoadError:
    """A symbolic link to a directory, named as a manifest is, in a directory walked: the walk
    does not follow it (as kubectl's does not), so its files would go unread; kubectl reads
    it as a file and fails ("is a directory")."""
    return LoadError(
        "a symbolic link to a directory, which a directory walk does not follow: its files "
        "are not read (kubectl fails on it too); give the directory it points to as an input, "
        "or leave it out with --exclude",
        file=path,
    )


def _walk(root: Path) -> tuple[list[Path], list[OSError]]:
    """Every entry under `root`, files and directories (symlinked directories not followed, as
    kubectl's walk does not), and the errors of the directories that could not be listed
    (pathlib's `rglob` passes over those without a word)."""
    entries: list[Path] = []
    unlisted: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted.append):
        here = Path(dirpath)
        entries.extend(here / name for name in dirnames)
        entries.extend(here / name for name in filenames)
    return entries, unlisted


def hints(failed: str, root: str, command: str) -> list[str]:
    """Hints for a file under `root` that could not be read: the kustomization or Helm chart
    it belongs to, to be rendered first."""
    if failed == "-":
        return []
    out: list[str] = []
    top = Path(root) if Path(root).is_dir() else Path(failed).parent
    here = Path(failed).parent
    while True:
        if any((here / k).is_file() for k in KUSTOMIZATIONS):
            out.append(
                f"{here} holds a kustomization: render it first: "
                f"kubectl kustomize {here} | podgate {command} -"
            )
        if (here / "Chart.yaml").is_file():
            out.append(
                f"{here} is a Helm chart (Chart.yaml): render it first: "
                f"helm template {here} | podgate {command} -"
            )
        elif here.name == "templates" and _has_template_braces(failed):
            out.append(
                f"{here} holds Helm templates ({{{{ ... }}}}): render the chart first: "
                f"helm template {here.parent} | podgate {command} -"
            )
        if here == top or here.parent == here or top not in here.parents:
            break
        here = here.parent
    return out


def _has_template_braces(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return b"{{" in fh.read(1 << 20)
    except OSError:
        return False
