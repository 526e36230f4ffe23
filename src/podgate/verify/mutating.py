"""Runs the exported MutatingAdmissionPolicy in cel-cpp and proves it against PSP's mutation.

For every pod tried (CREATE, as each requesting identity): the policy's variables are
evaluated as for the ValidatingAdmissionPolicy, then each mutation's JSONPatch expression; the
operations are applied (RFC 6902, `podgate.export.jsonpatch`), the API server's own
validation of the created pod runs (as it does between mutating and validating admission),
and the ValidatingAdmissionPolicy judges the result. The outcome must equal PSP's whole
decision (both phases), and an admitted pod must equal the pod PSP admitted: modulo PSP's
`kubernetes.io/psp` annotation, an emptied annotations map, and the order of capability
lists (sets to the runtime; PSP writes them sorted, the patch appends).

`JSONPatch` is a message type here, with Kubernetes' fields (op, path, from, value), so a
misspelled field does not compile; the Kubernetes list library's `indexOf` is provided here."""

from __future__ import annotations

import importlib
from collections import defaultdict
from dataclasses import replace
from typing import Any

from podgate.export.cluster import Cluster
from podgate.export.jsonpatch import PatchError, apply_patch
from podgate.export.model import ExportResult, Verdict, annotate
from podgate.k8s import Obj, mapping
from podgate.k8s.identity import UserInfo
from podgate.k8s.pod_validation import pod_create_errors
from podgate.k8s.prepare import PSP_RELEASE, prepare_for_create
from podgate.verify import EngineMissing
from podgate.verify.cel import Engine, checked, engine_name
from podgate.verify.common import Tally, Tried, pods_to_try

PSP_ANNOTATION = "kubernetes.io/psp"
ANNOTATION_TO_FIELD = 26  # the last release that copied a seccomp annotation into its field


def _protobuf() -> tuple[Any, Any, Any, Any]:
    try:
        return (
            importlib.import_module("google.protobuf.descriptor_pb2"),
            importlib.import_module("google.protobuf.descriptor_pool"),
            importlib.import_module("google.protobuf.struct_pb2"),
            importlib.import_module("google.protobuf.json_format"),
        )
    except ImportError as e:
        raise EngineMissing(
            "protobuf",
            "--verify of a MutatingAdmissionPolicy needs protobuf: pip install 'podgate[verify]' "
            "(or: pip install protobuf)",
        ) from e


def jsonpatch_pool() -> Any:
    """A descriptor pool holding the message type `JSONPatch` (op, path, from: strings;
    value: any JSON value), as Kubernetes declares it for JSONPatch mutations."""
    descriptor_pb2, descriptor_pool, struct_pb2, _ = _protobuf()
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(struct_pb2.DESCRIPTOR.serialized_pb)
    proto = descriptor_pb2.FileDescriptorProto(
        name="podgate/jsonpatch.proto",
        syntax="proto3",
        dependency=["google/protobuf/struct.proto"],
    )
    message = proto.message_type.add(name="JSONPatch")
    field = descriptor_pb2.FieldDescriptorProto
    for number, name in enumerate(("op", "path", "from"), start=1):
        message.field.add(
            name=name, number=number, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL
        )
    message.field.add(
        name="value",
        number=4,
        type=field.TYPE_MESSAGE,
        type_name=".google.protobuf.Value",
        label=field.LABEL_OPTIONAL,
    )
    pool.Add(proto)
    return pool


def _index_of(items: list[Any], value: Any) -> int:
    """Kubernetes' list `indexOf`: the first index of `value`, or -1."""
    for i, item in enumerate(items):
        if item == value:
            return i
    return -1


