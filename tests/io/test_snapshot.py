"""JSON snapshots decoded to what a scan reads (io/snapshot.py, issue 12 point 4).

The trimmed decode must change nothing a scan says: every output format of `podgate scan` is
byte for byte the same with the trimmed decode as with the full one (the loader's usual path),
on generated clusters, on the test corpora written as snapshots, and on generated items with
extra fields and fields of odd JSON types; errors are the same errors. And no reader of a scan
reads a field the trimmed decode leaves out: every key read from an object, watched while the
scan and its reports run, is a field the trimmed types keep."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import typing
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import podgate.cli.scan as cli_scan
from podgate.cli.main import cli
from podgate.io import loader
from podgate.io.loader import load_documents
from podgate.io.snapshot import DROPPED, TRIMMED_TYPES
from podgate.k8s.packed import PackedDocument
from podgate.k8s.source import Document
from podgate.psp.patch import _diff

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
FORMATS = ("text", "json", "sarif", "junit", "policyreport", "html")
# as /work/golden normalises outputs: the report's own timestamps and durations
_VARYING = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"), "<TS>"),
    (re.compile(r'(seconds"?:\s*)\d{9,}'), r"\1<S>"),
    (re.compile(r'(nanos"?:\s*)\d+'), r"\1<N>"),
    (re.compile(r"\b\d+(\.\d+)? ?(ms|s)\b(?= |\)|$)", re.MULTILINE), "<T>"),
]


def _scan(args: list[str]) -> tuple[int, str, str, str]:
    """Exit code, output (timestamps normalised), errors, and the exception that escaped, if
    one did (both decodes must fail alike too)."""
    result = CliRunner().invoke(cli, ["scan", *args])
    out = result.stdout
    for pattern, text in _VARYING:
        out = pattern.sub(text, out)
    escaped = "" if isinstance(result.exception, SystemExit | None) else repr(result.exception)
    return result.exit_code, out, result.stderr, escaped


def _both(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> tuple[Any, Any]:
    """`podgate scan ARGS` with the trimmed decode, then with the full decode."""
    trimmed = _scan(args)
    with monkeypatch.context() as m:
        m.setattr(loader, "_load_snapshot", lambda *args: None)
        full = _scan(args)
    return trimmed, full


def _trimmed_something(path: Path) -> bool:
    """Whether the trimmed decode took `path` and left a field out (else a comparison proves
    nothing)."""
    cut = load_documents([str(path)], trim=True, max_bytes=1 << 30)
    whole = load_documents([str(path)], max_bytes=1 << 30)
    return any(_whole(a).obj != b.obj for a, b in zip(cut, whole, strict=True))


def _whole(doc: Document) -> Document:
    """`doc` with its whole object, unpacked if it is packed (k8s/packed.py)."""
    return doc.whole() if isinstance(doc, PackedDocument) else doc


def _write_list(path: Path, items: list[Any]) -> Path:
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> list[Path]:
    """Three generated clusters (120 pods each, seeds 1-3), as `kubectl get -o json` lists."""
    out = []
    for seed in (1, 2, 3):
        path = tmp_path_factory.mktemp("gen") / f"cluster-{seed}.json"
        gen = shared_dir / "bench" / "gen_cluster.py"
        cmd = [sys.executable, str(gen), "--pods", "120", "--seed", str(seed), "-o", str(path)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        out.append(path)
    return out


@pytest.mark.e2e
@pytest.mark.shared
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "options",
    [
        pytest.param([], id="default"),
        pytest.param(["--level", "restricted", "--psp", "on"], id="restricted-psp"),
        pytest.param(["--from-namespace-labels", "--user", "alice"], id="labels-user"),
        pytest.param(["--no-defaults", "--psp", "on"], id="no-defaults"),
    ],
)
def test_every_output_of_a_generated_cluster_is_the_same_as_with_the_full_decode(
    monkeypatch: pytest.MonkeyPatch, clusters: list[Path], seed: int, options: list[str]
) -> None:
    path = clusters[seed]
    assert _trimmed_something(path)
    for fmt in FORMATS:
        trimmed, full = _both(monkeypatch, [str(path), "-o", fmt, *options])
        assert trimmed == full, fmt


def _corpus_objects(name: str) -> list[Any]:
    return [d.obj for d in load_documents([str(CORPUS / name)])]


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir() if p.is_dir()))
def test_every_output_of_a_corpus_as_a_snapshot_is_the_same_as_with_the_full_decode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    path = _write_list(tmp_path / "snapshot.json", _corpus_objects(name))
    policies = [str(ROOT / "examples" / "policies"), str(ROOT / "examples" / "rbac")]
    for fmt in FORMATS:
        trimmed, full = _both(monkeypatch, [str(path), *policies, "-o", fmt])
        assert trimmed == full, fmt


# --- generated items: extra fields and fields of odd JSON types -------------------------------

_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.text(max_size=3),
    st.builds(list),  # new objects each time: a drawn value may be changed by a later step
    st.builds(dict),
    st.builds(lambda: {"x": [1, {"privileged": True}]}),
)
_EXTRA_KEYS = st.sampled_from(
    ["status", "managedFields", "env", "envFrom", "resources", "extra", "items", "kind"]
)


def _container(i: int, privileged: bool) -> dict[str, Any]:
    return {
        "name": f"c{i}",
        "image": "nginx",
        "env": [{"name": "A", "value": "1"}],
        "resources": {"limits": {"cpu": "1"}},
        "securityContext": {"privileged": privileged, "runAsUser": 0},
        "ports": [{"containerPort": 80, "hostPort": 8080 if privileged else 0}],
    }


def _pod_spec(privileged: bool) -> dict[str, Any]:
    return {
        "containers": [_container(0, privileged), _container(1, False)],
        "volumes": [{"name": "v", "hostPath": {"path": "/"}}] if privileged else [],
        "hostNetwork": privileged,
    }


def _base(kind: str, name: str, privileged: bool) -> dict[str, Any]:
    meta = {"name": name, "namespace": "ns", "managedFields": [{"manager": "kubectl"}]}
    template = {"metadata": {"labels": {"a": "b"}}, "spec": _pod_spec(privileged)}
    body: dict[str, Any] = {
        "Pod": {"apiVersion": "v1", "spec": _pod_spec(privileged), "status": {"phase": "Running"}},
        "Deployment": {"apiVersion": "apps/v1", "spec": {"replicas": 1, "template": template}},
        "CronJob": {
            "apiVersion": "batch/v1",
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}},
        },
        "PodTemplate": {"apiVersion": "v1", "template": template},
        "ServiceAccount": {"apiVersion": "v1"},
    }[kind]
    return {"kind": kind, "metadata": meta, **body}


def _places(obj: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every object within `obj`."""
    if isinstance(obj, dict):
        yield at
        for k, v in obj.items():
            yield from _places(v, (*at, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _places(v, (*at, i))


@st.composite
def _items(draw: st.DrawFn) -> list[Any]:
    items = []
    for n in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(["Pod", "Deployment", "CronJob", "PodTemplate", "ServiceAccount"])
        )
        obj = _base(kind, draw(st.sampled_from([f"w{n}", "same"])), draw(st.booleans()))
        for _ in range(draw(st.integers(0, 3))):
            places = sorted(_places(obj), key=repr)
            at = draw(st.sampled_from(places))
            node = obj
            for step in at:
                node = node[step]
            if node and draw(st.booleans()):  # an existing field gets an odd value
                key = draw(st.sampled_from(sorted(node)))
            else:
                key = draw(_EXTRA_KEYS)
            node[key] = draw(_ODD)
        items.append(obj)
    return items


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=_items())
def test_generated_items_with_extra_and_odd_fields_scan_as_with_the_full_decode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, items: list[Any]
) -> None:
    path = _write_list(tmp_path / "items.json", items)
    for fmt in ("json", "text"):
        trimmed, full = _both(monkeypatch, [str(path), "-o", fmt, "--psp", "off"])
        assert trimmed == full, fmt


