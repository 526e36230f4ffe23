"""`io/parallel.py`: the documents a worker parses come back to the parent packed (marshal) when
they are plain and of the built-in types marshal carries exactly; otherwise as they were parsed
(pickled)."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import orjson
import pytest

from podgate.errors import LoadError
from podgate.io import parallel
from podgate.io.loader import load_documents
from podgate.k8s.source import Document, Source

ROOT = Path(__file__).resolve().parents[2]


def _shown(docs: list[Document]) -> list[tuple[bytes, Source | None, tuple[object, ...]]]:
    """What a document is, telling 1 from 1.0 from True, and keeping key order."""
    return [(orjson.dumps(d.obj), d.source, d.defaulted) for d in docs]


def _exactly(docs: list[Document]) -> list[tuple[str, Source | None, tuple[object, ...]]]:
    """`_shown`, NaN, tuples, ints past 64 bits and keys that are no strings told apart too."""
    return [(repr(d.obj), d.source, d.defaulted) for d in docs]


def test_packed_documents_come_back_equal_with_their_types_order_and_sources() -> None:
    docs = [
        Document(
            {"kind": "Pod", "b": 1, "a": 1.0, "c": True, "d": None, "e": [0.5, -0.0, "é"]},
            Source("f.yaml", 0, 3),
        ),
        Document({"kind": "Pod", "big": 2**63 - 1, "neg": -(2**63)}, Source("f.yaml", 1, 9, 2)),
    ]
    sent = pickle.loads(pickle.dumps(parallel._pack(docs)))
    assert isinstance(sent, parallel._Packed)
    assert _shown(parallel._unpack(sent)) == _shown(docs)


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param({"a": math.nan}, id="nan"),
        pytest.param({"a": [math.inf, -math.inf]}, id="infinity"),
        pytest.param({"a": 2**64, "b": -(2**70)}, id="ints-past-64-bits"),
        pytest.param({"a": (1, 2)}, id="a-tuple"),
        pytest.param({1: "a", None: "b"}, id="keys-not-strings"),
    ],
)
def test_what_json_could_not_carry_comes_back_exactly(obj: dict[object, object]) -> None:
    docs = [Document({"kind": "Pod"}, Source("f", 0, 1)), Document(obj, Source("f", 1, 2))]  # type: ignore[arg-type]
    sent = pickle.loads(pickle.dumps(parallel._pack(docs)))
    assert isinstance(sent, parallel._Packed)
    assert _exactly(parallel._unpack(sent)) == _exactly(docs)


class _Text(str):
    """A string of another type, as no parse makes."""


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param({"a": _Text("x")}, id="a-str-subclass"),
        pytest.param({"a": [object()]}, id="an-object"),
    ],
)
def test_what_marshal_cannot_carry_is_sent_as_parsed(obj: dict[str, object]) -> None:
    docs = [Document({"kind": "Pod"}, Source("f", 0, 1)), Document(obj, Source("f", 1, 2))]
    assert parallel._pack(docs) is docs


def test_errors_and_documents_not_plain_are_sent_as_parsed() -> None:
    error = LoadError("bad", file="f")
    assert parallel._pack(error) is error
    unsourced = [Document({"kind": "Pod"})]
    assert parallel._pack(unsourced) is unsourced


@pytest.mark.e2e
def test_files_parsed_on_two_processes_are_the_documents_one_process_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PODGATE_POOL_MIN", "0")
    paths = [str(ROOT / "tests" / "corpus"), str(ROOT / "examples")]
    one = load_documents(paths, parse_each=parallel.parsing(1))
    two = load_documents(paths, parse_each=parallel.parsing(2))
    assert len(one) > 100
    assert _shown(two) == _shown(one)
