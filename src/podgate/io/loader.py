"""Reading Kubernetes objects from YAML and JSON: files, directories, stdin, lists.

Files are read as kubectl reads them (`stream`: encodings, JSON or YAML, `---` pieces;
`yamldoc`/`goyaml`: YAML values; lists as apimachinery decodes them: the items of a `PodList`
get the list's kind). Each file is capped in size; every file is read before any error is
raised, so that one error lists every file that could not be read. Errors are `LoadError`s
naming the file, the document's index and its line.
"""

from __future__ import annotations

import gc
import os
import re
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from podgate.errors import LoadError
from podgate.io.gojson import BeyondRange, GoNumbers, beyond_range
from podgate.io.inputs import EXTENSIONS, expand, hints, not_regular
from podgate.io.stream import decode, json_depth_ok, json_start
from podgate.io.yamldoc import MAX_DEPTH, yaml_documents
from podgate.k8s import Obj, mapping, pod_spec_error
from podgate.k8s.source import Document, Source

if TYPE_CHECKING:
    from podgate.io.snapshot import Snapshot

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXTENSIONS",
    "MAX_DEPTH",
    "Document",
    "load_documents",
    "load_text",
]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def _read(path: str, max_bytes: int) -> bytes:
    try:
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            # never block on what is not a regular file (a FIFO swapped in after expanding)
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise not_regular(path, st.st_mode)
                if st.st_size > max_bytes:
                    raise LoadError(
                        f"file is {st.st_size} bytes, over the limit of {max_bytes}", file=path
                    )
                # what fstat says first: read(max_bytes + 1) would allocate the whole cap
                data = fh.read(st.st_size + 1)
                if len(data) > st.st_size:  # it grew meanwhile: the rest, up to the cap
                    data += fh.read(max_bytes + 1 - len(data))
    except OSError as e:
        raise LoadError(e.strerror or str(e), file=path) from e
    if len(data) > max_bytes:
        raise LoadError(f"input is over the limit of {max_bytes} bytes", file=path)
    return data


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_ASCII_HEAD = re.compile(rb"[\t\n\x0b\x0c\r\x1c-\x1f ]*(.?)", re.DOTALL)


def _too_deep(file: str, index: int) -> LoadError:
    return LoadError(f"document nests deeper than {MAX_DEPTH} levels", file=file, document=index)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # (orjson refuses a lone one)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _go_strings(value: Any) -> Any:
    """`value` with each surrogate a string holds alone (the JSON escape `\\ud800` not in a pair,
    which Python's decoder keeps and no encoder writes) read as U+FFFD, as Go's encoding/json
    reads it (kubectl applies such a file; the pair of a code point past U+FFFF is one
    character already)."""
    if type(value) is str:
        return _SURROGATE.sub("\ufffd", value)
    if type(value) is dict:
        return {_go_strings(k): _go_strings(v) for k, v in value.items()}
    if type(value) is list:
        return [_go_strings(v) for v in value]
    return value


def _beyond_range(
    decoder: GoNumbers, value: Any, text: str, at: int, file: str, index: int
) -> None:
    """Raise the error kubectl gives for the JSON `value` at offset `at` of `text` when it
    holds a number beyond float64's range (io/gojson.py), naming its field and its line."""
    found = beyond_range(decoder, value)
    if found is None:
        return
    line = _line_of(text, at)
    if found.field is not None:
        from podgate.io.locate import json_line  # (which imports this module)

        line = json_line(text, at, found.field) or line
    raise LoadError(found.message(), file=file, document=index, line=line)


def _json_values(
    text: str, start: int, file: str
) -> tuple[list[tuple[int, Any]], int, ValueError | None]:
    """The JSON values of a stream (`{...}{...}`, as Go's json.Decoder reads one after another):
    (offset, value) of each, where reading stopped, and the error it stopped at. A value with a
    number beyond float64's range is an error (kubectl's), raised when it is read."""
    values: list[tuple[int, Any]] = []
    decoder = GoNumbers()
    pos = start
    while True:
        found = _JSON_SPACE.match(text, pos)
        pos = found.end() if found is not None else pos
        if pos >= len(text):
            return values, pos, None
        try:
            value, end = decoder.raw_decode(text, pos)
        except ValueError as e:
            return values, pos, e
        _beyond_range(decoder, value, text, pos, file, len(values))
        if _SURROGATE_ESCAPE.search(text, pos, end) is not None:
            value = _go_strings(value)
        values.append((pos, value))
        pos = end


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, max(pos, 0)) + 1


