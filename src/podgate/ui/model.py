"""What the UI shows, computed by podgate's cores and nothing else: the scan of the inputs as
they are (policies annotated `podgate.io/disabled: "true"` taken out, as admission would), and
on demand the scans of changed inputs that the previews compare with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from podgate.advisor import Advice, AdviseOptions, advise
from podgate.advisor.report import Report, build_report
from podgate.export import ExportResult, export
from podgate.io.policies import RBAC_KINDS
from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldPath
from podgate.k8s.source import Document, Source
from podgate.psp.lint import Hint, lint_policy
from podgate.psp.policy import is_policy
from podgate.psp.validation import validate_policy
from podgate.report.context import Locate
from podgate.scan import Catalog, ScanOptions, scan
from podgate.scan.inventory import WorkloadRef
from podgate.scan.preview import (
    Comparison,
    LabelPreview,
    binding_objects,
    compare,
    enabled_objects,
    is_disabled,
    preview_labels,
)
from podgate.scan.scan import ScanResult, WorkloadResult


def _nowhere(source: Source, path: FieldPath) -> tuple[int, int] | None:
    return None


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    name: str
    obj: Obj
    source: Source | None
    disabled: bool
    errors: tuple[str, ...]  # the API server's validation
    hints: tuple[Hint, ...]  # lint


@dataclass
class Model:
    docs: list[Document]
    catalog: Catalog
    options: ScanOptions
    locate: Locate = _nowhere
    command: str = "podgate ui"
    live: bool = False  # objects were read from a cluster
    _scans: dict[Any, ScanResult] = field(default_factory=dict)
    _exports: dict[tuple[str, str], ExportResult] = field(default_factory=dict)

    # --- the scan as it is ---------------------------------------------------------------
    @cached_property
    def disabled(self) -> frozenset[str]:
        return frozenset(_name(d.obj) for d in self.docs if is_policy(d.obj) and is_disabled(d.obj))

    def scan_with(self, disabled: frozenset[str], extra: Sequence[Obj] = ()) -> ScanResult:
        """The scan with these policies taken out and these objects added (cached)."""
        key = (disabled, tuple(repr(o) for o in extra))
        found = self._scans.get(key)
        if found is None:
            docs = [*enabled_objects(self.docs, disabled), *map(Document, extra)]
            found = self._scans[key] = scan(docs, self.catalog, self.options)
        return found

    @cached_property
    def result(self) -> ScanResult:
        return self.scan_with(self.disabled)

    @cached_property
    def policies(self) -> tuple[PolicyInfo, ...]:
        out = []
        for d in self.docs:
            o = d.obj
            if not is_policy(o):
                continue
            out.append(
                PolicyInfo(
                    _name(o),
                    o,
                    d.source,
                    is_disabled(o),
                    tuple(str(e) for e in validate_policy(o)),
                    tuple(lint_policy(o)),
                )
            )
        return tuple(sorted(out, key=lambda p: p.name))

    def policy(self, name: str) -> PolicyInfo | None:
        return next((p for p in self.policies if p.name == name), None)

    @cached_property
    def namespaces(self) -> dict[str, Obj]:
        """Namespace objects by name; namespaces with workloads but no object get a bare one."""
        out: dict[str, Obj] = {}
        for d in self.docs:
            if d.obj.get("kind") == "Namespace":
                out[_name(d.obj)] = d.obj
        for r in self.result.workloads:
            ns = r.workload.ref.namespace
            if ns and ns not in out:
                out[ns] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        return dict(sorted(out.items()))

    def definitions(self, ref: WorkloadRef) -> list[WorkloadResult]:
        """Every result with this identity: more than one when it was read more than once
        (each definition is judged where it was read)."""
        return [r for r in self.result.workloads if r.workload.ref == ref]

    # --- previews ---------------------------------------------------------------------------
    def preview_toggle(self, policy: str) -> Comparison:
        """Disabling an enabled policy, or enabling a disabled one."""
        after = self.disabled ^ {policy}
        return compare(self.result, self.scan_with(frozenset(after)))

    def preview_binding(
        self, policy: str, namespace: str, service_account: str | None
    ) -> Comparison:
        extra = binding_objects(policy, namespace, service_account)
        return compare(self.result, self.scan_with(self.disabled, extra))

    def preview_labels(self, namespace: str, labels: dict[str, str]) -> LabelPreview:
        ns = self.namespaces[namespace]
        return preview_labels(self.result.workloads, ns, labels, self.options.config)

    # --- exports -------------------------------------------------------------------------------
    def export_to(self, target: str, version: str) -> ExportResult:
        """`podgate export --to TARGET` of the enabled policies (cached)."""
        found = self._exports.get((target, version))
        if found is None:
            objs = [d.obj for d in enabled_objects(self.docs, self.disabled)]
            # split as `podgate export` splits its input
            psps = [o for o in objs if o.get("kind") == "PodSecurityPolicy"]
            rbac = [o for o in objs if o.get("kind") in RBAC_KINDS]
            others = [o for o in objs if o.get("kind") not in (*RBAC_KINDS, "PodSecurityPolicy")]
            found = self._exports[(target, version)] = export(psps, rbac, others, target, version)
        return found

    # --- the advisor -------------------------------------------------------------------------
    @cached_property
    def advice(self) -> tuple[Advice, Report]:
        docs = enabled_objects(self.docs, self.disabled)
        advice = advise(docs, AdviseOptions())
        return advice, build_report(advice, docs, self.catalog, self.options.version)


def _name(obj: Obj) -> str:
    return str(mapping(obj.get("metadata")).get("name") or "")
