"""`io.prepare.prepare_read`: the documents of each file prepared by the process that parses it
(on every core) are what `prepare` makes of them after reading, and a document `prepare`
refuses is refused by `prepare`, at its turn, as before: after every input is read and in the
order of the documents."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podgate.errors import InternalError, LoadError
from podgate.io import parallel
from podgate.io.loader import load_documents
from podgate.io.prepare import prepare, prepare_read
from podgate.k8s.source import Document, Source
from tests.conftest import RunScan, count_forks

ROOT = Path(__file__).resolve().parents[2]
INPUTS = [str(p) for p in sorted((ROOT / "tests" / "corpus").iterdir()) if p.is_dir()] + [
    str(ROOT / "examples"),
    str(ROOT / "tests" / "psp_conformance"),
]


def _shown(docs: list[Document]) -> list[tuple[bytes, Source | None, tuple[str, ...]]]:
    """What a document is, telling 1 from 1.0 from True, and keeping key order."""
    return [(orjson.dumps(d.obj), d.source, tuple(repr(x) for x in d.defaulted)) for d in docs]


def _bad_pod(name: str) -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\n"
        "spec:\n  containers:\n  - name: c\n    securityContext: {runAsUser: '0'}\n"
    )


GOOD_POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  volumes: [{name: v}]\n"


@pytest.mark.parametrize("defaults", [True, False], ids=["defaults", "no-defaults"])
def test_documents_prepared_as_read_are_what_prepare_makes_of_them(defaults: bool) -> None:
    after = prepare(load_documents(INPUTS), defaults=defaults)
    read = load_documents(INPUTS, defaults=defaults)
    assert len(read) > 150
    assert all(d.prepared is defaults for d in read)
    assert any(d.defaulted for d in read) is defaults
    again = prepare(read, defaults=defaults)
    assert all(a is b for a, b in zip(again, read, strict=True))  # kept as they are
    assert _shown(again) == _shown(after)


# values of any JSON type where a pod's fields are looked for (a wrong type is refused)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "0", "x"]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from("ab"), inner),
    max_leaves=4,
)
_FIELDS = ["volumes", "containers", "hostNetwork", "securityContext", "initContainers"]


@st.composite
def _objects(draw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(_FIELDS), max_size=3, unique=True)):
        spec[key] = draw(
            _VALUES
            | st.lists(st.fixed_dictionaries({"name": st.just("v")}, optional={"x": _VALUES}))
            | st.lists(st.fixed_dictionaries({"name": st.just("c"), "ports": _VALUES}))
        )
    if draw(st.booleans()):
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}
    template = {"metadata": draw(_VALUES | st.just({})), "spec": spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": template}}


def _outcome(docs: list[Document], defaults: bool) -> object:
    try:
        return _shown(prepare(docs, defaults=defaults))
    except LoadError as e:
        return str(e)


@settings(max_examples=300, deadline=None)
@given(st.lists(_objects(), min_size=1, max_size=3), st.booleans())
def test_generated_objects_prepared_as_read_are_prepared_or_refused_alike(
    objs: list[dict[str, Any]], defaults: bool
) -> None:
    docs = [Document(o, Source("f.yaml", i, i + 1)) for i, o in enumerate(objs)]
    assert _outcome(prepare_read(docs, defaults), defaults) == _outcome(docs, defaults)


@pytest.mark.e2e
def test_documents_prepared_on_two_processes_are_what_one_process_prepares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    forks = count_forks(monkeypatch)
    one = load_documents(INPUTS, defaults=True, parse_each=parallel.parsing(1))
    two = load_documents(INPUTS, defaults=True, parse_each=parallel.parsing(2))
    assert forks, "no worker parsed"
    assert _shown(two) == _shown(one)
    assert [d.prepared for d in two] == [d.prepared for d in one] == [True] * len(one)


def test_prepared_documents_come_back_from_a_worker_with_what_was_defaulted() -> None:
    [pod] = prepare_read(
        [Document(orjson.loads(orjson.dumps(_pod_without_volume_source())), Source("f", 0, 1))],
        True,
    )
    assert pod.defaulted
    sent = pickle.loads(pickle.dumps(parallel._pack([pod])))
    assert isinstance(sent, parallel._Packed)
    [back] = parallel._unpack(sent)
    assert (back.obj, back.source, back.defaulted, back.prepared) == (
        pod.obj,
        pod.source,
        pod.defaulted,
        True,
    )


def _pod_without_volume_source() -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "spec": {"volumes": [{"name": "v"}]}}


def test_a_document_prepare_refuses_is_kept_as_read_and_refused_in_its_order(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.yaml").write_text(GOOD_POD + "---\n" + _bad_pod("first"))
    (tmp_path / "b.yaml").write_text(_bad_pod("second"))
    read = load_documents([str(tmp_path)], defaults=True)
    assert [d.prepared for d in read] == [True, None, None]
    assert read[0].defaulted
    with pytest.raises(LoadError) as refused:
        prepare(read)
    assert str(refused.value) == (
        f"{tmp_path}/a.yaml: document 1 (line 7): Pod 'first' is not valid: "
        "spec.containers[0].securityContext.runAsUser: expected an integer, got string '0'"
    )


def test_a_document_read_with_other_defaults_is_an_internal_error() -> None:
    [doc] = prepare_read([Document({"kind": "ConfigMap"}, Source("f", 0, 1))], False)
    assert prepare([doc], defaults=False) == [doc]
    with pytest.raises(InternalError, match="read with defaults=False"):
        prepare([doc], defaults=True)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_unreadable_file_is_reported_before_a_document_prepare_refuses(
    run_scan: RunScan, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, jobs: str
) -> None:
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    forks = count_forks(monkeypatch)
    (tmp_path / "a.yaml").write_text(_bad_pod("bad"))
    (tmp_path / "b.yaml").write_text("kind: Pod\nspec: [unclosed\n")
    ran = run_scan(str(tmp_path), "--jobs", jobs)
    assert bool(forks) is (jobs == "2")
    assert ran.exit_code == 2
    assert "b.yaml" in ran.stderr and "a.yaml" not in ran.stderr
