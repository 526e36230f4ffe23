"""Runs the exported Gatekeeper ConstraintTemplate's Rego in the real OPA engine (Go, through
`opa-golib-python-bindings`) with the Constraint's parameters, as Gatekeeper hands a pod to
it (`input.review` with the object, namespace, operation and requesting user), and compares it
with PSP on every pod tried, for each requesting identity. Gatekeeper itself is not run.

The bindings declare Python >= 3.14 but run on 3.11: install them with
`pip install --ignore-requires-python opa-golib-python-bindings` (`make test` does)."""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import Any

from podgate.export.cluster import Cluster
from podgate.export.gatekeeper import KIND
from podgate.export.model import ExportResult
from podgate.k8s import Obj, mapping
from podgate.k8s.identity import UserInfo
from podgate.verify import EngineMissing
from podgate.verify.common import compare

QUERY = "violations := data.podgate.psp.violation; decisions := data.podgate.psp.decisions"


def _bindings() -> Any:
    try:
        return importlib.import_module("opa_bindings")
    except ImportError as e:
        raise EngineMissing(
            "opa-golib-python-bindings",
            "--verify --to gatekeeper needs OPA's Go engine: pip install "
            "--ignore-requires-python 'opa-golib-python-bindings>=0.4.4' (it declares Python "
            ">= 3.14 and runs on 3.11)",
        ) from e


def engine_name() -> str:
    return f"OPA Go engine (opa-golib-python-bindings {version('opa-golib-python-bindings')})"


class Engine:
    """The template's Rego loaded once, with the constraint's parameters."""

    def __init__(self, template: Obj, constraint: Obj) -> None:
        opa = _bindings()
        (target,) = mapping(template.get("spec"))["targets"]
        (code,) = target["code"]
        source = code["source"]
        if source.get("version") != "v1" or "import rego.v1" in source["rego"]:
            raise ValueError("the template must be Rego v1 by source.version, without the import")
        self._opa = opa.OpaEngine()
        self._opa.add_policy("template.rego", source["rego"])
        self._parameters = mapping(constraint.get("spec"))["parameters"]

    def evaluate(
        self, pod: Obj, namespace: str, who: UserInfo
    ) -> tuple[bool, dict[str, tuple[bool, bool]], str]:
        review = {
            "object": pod,
            "namespace": namespace,
            "operation": "CREATE",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "userInfo": {"username": who.name, "groups": list(who.groups)},
        }
        try:
            (row,) = self._opa.eval_query(
                QUERY, input={"review": review, "parameters": self._parameters}
            )
        except Exception as e:  # noqa: BLE001 - an engine error denies (Gatekeeper fails closed here)
            return False, {}, str(e)
        answers = {
            str(name): (d["admits"] is True, d["mayUse"] is True)
            for name, d in row["decisions"].items()
        }
        return not row["violations"], answers, ""


def verify_gatekeeper(
    result: ExportResult, cluster: Cluster, *, boundary: bool = True
) -> ExportResult:
    """`result` (from `export(..., "gatekeeper")`) with each verdict decided by OPA."""
    template = next(o for o in result.objects if o["kind"] == "ConstraintTemplate")
    constraint = next(o for o in result.objects if o["kind"] == KIND)
    engine = Engine(template, constraint)
    return compare(result, cluster, engine.evaluate, engine_name(), boundary=boundary)