# --- where the trimmed decode does not apply, or decodes an item whole -------------------------


def _pod(name: str, **spec: Any) -> dict[str, Any]:
    container = {"name": "c", "image": "nginx", "env": [{"name": "A", "value": "1"}]}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"containers": [container], **spec},
        "status": {"phase": "Running"},
    }


def test_pods_lose_only_what_dropped_names(tmp_path: Path) -> None:
    projected = {"defaultMode": 420, "sources": [{"serviceAccountToken": {"path": "token"}}]}
    pod = _pod(
        "p",
        hostPID=True,
        nodeName="n",
        tolerations=[{}],
        restartPolicy="Always",
        volumes=[{"name": "t", "projected": projected}, {"name": "h", "hostPath": {"path": "/"}}],
    )
    pod["metadata"].update(
        managedFields=[{"manager": "kubectl"}], resourceVersion="1", creationTimestamp="t"
    )
    probe = {"httpGet": {"host": "h", "port": 8080, "path": "/"}, "periodSeconds": 5}
    pod["spec"]["containers"][0].update(
        envFrom=[{}],
        resources={},
        securityContext={"a": 1},
        command=["x"],
        imagePullPolicy="Always",
        livenessProbe=probe,
        readinessProbe={"tcpSocket": {"port": 1}, "exec": {"command": ["y"]}},
        volumeMounts=[{"name": "h", "mountPath": "/h", "readOnly": True}],
    )
    path = _write_list(tmp_path / "s.json", [pod])
    (packed,) = load_documents([str(path)], trim=True)
    assert isinstance(packed, PackedDocument)
    assert _whole(packed).obj == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "securityContext": {"a": 1},
                    "livenessProbe": {"httpGet": {"host": "h"}},
                    "readinessProbe": {"tcpSocket": {}, "exec": {"command": ["y"]}},
                    "volumeMounts": [{"name": "h", "readOnly": True}],
                }
            ],
            "hostPID": True,
            "volumes": [{"name": "t", "projected": {}}, {"name": "h", "hostPath": {"path": "/"}}],
        },
    }
    assert DROPPED["object"] == ("status",)
    assert {"env", "envFrom", "resources", "image", "command"} <= set(DROPPED["container"])


