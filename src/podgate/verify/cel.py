"""Runs the exported ValidatingAdmissionPolicy in Google's cel-cpp (`cel-expr-python`, the
`verify` extra) and compares it with PSP on every pod tried, for each requesting identity.

cel-expr-python has none of Kubernetes' CEL libraries; the `authorizer` library is provided
here, backed by podgate's offline RBAC, with Kubernetes' semantics (a service account is
`system:serviceaccount:NS:NAME` in the groups `system:serviceaccounts` and
`system:serviceaccounts:NS`; a resource check asks RBAC for the verb on group/resource/name in
the namespace). Pods are read as the API server hands them to admission: null fields dropped,
and a pod-level seccomp profile field mirrored into the annotation (as the API server of
PSP's time synchronised them); PSP and the engine see the same pod."""

from __future__ import annotations

import copy
import importlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from podgate.errors import PodgateError
from podgate.export.cluster import Cluster, requester
from podgate.export.model import (
    Direction,
    ExportResult,
    Gap,
    Outcome,
    Verdict,
    annotate,
    verdict_of,
)
from podgate.export.probes import minimal_pod, probes, restricted_pod
from podgate.k8s import Obj, mapping
from podgate.psp import Identity
from podgate.psp.admission import service_account_identity
from podgate.psp.strategies import seccomp
from podgate.rbac import Attributes, UserInfo

PROBE_USER = Identity("podgate:probe-user", ("system:authenticated",))
CONTROLLER = Identity(
    "system:serviceaccount:kube-system:replicaset-controller",
    ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"),
)


class EngineMissing(PodgateError, RuntimeError):
    """The optional engine is not installed."""


def _cel() -> Any:
    try:
        return importlib.import_module("cel_expr_python.cel")
    except ImportError as e:
        raise EngineMissing(
            "--verify --to vap needs cel-expr-python: pip install 'podgate[verify]' "
            "(or: pip install cel-expr-python)"
        ) from e


def engine_name() -> str:
    from importlib.metadata import version

    return f"cel-cpp (cel-expr-python {version('cel-expr-python')})"


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


def as_admitted(pod: Obj) -> dict[str, Any]:
    """The pod as validating admission reads it (see the module's docstring)."""
    out: dict[str, Any] = without_nulls(copy.deepcopy(dict(pod)))
    spec = mapping(out.get("spec"))
    field = seccomp.profile_of_field(mapping(spec.get("securityContext")))
    meta = out.setdefault("metadata", {})
    annotations = meta.get("annotations") or {}
    if field and not annotations.get(seccomp.POD_KEY):
        meta["annotations"] = {**annotations, seccomp.POD_KEY: field}
    return out