def _json_stream(text: str, start: int, file: str) -> Iterator[Document]:
    """Text that starts with `{`, as kubectl's YAMLOrJSONDecoder reads it: JSON values one after
    another; if the first fails, the whole text as YAML (the JSON error if that fails too); if
    the second fails, the rest as YAML; if a later one fails, the JSON error."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        first_error: Exception = e
    else:
        if not json_depth_ok(text.encode(), MAX_DEPTH):
            raise _too_deep(file, 0)
        yield from _objects(data, file, 0, _line_of(text, start), [])
        return
    values, pos, error = _json_values(text, start, file)
    if not values:
        try:
            docs = list(_from_yaml(text, file, 0, 1))
        except LoadError:
            line = getattr(first_error, "lineno", None)
            message = getattr(first_error, "msg", str(first_error))
            raise LoadError(f"invalid JSON: {message}", file=file, document=0, line=line) from None
        yield from docs
        return
    if error is not None and len(values) > 1:
        raise LoadError(
            f"invalid JSON: {getattr(error, 'msg', error)}",
            file=file,
            document=len(values),
            line=_line_of(text, pos),
        )
    ends = [p for p, _ in values[1:]] + [pos]
    for index, ((at, value), end) in enumerate(zip(values, ends, strict=True)):
        if not json_depth_ok(text[at:end].encode(), MAX_DEPTH):
            raise _too_deep(file, index)
        yield from _objects(value, file, index, _line_of(text, at), [])
    if error is not None:  # one value, then something else: the rest is YAML
        newline = text.find("\n", pos)
        rest = pos if newline < 0 or text[pos:newline].strip() else newline + 1
        yield from _from_yaml(text[rest:], file, 1, _line_of(text, rest))


def load_text(text: str, file: str) -> Iterator[Document]:
    """The objects in one file's text (YAML or JSON), lists expanded into their items."""
    start = json_start(text)
    if start is not None:
        yield from _json_stream(text, start, file)
    else:
        yield from _from_yaml(text, file, 0, 1)


def _load_ascii_json(raw: bytes, file: str) -> list[Document] | None:
    """`load_text` for an ASCII JSON file, parsed from its bytes without decoding a copy of
    them; None when it is not one JSON value after all (the caller then decodes it and calls
    load_text)."""
    head = _ASCII_HEAD.match(raw)
    if head is None or head.group(1) != b"{":
        return None
    depth_ok = json_depth_ok(
        raw, MAX_DEPTH
    )  # before decoding: its copies of the text come and go first
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not depth_ok:
        raise _too_deep(file, 0)
    return list(_objects(data, file, 0, raw.count(b"\n", 0, head.start(1)) + 1, []))


def _from_yaml(text: str, file: str, first_index: int, first_line: int) -> Iterator[Document]:
    for index, line, data, item_lines in yaml_documents(text, file, first_index, first_line):
        yield from _objects(data, file, index, line, item_lines)


def _check_object(
    obj: Mapping[str, Any], file: str, index: int, line: int, item: int | None = None
) -> None:
    """Refuse a Pod or workload without a pod spec. (An object without a kind is kept: kubectl
    refuses it, but podgate's own outputs, a Helm values file and the like are read beside
    manifests; it is no Kubernetes object, so it does not count as one.) `item`: its index in
    the list it is an item of."""
    kind = obj.get("kind")
    at = f"items[{item}]: " if item is not None else ""
    for field in ("kind", "apiVersion"):
        value = obj.get(field)
        if value is not None and not isinstance(value, str) and (field == "kind" or kind):
            # the API server (and kubectl) read both as strings or refuse the object
            raise _refused(
                f"{at}{field} is {_json_type(value)}, not a string (the API server rejects it)",
                Source(file, index, line, item),
            )
    problem = pod_spec_error(obj)
    if problem is not None:
        meta = obj.get("metadata")
        name = meta.get("name") if isinstance(meta, Mapping) else None
        what = f"{kind} {name!r}" if isinstance(name, str) and name else kind
        raise _refused(
            f"{at}{what} has no pod spec: {problem} (the API server rejects it)",
            Source(file, index, line, item),
        )