def test_what_dropped_names_is_what_the_trimmed_types_leave_out() -> None:
    """`DROPPED` is the list a reader checks; the types are what decodes: the same fields."""
    pod = TRIMMED_TYPES[("Pod", "v1")]
    hints = typing.get_type_hints(pod)
    spec = typing.get_type_hints(hints["spec"])
    container = typing.get_type_hints(typing.get_args(spec["containers"])[0])
    probe = typing.get_type_hints(container["livenessProbe"])
    meta = typing.get_type_hints(hints["metadata"])
    for where, fields in (
        (hints, DROPPED["object"]),
        (meta, DROPPED["metadata"]),
        (spec, DROPPED["pod spec"]),
        (container, DROPPED["container"]),
        (probe, DROPPED["probe"]),
        (typing.get_type_hints(probe["httpGet"]), DROPPED["probe httpGet"]),
        (typing.get_type_hints(probe["tcpSocket"]), DROPPED["probe tcpSocket"]),
        (
            typing.get_type_hints(typing.get_args(container["volumeMounts"])[0]),
            DROPPED["volume mount"],
        ),
    ):
        assert not set(fields) & set(where)


def test_other_kinds_and_kinds_of_other_api_groups_are_kept_whole(tmp_path: Path) -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "status": 1}
    other = {**_pod("q"), "apiVersion": "example.com/v1"}
    path = _write_list(tmp_path / "s.json", [role, other])
    assert [d.obj for d in load_documents([str(path)], trim=True)] == [role, other]


def test_an_item_of_another_json_type_than_the_api_is_decoded_whole(tmp_path: Path) -> None:
    pod = _pod("p")
    pod["spec"]["containers"] = {"not": "a list"}
    path = _write_list(tmp_path / "s.json", [pod])
    assert load_documents([str(path)], trim=True)[0].obj == pod


def test_a_typed_list_without_item_kinds_is_trimmed_as_its_kind(tmp_path: Path) -> None:
    item = {k: v for k, v in _pod("p").items() if k not in ("kind", "apiVersion")}
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "PodList", "items": [item]}))
    (got,) = map(_whole, load_documents([str(path)], trim=True))
    assert got.obj["kind"] == "Pod" and "status" not in got.obj