class Engine:
    """The exported policy compiled once in cel-cpp, with the authorizer library over
    `cluster`'s RBAC."""

    def __init__(self, policy: Obj, cluster: Cluster) -> None:
        cel = _cel()
        strings = importlib.import_module("cel_expr_python.ext.ext_strings")
        self._cluster = cluster
        t = cel.Type
        # authorizer values are strings (cheap to pass between cel-cpp and Python): the
        # identity's index in self._who, then "\x1f"-separated group, resource, namespace,
        # name; check() returns "1" or "0"
        self._who: list[Identity] = []
        self._index: dict[Identity, int] = {}
        fns = [
            cel.FunctionDecl(
                "serviceAccount",
                [
                    cel.Overload(
                        "pg_sa",
                        t.STRING,
                        [t.STRING, t.STRING, t.STRING],
                        is_member=True,
                        impl=self._sa,
                    )
                ],
            ),
            *(
                cel.FunctionDecl(
                    name,
                    [
                        cel.Overload(
                            f"pg_{name}",
                            t.STRING,
                            [t.STRING, t.STRING],
                            is_member=True,
                            impl=_appender(name),
                        )
                    ],
                )
                for name in ("group", "resource", "namespace", "name")
            ),
            cel.FunctionDecl(
                "check",
                [
                    cel.Overload(
                        "pg_check", t.STRING, [t.STRING, t.STRING], is_member=True, impl=self._check
                    )
                ],
            ),
            cel.FunctionDecl(
                "allowed",
                [cel.Overload("pg_allowed", t.BOOL, [t.STRING], is_member=True, impl=_allowed)],
            ),
        ]
        self._env = cel.NewEnv(
            variables={
                "object": t.DYN,
                "oldObject": t.DYN,
                "request": t.DYN,
                "authorizer": t.STRING,
                "variables": t.DYN,
                "params": t.DYN,
                "namespaceObject": t.DYN,
            },
            functions=fns,
            extensions=[strings.ExtStrings()],
        )
        spec = mapping(policy.get("spec"))
        self.variables = [
            (str(v["name"]), self._env.compile(str(v["expression"])), _uses(str(v["expression"])))
            for v in spec.get("variables", [])
        ]
        self.validations = [
            (self._env.compile(str(v["expression"])), _uses(str(v["expression"])))
            for v in spec.get("validations", [])
        ]

    def _token(self, who: Identity) -> str:
        i = self._index.get(who)
        if i is None:
            i = self._index[who] = len(self._who)
            self._who.append(who)
        return str(i)

    def _sa(self, _auth: str, namespace: str, name: str) -> str:
        return self._token(service_account_identity(namespace, name))

    def _check(self, target: str, verb: str) -> str:
        parts = target.split("\x1f")
        who = self._who[int(parts[0])]
        fields = dict(zip(parts[1::2], parts[2::2], strict=True))
        authz = self._cluster.authz
        if authz is None:
            return "1"
        attrs = Attributes(
            verb,
            fields.get("group", ""),
            fields.get("resource", ""),
            fields.get("namespace", ""),
            fields.get("name", ""),
        )
        return "1" if authz.allows(UserInfo(who.name, who.groups), attrs) else "0"

    def evaluate(
        self, pod: Obj, namespace: str, who: Identity
    ) -> tuple[bool, dict[str, bool], str]:
        """(admitted, each variable's value, error text): an error is a denial, as with
        failurePolicy Fail."""
        data: dict[str, Any] = {
            "object": pod,
            "oldObject": None,
            "request": {
                "namespace": namespace,
                "operation": "CREATE",
                "userInfo": {"username": who.name, "groups": list(who.groups)},
            },
            "authorizer": self._token(who),
            "params": None,
            "namespaceObject": {"metadata": {"name": namespace}},
        }
        values: dict[str, Any] = {}
        # the pod is converted once per activation: a new one only when an expression reads
        # a variable the current one lacks
        seen: frozenset[str] = frozenset()
        try:
            act = self._env.Activation({**data, "variables": {}})
            for name, expr, uses in self.variables:
                if not uses <= seen:
                    seen = frozenset(values)
                    act = self._env.Activation({**data, "variables": dict(values)})
                values[name] = expr.eval(act).value()
            act = self._env.Activation({**data, "variables": dict(values)})
            ok = all(v.eval(act).value() is True for v, _ in self.validations)
        except Exception as e:  # noqa: BLE001 - any engine error is a denial (failurePolicy Fail)
            return False, values, str(e)
        return ok, values, ""


def _uses(expression: str) -> frozenset[str]:
    return frozenset(re.findall(r"variables\.([A-Za-z_][A-Za-z0-9_]*)", expression))


def _appender(key: str) -> Callable[[str, str], str]:
    def impl(target: str, value: str) -> str:
        return f"{target}\x1f{key}\x1f{value}"

    return impl


def _allowed(decision: str) -> bool:
    return decision == "1"


@dataclass(frozen=True, slots=True)
class Tried:
    name: str  # the workload, or "(generated: ...)"
    field: str  # the probe's field ("" for workloads)
    pod: Obj
    namespace: str
    who: Identity


def pods_to_try(cluster: Cluster, *, boundary: bool) -> Iterator[Tried]:
    """The input's workloads (each as its requester) and, with `boundary`, generated pods for
    every namespace and service account, requested by a controller and by a plain user."""
    for w in cluster.workloads:
        ns = w.ref.namespace or "default"
        who = requester(w) or PROBE_USER
        yield Tried(str(w.ref), "", as_admitted(w.as_pod()), ns, who)
    if not boundary:
        return
    namespaces = sorted(set(cluster.namespaces) | {ns for ns, _ in cluster.service_accounts})
    for ns in namespaces:
        bases = [
            b
            for sa in cluster.representative_service_accounts(ns)
            for b in (minimal_pod(ns, sa), restricted_pod(ns, sa))
        ]
        for p in probes(bases, cluster.policies):
            pod = as_admitted(p.pod)
            sa = mapping(pod.get("spec")).get("serviceAccountName")
            for who in (CONTROLLER, PROBE_USER):
                label = f"(generated: {p.label}, serviceAccount {ns}/{sa}, by {who.name})"
                yield Tried(label, p.field, pod, ns, who)


