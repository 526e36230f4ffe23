"""Previews in the core: disabling a policy, binding one, relabelling a namespace, each
compared with the scan as it is (the bundled example, and the smallest inputs that show it)."""

from __future__ import annotations

import datetime as dt

from podgate.io.catalog import load_catalog
from podgate.io.loader import load_documents
from podgate.io.prepare import prepare
from podgate.k8s import Obj
from podgate.k8s.source import Document, documents
from podgate.pss.config import DEFAULT_CONFIGURATION
from podgate.scan import ScanOptions, scan
from podgate.scan.inventory import WorkloadRef
from podgate.scan.preview import (
    binding_objects,
    compare,
    enabled_objects,
    preview_labels,
    relabelled,
)
from tests.ui_server import ROOT

OPTIONS = ScanOptions(today=dt.date(2026, 11, 28))
POSTGRES = WorkloadRef("shop", "StatefulSet", "postgres")


def _example() -> list[Document]:
    return prepare(
        load_documents([str(ROOT / "examples" / d) for d in ("cluster", "policies", "rbac")])
    )


def _scan(docs: list[Document]):  # type: ignore[no-untyped-def]
    return scan(docs, load_catalog(), OPTIONS)


def _namespace(docs: list[Document], name: str) -> Obj:
    return next(
        d.obj
        for d in docs
        if d.obj.get("kind") == "Namespace" and d.obj["metadata"]["name"] == name
    )


def test_disabling_db_ipc_lock_breaks_postgres_and_only_it() -> None:
    docs = _example()
    after = _scan(enabled_objects(docs, frozenset({"db-ipc-lock"})))
    c = compare(_scan(docs), after)
    assert [o.ref for o in c.breaks] == [POSTGRES]
    broken = c.breaks[0]
    assert (broken.before, broken.policy_before, broken.after) == (
        "changed",
        "db-ipc-lock",
        "rejected",
    )
    assert '"IPC_LOCK": capability may not be added' in broken.message_after
    assert c.access_changes == (("shop", "postgres", (), ("db-ipc-lock",)),)
    assert c.lockouts_added == ()


def test_disabling_privileged_breaks_node_exporter_but_locks_nobody_out_as_restricted_is_granted_to_all() -> (
    None
):
    docs = _example()
    after = _scan(enabled_objects(docs, frozenset({"privileged"})))
    c = compare(_scan(docs), after)
    assert ("kube-system", "node-exporter") not in {(ns, sa) for ns, sa, _ in c.lockouts_added}
    assert [o.ref.name for o in c.breaks] == ["node-exporter"]


def test_binding_db_ipc_lock_to_a_service_account_grants_it_and_nothing_else() -> None:
    docs = _example()
    extra = binding_objects("db-ipc-lock", "shop", "web")
    after = _scan([*docs, *documents(extra)])
    c = compare(_scan(docs), after)
    assert c.access_changes == (("shop", "web", ("db-ipc-lock",), ()),)
    assert c.breaks == ()


def test_binding_to_a_whole_namespace_reaches_every_service_account_of_it() -> None:
    docs = _example()
    extra = binding_objects("privileged", "shop", None)
    c = compare(_scan(docs), _scan([*docs, *documents(extra)]))
    gained = {sa for ns, sa, g, _ in c.access_changes if g == ("privileged",)}
    assert gained == {"default", "postgres", "web"}
    assert [o.ref.name for o in c.fixed] == ["debug-shell"]  # privileged admits it now


def test_relabelling_keeps_other_labels_and_drops_the_old_pod_security_ones() -> None:
    ns = {"kind": "Namespace", "metadata": {"name": "a", "labels": {
        "team": "x", "pod-security.kubernetes.io/warn": "baseline"}}}  # fmt: skip
    new = relabelled(ns, {"pod-security.kubernetes.io/enforce": "restricted"})
    assert new["metadata"]["labels"] == {
        "team": "x",
        "pod-security.kubernetes.io/enforce": "restricted",
    }
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/warn"] == "baseline"  # input kept


def test_enforcing_restricted_on_shop_rejects_postgres_and_debug_shell_not_web() -> None:
    docs = _example()
    result = _scan(docs)
    shop = _namespace(docs, "shop")
    p = preview_labels(
        result.workloads,
        shop,
        {"pod-security.kubernetes.io/enforce": "restricted"},
        DEFAULT_CONFIGURATION,
    )
    assert [o.ref.name for o in p.rejected] == ["postgres", "debug-shell"]
    assert p.rejected[0].rejected.startswith(
        'pods "postgres-" is forbidden: violates PodSecurity "restricted:latest"'
    )
    assert p.label_warnings[0] == (
        'existing pods in namespace "shop" violate the new PodSecurity enforce level "restricted:latest"'
    )


def test_warn_and_audit_labels_warn_and_audit_without_rejecting() -> None:
    docs = _example()
    result = _scan(docs)
    shop = _namespace(docs, "shop")
    labels = {
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }
    p = preview_labels(result.workloads, shop, labels, DEFAULT_CONFIGURATION)
    assert p.rejected == ()
    assert {o.ref.name for o in p.warned} == {"postgres", "debug-shell"}
    assert {o.ref.name for o in p.audited} == {"postgres", "debug-shell"}
    assert p.label_warnings == ()


POSTGRES_WITHOUT_IPC_LOCK = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres, namespace: shop}
spec:
  serviceName: postgres
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      serviceAccountName: postgres
      securityContext: {runAsUser: 999, fsGroup: 999}
      containers:
        - name: postgres
          image: registry.example.com/shop/postgres:16.4
          securityContext: {allowPrivilegeEscalation: false}
"""


def test_each_definition_of_a_workload_read_twice_is_compared_on_its_own(tmp_path) -> None:
    again = tmp_path / "postgres.yaml"
    again.write_text(POSTGRES_WITHOUT_IPC_LOCK)
    docs = load_documents(
        [*(str(ROOT / "examples" / d) for d in ("cluster", "policies", "rbac")), str(again)]
    )
    docs = prepare(docs)
    after = _scan(enabled_objects(docs, frozenset({"db-ipc-lock"})))
    c = compare(_scan(docs), after)
    postgres = [o for o in c.outcomes if o.ref == POSTGRES]
    assert len(postgres) == 2 and all(o.duplicated for o in postgres)
    by_file = {o.source.file: o for o in postgres if o.source is not None}
    assert by_file[str(again)].breaks is False  # without IPC_LOCK, restricted admits it
    (other,) = (o for f, o in by_file.items() if f != str(again))
    assert other.breaks is True