@pytest.mark.parametrize(
    ("first", "last", "trimmed"),
    [("Pod", "Secret", False), ("Secret", "Pod", True), ("Pod", "Pod", True)],
)
def test_a_kind_written_twice_is_read_by_the_last_as_the_full_decode_reads_it(
    tmp_path: Path, first: str, last: str, trimmed: bool
) -> None:
    """The trimmed decode peeks at an item's leading apiVersion and kind; JSON decoders keep a
    key's last value, so a later duplicate decides, as in the full decode."""
    pod = _pod("p")
    body = json.dumps({k: v for k, v in pod.items() if k not in ("apiVersion", "kind")})
    item = f'{{"apiVersion": "v1", "kind": "{first}", {body[1:-1]}, "kind": "{last}"}}'
    path = tmp_path / "s.json"
    path.write_text(f'{{"apiVersion": "v1", "kind": "List", "items": [{item}]}}')
    (got,) = map(_whole, load_documents([str(path)], trim=True))
    (whole,) = load_documents([str(path)])
    assert got.obj["kind"] == whole.obj["kind"] == last
    assert ("status" not in got.obj) is trimmed
    if not trimmed:
        assert got.obj == whole.obj


def test_objects_sharing_an_identity_are_compared_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a, b = _pod("same"), _pod("same")
    b["spec"]["containers"][0]["env"] = [{"name": "B", "value": "2"}]  # only what is dropped
    path = _write_list(tmp_path / "s.json", [a, b])
    trimmed, full = _both(monkeypatch, [str(path), "-o", "json"])
    assert trimmed == full
    assert "they differ" in trimmed[1]
    other = _write_list(tmp_path / "t.json", [_pod("same")])
    trimmed, full = _both(monkeypatch, [str(path), str(other), "-o", "text"])
    assert trimmed == full


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"runAsUser": 18446744073709551616}', id="integer-over-64-bits"),
        pytest.param('{"runAsUser": -9223372036854775809}', id="integer-under-64-bits"),
        pytest.param('{"runAsUser": 1e400}', id="infinite-float"),
        pytest.param('{"runAsUser": 0, "x": ' + "[" * 250 + "]" * 250 + "}", id="too-deep"),
        pytest.param('{"runAsUser": "\\ud800"}', id="lone-surrogate"),
    ],
)
def test_snapshots_msgspec_could_read_otherwise_than_orjson_scan_as_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    pod = json.dumps(_pod("p")).replace('"name": "c",', f'"name": "c", "securityContext": {text},')
    path = tmp_path / "s.json"
    path.write_text('{"apiVersion": "v1", "kind": "List", "items": [' + pod + "]}")
    trimmed, full = _both(monkeypatch, [str(path), "-o", "json"])
    assert trimmed == full


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"kind": "List", "items": [1]}', id="item-not-an-object"),
        pytest.param('{"kind": "Pod", "items": []}', id="not-a-list-kind"),
        pytest.param(
            '{"kind": "List", "items": [{"kind": "Pod", "apiVersion": "v1"}]}', id="no-spec"
        ),
        pytest.param(
            '{"kind": "List", "items": [{"kind": "Pod", "apiVersion": "v1", "spec": {}, '
            '"items": [1]}]}',
            id="nested-list",
        ),
        pytest.param('{"kind": "List", "items": []} {"kind": "Pod"}', id="two-values"),
    ],
)
def test_bad_snapshots_give_the_same_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "s.json"
    path.write_text(text)
    trimmed, full = _both(monkeypatch, [str(path)])
    assert trimmed == full
    assert trimmed[0] == 2


# --- no reader reads what is left out ---------------------------------------------------------

_READS: set[tuple[tuple[str, str], tuple[Any, ...], Any]] = set()


# The one reader let through: the JSON patch between a pod and its admitted copy (psp/patch.py)
# visits every key the two have, and emits nothing for a key both have unchanged. A key the
# trimmed decode leaves out is in neither, so it makes no operation either way.
_PATCH_DIFF = _diff.__code__


def _note(item: tuple[str, str], at: tuple[Any, ...], key: Any) -> None:
    if sys._getframe(2).f_code is not _PATCH_DIFF:
        _READS.add((item, at, key))


