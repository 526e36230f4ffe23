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

import importlib
import re
from collections.abc import Callable
from typing import Any

from podgate.errors import PodgateError
from podgate.export.cluster import Cluster
from podgate.export.model import ExportResult
from podgate.k8s import Obj, mapping
from podgate.k8s.identity import UserInfo, pod_service_account
from podgate.rbac import Attributes
from podgate.verify import EngineMissing
from podgate.verify.common import compare


def _cel() -> Any:
    try:
        return importlib.import_module("cel_expr_python.cel")
    except ImportError as e:
        raise EngineMissing(
            "cel-expr-python",
            "--verify --to vap|kyverno needs cel-expr-python: pip install 'podgate[verify]' "
            "(or: pip install cel-expr-python)",
        ) from e


def engine_name() -> str:
    from importlib.metadata import version

    return f"cel-cpp (cel-expr-python {version('cel-expr-python')})"


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
        self._who: list[UserInfo] = []
        self._index: dict[UserInfo, int] = {}
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

    def _token(self, who: UserInfo) -> str:
        i = self._index.get(who)
        if i is None:
            i = self._index[who] = len(self._who)
            self._who.append(who)
        return str(i)

    def _sa(self, _auth: str, namespace: str, name: str) -> str:
        return self._token(pod_service_account(namespace, name))

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
        return "1" if authz.authorizes(who, attrs) else "0"

    def evaluate(
        self, pod: Obj, namespace: str, who: UserInfo
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
                values[name] = checked(expr.eval(act))
            act = self._env.Activation({**data, "variables": dict(values)})
            ok = all(checked(v.eval(act)) is True for v, _ in self.validations)
        except Exception as e:  # noqa: BLE001 - any engine error is a denial (failurePolicy Fail)
            return False, values, str(e)
        return ok, values, ""


class EvaluationError(PodgateError):
    """cel-cpp returned an error value (it does not raise): the expression failed."""


def checked(result: Any) -> Any:
    """The plain value of a cel-cpp result; raises `EvaluationError` for an error value."""
    if result.type() == _cel().Type.ERROR:
        raise EvaluationError(str(result.value()))
    return result.value()


def _uses(expression: str) -> frozenset[str]:
    return frozenset(re.findall(r"variables\.([A-Za-z_][A-Za-z0-9_]*)", expression))


def _appender(key: str) -> Callable[[str, str], str]:
    def impl(target: str, value: str) -> str:
        return f"{target}\x1f{key}\x1f{value}"

    return impl


def _allowed(decision: str) -> bool:
    return decision == "1"


CEL_KINDS = ("ValidatingAdmissionPolicy", "ValidatingPolicy")


def verify_vap(result: ExportResult, cluster: Cluster, *, boundary: bool = True) -> ExportResult:
    """`result` (from `export(..., "vap")`) with each policy's verdict decided by cel-cpp."""
    # the same CEL: a ValidatingAdmissionPolicy, or Kyverno's ValidatingPolicy
    vap = next(o for o in result.objects if o["kind"] in CEL_KINDS)
    engine = Engine(vap, cluster)
    names = cluster.policy_set.names

    def evaluate(
        pod: Obj, namespace: str, who: UserInfo
    ) -> tuple[bool, dict[str, tuple[bool, bool]], str]:
        admitted, values, error = engine.evaluate(pod, namespace, who)
        answers = {
            n: (bool(values.get(f"admits{i}")), bool(values.get(f"mayUse{i}")))
            for i, n in enumerate(names)
        }
        return admitted, answers, error

    checked = compare(result, cluster, evaluate, engine_name(), boundary=boundary)
    if result.target != "vap":
        return checked
    from podgate.verify.mutating import verify_mutating

    return verify_mutating(checked, cluster, boundary=boundary)