def _refused(message: str, at: Source) -> LoadError:
    """The error refusing the object read at `at`, at the line of the object itself (an item
    of a list in a JSON file too, for which the loader knows only the list's line:
    `io.locate.item_line`)."""
    line = at.line
    if at.item is not None:
        from podgate.io.locate import item_line  # (which imports this module)

        line = item_line(at)
    return LoadError(message, file=at.file, document=at.document, line=line)


def _json_type(value: Any) -> str:
    """What a JSON value is, as a message names it ("a list", "a number" ...)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _objects(
    data: Any, file: str, index: int, line: int, item_lines: list[int]
) -> Iterator[Document]:
    if data is None:
        return
    if not isinstance(data, dict):
        got = "a list" if isinstance(data, list) else type(data).__name__
        raise LoadError(
            f"expected a Kubernetes object (a mapping), got {got}",
            file=file,
            document=index,
            line=line,
        )
    kind = data.get("kind")
    if data.get("items") is None or not isinstance(kind, str) or not kind:
        _check_object(data, file, index, line)
        yield Document(data, Source(file, index, line))
        return
    # apimachinery decodes any object with `items` as a list of them
    items = data["items"]
    if not kind.endswith("List"):
        raise LoadError(
            f"a {kind} with a top-level `items` field: kubectl reads it as a list of those "
            "items and drops the rest",
            file=file,
            document=index,
            line=line,
        )
    if not isinstance(items, list):
        raise LoadError(f"{kind}: items is not a list", file=file, document=index, line=line)
    api = data.get("apiVersion")
    for i, item in enumerate(items):
        item_line = item_lines[i] if i < len(item_lines) else line
        yield _list_item(item, i, kind, api, file, index, item_line)


def _list_item(
    item: Any, i: int, kind: str, api: Any, file: str, index: int, line: int
) -> Document:
    """Item `i` of a list of `kind` (`PodList`, `List` ...) and `api` (its apiVersion)."""
    if not isinstance(item, Mapping):
        raise _refused(f"items[{i}] is not an object", Source(file, index, line, i))
    obj = item if type(item) is dict else dict(item)  # decoded items are new dicts
    item_kind = kind[: -len("List")]
    if item_kind and not _is_text(obj.get("kind")) and not _is_text(obj.get("apiVersion")):
        # a typed list (PodList ...) as the API server returns it: items carry no kind
        obj = {"apiVersion": api if isinstance(api, str) else "", "kind": item_kind, **obj}
    if obj.get("items") is not None:
        message = f"items[{i}] is itself a list: podgate does not read nested lists"
        raise _refused(message, Source(file, index, line, i))
    _check_object(obj, file, index, line, i)
    return Document(obj, Source(file, index, line, i))


def _load_snapshot(
    raw: bytes, file: str, defaults: bool | None, jobs: int = 1
) -> tuple[list[Document], Snapshot] | None:
    """`load_text` for a JSON snapshot (one list), its Pods and workloads decoded to what a
    scan reads (io/snapshot.py), each packed (k8s/packed.py) before the next is decoded, on
    `jobs` cores when it is large (io/snapshot_load.py): prepared (`io.prepare`, with
    `defaults` or not; as read when `defaults` is None); one whose fields have the wrong types
    is packed as read, for `prepare` to refuse at its turn. None when `raw` is not one the
    trimmed decode reads exactly as the full one."""
    from podgate.io.snapshot_load import load_snapshot  # msgspec: only for a scan

    head = _ASCII_HEAD.match(raw)
    if head is None or head.group(1) != b"{":
        return None
    line = raw.count(b"\n", 0, head.start(1)) + 1
    return load_snapshot(raw, file, line, MAX_DEPTH, defaults, jobs)


def _one_json_value(text: str) -> bool:
    """Whether `text` is one JSON value (read as JSON, never as YAML)."""
    if json_start(text) is None:
        return False
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


def _load_file(
    path: str,
    max_bytes: int,
    snapshots: list[tuple[int, Snapshot]] | None = None,
    at: int = 0,
    max_yaml_bytes: int | None = None,
    defaults: bool | None = None,
    jobs: int = 1,
) -> list[Document]:
    """The objects of one file. With `snapshots`, a JSON snapshot is decoded trimmed and noted
    there with `at`, where its documents go in the caller's list. A file over `max_yaml_bytes`
    is read only if it is one JSON value (YAML costs about ten times its size in memory).
    `defaults`: how the documents are prepared as they are read (`io.prepare.prepare_read`;
    a snapshot's packed workloads, on `jobs` cores: `_load_snapshot`); None: kept as read."""
    raw = _read(path, max_bytes)
    if snapshots is not None:
        snapshot = _load_snapshot(raw, path, defaults, jobs)
        if snapshot is not None:
            snapshots.append((at, snapshot[1]))
            return snapshot[0]
    found = _load_ascii_json(raw, path) if raw.isascii() else None
    if found is None:
        text = decode(raw)
        if max_yaml_bytes is not None and len(raw) > max_yaml_bytes and not _one_json_value(text):
            raise LoadError(
                f"file is {len(raw)} bytes and not one JSON value: over the limit of "
                f"{max_yaml_bytes} for YAML (a JSON file may have up to {max_bytes}; "
                "--max-bytes)",
                file=path,
            )
        found = list(load_text(text, path))
    if defaults is None:
        return found
    from podgate.io.prepare import prepare_read  # (imported by the process that parses)

    return prepare_read(found, defaults)


def _load_or_error(
    path: str,
    max_bytes: int,
    snapshots: list[tuple[int, Snapshot]] | None = None,
    max_yaml_bytes: int | None = None,
    defaults: bool | None = None,
    jobs: int = 1,
) -> list[Document] | LoadError:
    """The documents of one file, or why it could not be read (`snapshots`, `max_yaml_bytes`,
    `defaults`, `jobs`: see `_load_file`; the file's documents are the first read)."""
    try:
        return _load_file(
            path,
            max_bytes,
            snapshots,
            max_yaml_bytes=max_yaml_bytes,
            defaults=defaults,
            jobs=jobs,
        )
    except LoadError as e:
        e.__traceback__ = None  # keep no frames (and no cycles through them)
        return e


ParseEach = Callable[[Callable[[str], list[Document] | LoadError], Sequence[str]], Iterable[Any]]
"""Parses each file with the function given, handing the results back in order (one file
alone in this process)."""


def _identity(obj: Obj) -> tuple[str, str, str]:
    """(namespace, kind, name) as the scan tells objects apart (scan.inventory)."""
    meta = mapping(obj.get("metadata"))
    ns = str(meta.get("namespace") or "default")
    return (ns, str(obj.get("kind") or ""), str(meta.get("name") or meta.get("generateName") or ""))


def _whole_where_alike(docs: list[Document], snapshots: list[tuple[int, Snapshot]]) -> None:
    """Decode whole again each trimmed item that shares its identity with another object
    read: the scan compares those whole ("identical" or "they differ")."""
    from podgate.io.snapshot import UNREADABLE

    counts = Counter(_identity(d.obj) for d in docs)
    if max(counts.values(), default=0) < 2:
        return
    for first, snap in snapshots:
        for i, cut in enumerate(snap.trimmed):
            at = first + i
            if not cut or counts[_identity(docs[at].obj)] < 2:
                continue
            d = docs[at]
            try:
                obj = snap.whole(i)
            except UNREADABLE:  # in a field the trimmed decode skipped (status: 1e400)
                text = bytes(snap.raws[i]).decode()  # read as the usual path reads it
                decoder = GoNumbers()
                obj = decoder.decode(text)
                found = beyond_range(decoder, obj)
                if found is not None:  # the list's line: where the item is was not kept
                    field = None if found.field is None else ("items", i, *found.field)
                    message = BeyondRange(found.text, field).message()
                    raise LoadError(message, file=d.file, document=d.index, line=d.line) from None
            docs[at] = _list_item(obj, i, snap.kind, snap.api_version, d.file, d.index, d.line)


def _has_kinds(docs: list[Document]) -> bool:
    """Whether any of `docs` is a Kubernetes object (has a kind)."""
    return any(_is_text(d.obj.get("kind")) for d in docs)


def _failure_report(failures: list[tuple[LoadError, list[str]]]) -> LoadError:
    if len(failures) == 1 and not failures[0][1]:
        return failures[0][0]
    n = len(failures)
    lines = [
        f"{n} input{'s' if n != 1 else ''} could not be read (nothing was checked; "
        "leave files out on purpose with --exclude GLOB):"
    ]
    lines.extend(f"  {e}" for e, _ in failures)
    lines.extend(f"hint: {h}" for h in dict.fromkeys(h for _, hs in failures for h in hs))
    error = LoadError("\n".join(lines))
    error.file = failures[0][0].file
    return error


def _hidden_note(hidden: Sequence[str]) -> str:
    """Which files under hidden directories were left out (the first few by name)."""
    shown = ", ".join(hidden[:3]) + (f" and {len(hidden) - 3} more" if len(hidden) > 3 else "")
    files = "file" if len(hidden) == 1 else "files"
    return (
        f"{len(hidden)} {files} under hidden directories left out, not judged: {shown} "
        "(`kubectl apply -R -f` would read them: give such a file or directory by its path "
        "to judge it)"
    )


def load_documents(
    paths: Iterable[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    require_objects: bool = False,
    exclude: Sequence[str] = (),
    notes: list[str] | None = None,
    command: str = "scan",
    parse_each: ParseEach | None = None,
    trim: bool = False,
    max_yaml_bytes: int | None = None,
    defaults: bool | None = None,
    jobs: int = 1,
) -> list[Document]:
    """Every object in the given files and directories (recursively: .yaml, .yml, .json; files
    under a hidden directory and those matching an `exclude` glob left out), `-` for stdin.
    Every file is read; then one LoadError names every one that could not be (with hints: a
    kustomization or Helm chart to render first, for `podgate COMMAND -`). `require_objects`:
    an input that holds no object at all is an error too. `notes` hears how many files
    `exclude` left out, and which were left out for being under a hidden directory.
    `parse_each` parses the files (`map` here; `io/parallel.py` on every core). `trim`: Pods
    and workloads of a JSON snapshot are decoded to what a scan reads of them (io/snapshot.py:
    not their status, managedFields, nor containers' env and resources), when it is the one
    file read (then in this process, its items' bytes at hand to decode one whole again), and
    kept packed until the scan judges each (k8s/packed.py), its items read on `jobs` cores when
    it is large (io/snapshot_load.py). `defaults`: the documents of each file prepared as
    `io.prepare` prepares them with `defaults`, by the process that parses it
    (`io.prepare.prepare_read`; kept as read when it is None). `max_yaml_bytes`: a lower cap
    for a file that is not one JSON value (YAML, a JSON stream); `max_bytes` is then the cap
    of a JSON file."""
    out: list[Document] = []
    snapshots: list[tuple[int, Snapshot]] | None = None
    failures: list[tuple[LoadError, list[str]]] = []
    excluded = 0
    hidden: list[str] = []
    enabled = gc.isenabled()
    gc.disable()  # the cyclic GC makes bulk parsing several times slower
    try:
        inputs = [(given, expand(given, exclude)) for given in paths]
        files = [path for _, found in inputs for path in found.files]
        if trim and len(files) == 1:
            # one file: in this process (`parse_each` parses one file here), its items on
            # `jobs` cores
            snapshots = []
        parse = partial(
            _load_or_error,
            max_bytes=max_bytes,
            snapshots=snapshots,
            max_yaml_bytes=max_yaml_bytes,
            defaults=defaults,
            jobs=jobs if snapshots is not None else 1,
        )
        loaded = iter((parse_each or map)(parse, files))
        for given, found in inputs:
            excluded += found.excluded
            hidden.extend(found.hidden)
            failures.extend((e, []) for e in found.refused)
            before = len(out)
            failed = bool(found.refused)
            for path in found.files:
                docs = next(loaded)
                if isinstance(docs, LoadError):
                    failures.append((docs, hints(path, given, command)))
                    failed = True
                else:
                    out.extend(docs)
            if require_objects and not failed and not _has_kinds(out[before:]):
                empty = LoadError(f"no Kubernetes objects in {given}")
                empty.file = given
                failures.append((empty, []))
        if snapshots and not failures:
            _whole_where_alike(out, snapshots)  # with the collector still off: see gc.freeze
    finally:
        if enabled:
            gc.enable()
    if failures:
        raise _failure_report(failures)
    if excluded and notes is not None:
        notes.append(f"{excluded} file{'s' if excluded != 1 else ''} left out by --exclude")
    if hidden and notes is not None:
        notes.append(_hidden_note(hidden))
    # The documents hold no reference cycles and live as long as the scan; a full collection
    # would walk all of their millions of objects again each time (seconds on a large
    # snapshot), so they go to the collector's permanent generation. They are still freed
    # by reference counting. Reading made no cycles (tests/io/test_loader_memory.py), so no
    # garbage is frozen with them.
    gc.freeze()
    return out
