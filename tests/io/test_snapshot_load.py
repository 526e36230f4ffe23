"""A JSON snapshot's items read on two cores (io/snapshot_load.py) give what one core gives:
the same documents, packed alike, the same first error, and the usual path for a file whose
proof (`read_as_orjson`) fails or whose item msgspec cannot read. The pool is forced on these
small files (PODGATE_POOL_MIN=0), and each test checks that a worker was started; each runs
twice: with this process reading spans too, and with the workers reading every span (so that
every document crosses back, whichever process is faster)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from podgate.io import loader, pool
from podgate.io.loader import load_documents
from podgate.k8s.packed import PackedDocument
from podgate.k8s.source import Document
from tests.conftest import count_forks


@pytest.fixture(params=["shared", "workers-only"])
def forks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pool forced on small inputs; the workers started, counted. "workers-only": this
    process reads no span itself."""
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    if request.param == "workers-only":
        real_map = pool.ordered_map

        def workers_only(*args: Any, **kwargs: Any) -> Any:
            kwargs.pop("here", None)
            return real_map(*args, **kwargs)

        monkeypatch.setattr(pool, "ordered_map", workers_only)
    return count_forks(monkeypatch)


def _pod(i: int, **extra: Any) -> dict[str, Any]:
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"rs-{i % 3}", "uid": "u"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"p-{i}",
            "namespace": f"ns-{i % 2}",
            "ownerReferences": [{**owner, "controller": True}],
        },
        "spec": {
            "hostNetwork": i % 5 == 0,
            "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 80}]}],
            "volumes": [{"name": "v"}],
        },
        **extra,
    }


def _items(n: int) -> list[Any]:
    out: list[Any] = []
    for i in range(n):
        out.append(_pod(i))
        if i % 7 == 0:
            out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}})
    return out


def _write(path: Path, items: list[Any], text: str | None = None) -> str:
    body = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=1)
    if text is not None:  # an item written as given, at the end
        body = body[: body.rindex("]")] + ", " + text + "]}"
    path.write_text(body)
    return str(path)


def _read(path: str, jobs: int, defaults: bool | None = True) -> list[Document] | str:
    try:
        return load_documents([path], max_bytes=1 << 30, trim=True, defaults=defaults, jobs=jobs)
    except Exception as e:  # noqa: BLE001 - compared: both must fail alike
        return f"{type(e).__name__}: {e}"


def _plain(doc: Document) -> tuple[Any, ...]:
    if isinstance(doc, PackedDocument):
        b = doc.body
        return ("packed", doc.obj, doc.source, doc.defaulted, doc.pod, b.data, b.spec, b.prepared)
    return ("whole", doc.obj, doc.source, doc.defaulted, doc.pod)


@pytest.mark.parametrize("defaults", [True, False, None])
def test_a_snapshot_read_on_two_cores_gives_the_documents_one_core_gives(
    forks: list[int], tmp_path: Path, defaults: bool | None
) -> None:
    path = _write(tmp_path / "s.json", _items(60))
    one = _read(path, 1, defaults)
    assert not forks
    two = _read(path, 2, defaults)
    assert forks, "no worker was started"
    assert isinstance(one, list) and isinstance(two, list)
    assert [_plain(d) for d in two] == [_plain(d) for d in one]
    assert sum(isinstance(d, PackedDocument) for d in two) == 60
    assert any(d.defaulted for d in two) is bool(defaults)


def test_the_heads_of_items_read_by_a_worker_share_their_values_as_on_one_core(
    forks: list[int], tmp_path: Path
) -> None:
    path = _write(tmp_path / "s.json", _items(60))
    two = _read(path, 2)
    assert forks and isinstance(two, list)
    owners = {}
    for d in two:
        meta = d.obj["metadata"]
        if "ownerReferences" in meta:
            owners.setdefault(id(meta["ownerReferences"]), meta["ownerReferences"])
    assert len(owners) == 3  # one object per distinct value, wherever it was decoded


def test_items_read_twice_whole_are_those_a_worker_trimmed(
    forks: list[int], tmp_path: Path
) -> None:
    """An identity read twice is decoded whole again at the end: the worker's trimmed flags
    are the ones that say which items were trimmed."""
    items = _items(60)
    items.append(_pod(59))  # the last pod again: both are compared whole
    path = _write(tmp_path / "s.json", items)
    one, two = _read(path, 1), _read(path, 2)
    assert forks and isinstance(one, list) and isinstance(two, list)
    assert [_plain(d) for d in two] == [_plain(d) for d in one]
    twice = [d for d in two if d.obj.get("metadata", {}).get("name") == "p-59"]
    assert len(twice) == 2 and not any(isinstance(d, PackedDocument) for d in twice)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(["5", "7"], id="two-items-not-objects"),
        pytest.param(['{"kind": 3, "metadata": {}}'], id="kind-not-a-string"),
        pytest.param(['{"apiVersion": "v1", "kind": "Pod", "metadata": {}}'], id="no-pod-spec"),
    ],
)
def test_the_first_item_refused_is_the_error_on_two_cores_as_on_one(
    forks: list[int], tmp_path: Path, bad: list[str]
) -> None:
    items = [json.dumps(i) for i in _items(60)]
    for n, text in enumerate(bad):  # in the middle, and in a later span
        items.insert(20 + 25 * n, text)
    path = tmp_path / "s.json"
    path.write_text('{"apiVersion": "v1", "kind": "List", "items": [' + ",\n".join(items) + "]}")
    one, two = _read(str(path), 1), _read(str(path), 2)
    assert forks
    assert isinstance(one, str) and one.startswith("LoadError")
    assert two == one


def _usual(monkeypatch: pytest.MonkeyPatch, path: str) -> list[Document] | str:
    with monkeypatch.context() as m:
        m.setattr(loader, "_load_snapshot", lambda *args: None)
        return _read(path, 1)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            '{"kind": "Pod", "apiVersion": "v1", "metadata": {"labels": {"x": 1e400}}}', id="1e400"
        ),
        pytest.param('{"kind": "Pod", "apiVersion": "v1", "a": 18446744073709551616}', id="2**64"),
        pytest.param('{"kind": "ConfigMap", "data": ' + "[" * 200 + "]" * 200 + "}", id="deep"),
    ],
)
def test_a_file_one_item_of_which_msgspec_cannot_read_as_orjson_goes_the_usual_way(
    forks: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    """The item is the last, so that the spans before it are read (by both processes) first."""
    path = _write(tmp_path / "s.json", _items(60), text)
    raw = Path(path).read_bytes()
    assert loader._load_snapshot(raw, path, True, 2) is None
    assert forks
    usual = _usual(monkeypatch, path)
    assert _read(path, 2) == usual == _read(path, 1)  # the usual path's error, said alike


def test_the_workers_are_ended_when_the_proof_fails(forks: list[int], tmp_path: Path) -> None:
    text = '{"kind": "ConfigMap", "data": ' + "[" * 200 + "]" * 200 + "}"
    path = _write(tmp_path / "s.json", _items(60), text)
    assert loader._load_snapshot(Path(path).read_bytes(), path, True, 2) is None
    assert forks
    for pid in forks:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # waited for already: none left running