def verify_vap(result: ExportResult, cluster: Cluster, *, boundary: bool = True) -> ExportResult:
    """`result` (from `export(..., "vap")`) with each policy's verdict decided by cel-cpp."""
    vap = next(o for o in result.objects if o["kind"] == "ValidatingAdmissionPolicy")
    engine = Engine(vap, cluster)
    name = engine_name()
    names = cluster.policy_set.names
    providers = cluster.policy_set.providers
    per_policy: dict[str, _Tally] = {n: _Tally() for n in names}
    overall: dict[str, _Tally] = defaultdict(_Tally)
    for t in pods_to_try(cluster, boundary=boundary):
        admitted, values, error = engine.evaluate(t.pod, t.namespace, t.who)
        expected = cluster.admits_unchanged(t.pod, t.namespace, t.who) is not None
        overall[t.namespace].add(t, admitted, expected, error)
        sa_name = mapping(t.pod.get("spec")).get("serviceAccountName")
        sa = (
            service_account_identity(t.namespace, sa_name)
            if isinstance(sa_name, str) and sa_name
            else None
        )
        for i, provider in enumerate(providers):
            ev = provider.evaluate(t.pod)
            unchanged = not ev.errors and not ev.mutated
            usable = (
                sa is not None and cluster.can_use(sa, t.namespace, provider.name)
            ) or cluster.can_use(t.who, t.namespace, provider.name)
            got = bool(values.get(f"admits{i}")) and bool(values.get(f"mayUse{i}"))
            per_policy[provider.name].add(t, got, unchanged and usable, error)
    policies = tuple(per_policy[n].outcome(n, name) for n in names)
    namespaces = tuple(overall[ns].outcome(ns, name) for ns in sorted(overall))
    verdict = (
        Verdict.PROVED
        if all(u.verdict is Verdict.PROVED for u in (*policies, *namespaces))
        else Verdict.PARTIAL
    )
    objects = tuple(
        annotate(o, o["metadata"]["annotations"]["podgate.io/source-policy"], verdict)
        for o in result.objects
    )
    notes = tuple(n for n in result.notes if not n.startswith("unproved until"))
    return replace(result, objects=objects, policies=policies, namespaces=namespaces, notes=notes)


class _Tally:
    def __init__(self) -> None:
        self.tried = 0
        self.agreed = 0
        self.gaps: dict[tuple[str, Direction], list[str]] = defaultdict(list)
        self.errors: list[str] = []

    def add(self, t: Tried, got: bool, expected: bool, error: str) -> None:
        self.tried += 1
        if error:
            self.errors.append(f"{t.name}: {error}")
        if got == expected:
            self.agreed += 1
            return
        direction = Direction.LOOSER if got else Direction.STRICTER
        self.gaps[(t.field or "(workload)", direction)].append(t.name)

    def outcome(self, name: str, engine: str) -> Outcome:
        gaps = []
        for (field, direction), who in sorted(self.gaps.items()):
            workloads = tuple(w for w in who if not w.startswith("(generated"))
            examples = [w for w in who if w.startswith("(generated")][:3]
            detail = (
                f"the engine {'admits' if direction is Direction.LOOSER else 'denies'} "
                f"{len(who)} pods PSP {'denies' if direction is Direction.LOOSER else 'admits'}"
            )
            if examples:
                detail += "; e.g. " + "; ".join(examples)
            gaps.append(Gap(field, direction, detail, workloads))
        if self.errors:
            gaps.append(
                Gap(
                    "(engine error)",
                    Direction.STRICTER,
                    f"{len(self.errors)} evaluations failed (denied under failurePolicy Fail); "
                    f"first: {self.errors[0]}",
                )
            )
        return Outcome(
            name,
            verdict_of(gaps, engine),
            engine,
            tuple(gaps),
            self.tried,
            self.agreed,
        )


def verify(result: ExportResult, objs: Sequence[Obj], *, boundary: bool = True) -> ExportResult:
    """Verify `result` of the objects `objs` (policies, RBAC, workloads) in its engine."""
    cluster = Cluster.from_objects(objs)
    if result.target == "vap":
        return verify_vap(result, cluster, boundary=boundary)
    return result