def _json(value: Any) -> Any:
    """A google.protobuf.Value read back as JSON: whole numbers are integers (every number PSP
    writes is one)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


class MutatingEngine:
    """The exported MutatingAdmissionPolicy compiled once: its variables in the validating
    engine's environment, its JSONPatch expressions in one with the `JSONPatch` type."""

    def __init__(self, policy: Obj, cluster: Cluster) -> None:
        self._variables = Engine(policy, cluster)  # checks that cel-expr-python is there
        cel = importlib.import_module("cel_expr_python.cel")
        *_, self._json_format = _protobuf()
        t = cel.Type
        index_of = cel.Overload(
            "pg_list_index_of", t.INT, [t.List(t.DYN), t.STRING], is_member=True, impl=_index_of
        )
        env = cel.NewEnv(
            descriptor_pool=jsonpatch_pool(),
            variables={
                "object": t.DYN,
                "oldObject": t.DYN,
                "request": t.DYN,
                "variables": t.DYN,
                "params": t.DYN,
                "namespaceObject": t.DYN,
            },
            functions=[cel.FunctionDecl("indexOf", [index_of])],
        )
        self._env = env
        self._mutations = [
            env.compile(str(m["jsonPatch"]["expression"]))
            for m in mapping(policy.get("spec")).get("mutations", [])
        ]

    def mutate(self, pod: Obj, namespace: str, who: UserInfo) -> tuple[Obj | None, str]:
        """(the pod after every mutation, error text); None with the error when a mutation
        fails (failurePolicy Fail: the request is denied)."""
        _, values, error = self._variables.evaluate(pod, namespace, who)
        if error:
            return None, error
        data = {
            "object": pod,
            "oldObject": None,
            "request": {"namespace": namespace, "operation": "CREATE"},
            "variables": values,
            "params": None,
            "namespaceObject": {"metadata": {"name": namespace}},
        }
        current: Obj = pod
        try:
            for expr in self._mutations:
                data["object"] = current
                ops = [
                    _json(
                        self._json_format.MessageToDict(
                            op.value(), preserving_proto_field_name=True
                        )
                    )
                    for op in checked(expr.eval(self._env.Activation(data)))
                ]
                current = apply_patch(current, ops)
        except PatchError as e:
            return None, f"JSONPatch: {e}"
        except Exception as e:  # noqa: BLE001 - any engine error denies (failurePolicy Fail)
            return None, str(e)
        return current, ""


def normalized(pod: Obj) -> Any:
    """The pod as the comparison reads it (see the module's docstring)."""
    out: dict[str, Any] = dict(pod)
    meta = dict(mapping(out.get("metadata")))
    annotations = {k: v for k, v in mapping(meta.get("annotations")).items() if k != PSP_ANNOTATION}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    spec = dict(mapping(out.get("spec")))
    for lst in ("initContainers", "containers", "ephemeralContainers"):
        if isinstance(spec.get(lst), list):
            spec[lst] = [_container(c) for c in spec[lst]]
    out["spec"] = spec
    return out


def _container(c: Any) -> Any:
    sc = mapping(mapping(c).get("securityContext"))
    caps = sc.get("capabilities")
    if not isinstance(caps, dict):
        return c
    sets = {k: sorted(set(v)) for k, v in caps.items() if k in ("add", "drop") and v}
    return {**c, "securityContext": {**sc, "capabilities": sets}}


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}" if path else key)
        return path
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return path


def verify_mutating(
    result: ExportResult, cluster: Cluster, *, boundary: bool = True
) -> ExportResult:
    """`result` with the MutatingAdmissionPolicy's verdicts (per namespace) decided by
    cel-cpp against PSP's whole decision; unchanged when it has none."""
    found = [o for o in result.objects if o["kind"] == "MutatingAdmissionPolicy"]
    if not found:
        return result
    vap = next(o for o in result.objects if o["kind"] == "ValidatingAdmissionPolicy")
    mutating = MutatingEngine(found[0], cluster)
    validating = Engine(vap, cluster)
    tallies: dict[str, Tally] = defaultdict(Tally)
    for t in pods_to_try(cluster, boundary=boundary):
        _judge(t, cluster, mutating, validating, tallies[t.namespace])
    engine = engine_name()
    outcomes = tuple(tallies[ns].outcome(ns, engine) for ns in sorted(tallies))
    proved = all(o.verdict is Verdict.PROVED for o in outcomes)
    verdict = Verdict.PROVED if proved else Verdict.PARTIAL
    objects = tuple(
        annotate(o, o["metadata"]["annotations"]["podgate.io/source-policy"], verdict)
        if o["kind"].startswith("MutatingAdmissionPolicy")
        else o
        for o in result.objects
    )
    return replace(result, objects=objects, mutations=outcomes)


def _judge(
    t: Tried, cluster: Cluster, mutating: MutatingEngine, validating: Engine, tally: Tally
) -> None:
    psp = cluster.decide(t.pod, t.namespace, t.who)
    mutated, error = mutating.mutate(t.pod, t.namespace, t.who)
    admitted = False
    if mutated is not None:
        prepared, _ = prepare_for_create(mutated, PSP_RELEASE)
        if not pod_create_errors(prepared):
            admitted, _, error = validating.evaluate(mutated, t.namespace, t.who)
    if admitted and psp.allowed and mutated is not None:
        # PSP's admitted pod with the field of each seccomp annotation, as PSP's API servers
        # copied them (the MutatingAdmissionPolicy writes both: clusters from 1.27 do not)
        synced, _ = prepare_for_create(psp.object, ANNOTATION_TO_FIELD)
        got, want = normalized(mutated), normalized(synced)
        if got != want:
            tally.differs(t, _first_difference(got, want))
            return
    tally.add(t, admitted, psp.allowed, error)