class _Watched(dict[str, Any]):
    """A decoded object that notes every key read from it (kind of its item, path, key)."""

    item: tuple[str, str]
    at: tuple[Any, ...]

    def __getitem__(self, key: str) -> Any:
        _note(self.item, self.at, key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        _note(self.item, self.at, key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        _note(self.item, self.at, key)
        return super().__contains__(key)


def _watch(value: Any, item: tuple[str, str], at: tuple[Any, ...] = ()) -> Any:
    if isinstance(value, dict):
        out = _Watched({k: _watch(v, item, (*at, k)) for k, v in value.items()})
        out.item, out.at = item, at
        return out
    if isinstance(value, list):
        return [_watch(v, item, (*at, "*")) for v in value]
    return value


def _in_a_projected_volume(at: tuple[Any, ...]) -> bool:
    """Whether `at` is in a projected volume of a pod spec (emptied by the trimmed decode)."""
    return any(at[i : i + 3] == ("volumes", "*", "projected") for i in range(len(at)))


def _kept(item_type: Any, at: tuple[Any, ...], key: Any) -> bool:
    """Whether the trimmed type of an item keeps `key` at path `at` (anything under a field
    kept whole is kept, but for what a projected volume projects)."""
    if _in_a_projected_volume(at):
        return False
    t = item_type
    for step in (*at, key):
        if t is Any:
            return True
        if typing.get_origin(t) is list:
            if step != "*":
                return False
            t = typing.get_args(t)[0]
            continue
        fields = typing.get_type_hints(t)
        if step not in fields:
            return False
        t = fields[step]
    return True


@pytest.mark.e2e
@pytest.mark.shared
def test_no_reader_of_a_scan_reads_a_field_the_trimmed_decode_leaves_out(
    monkeypatch: pytest.MonkeyPatch, clusters: list[Path]
) -> None:
    """The scan, each report format, PSP (on, with the cluster's policies and RBAC) and the
    namespace labels read the generated cluster, and the corpora with the example policies;
    every key they read of a Pod or workload is one the trimmed types keep. Reads of absent
    keys count too (a check asks for `hostUsers` whether or not it is set), so a field the
    types do not name, read by any check, fails here."""
    original = cli_scan.read_inputs

    def watched(*args: Any, **kwargs: Any) -> list[Any]:
        kwargs["trim"] = False
        docs = original(*args, **kwargs)
        out = []
        for d in docs:
            kind, api = d.obj.get("kind"), d.obj.get("apiVersion")
            out.append(replace(d, obj=_watch(d.obj, (str(kind), str(api)))))
        return out

    monkeypatch.setattr(cli_scan, "read_inputs", watched)
    _READS.clear()
    corpora = [str(CORPUS / name) for name in ("cluster-dump-api", "istio", "kube-prometheus")]
    examples = [str(ROOT / "examples" / "policies"), str(ROOT / "examples" / "rbac")]
    runs = [
        [str(clusters[0]), "--psp", "on", "--level", "restricted"],
        [str(clusters[1]), "--from-namespace-labels"],
        [*corpora, *examples],
    ]
    for args in runs:
        for fmt in FORMATS:
            code, _, err, escaped = _scan([*args, "-o", fmt])
            assert code in (0, 1), err + escaped
    read = {(item, at, key) for item, at, key in _READS if item in TRIMMED_TYPES}
    assert len(read) > 200  # the watch saw the engines read
    unkept = sorted(
        (item, at, key) for item, at, key in read if not _kept(TRIMMED_TYPES[item], at, key)
    )
    assert unkept == []


def test_a_typed_list_item_with_an_empty_kind_keeps_it(tmp_path: Path) -> None:
    """The loader gives a kind-less item of a `PodList` the list's kind only where the item
    has no `kind` key at all; one with `kind: ""` stays kind-less, and is not trimmed as a Pod."""
    item = {k: v for k, v in _pod("p").items() if k != "apiVersion"} | {"kind": ""}
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "PodList", "items": [item]}))
    (got,) = load_documents([str(path)], trim=True)
    assert got.obj == {"apiVersion": "v1", **item}
