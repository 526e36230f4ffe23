"""The one table of workload kinds: the loader, the scanner, Pod Security Admission and the
webhook find each kind's pod where the table says it is."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.k8s import pod_sources, pod_spec_error
from podgate.k8s.kinds import WORKLOAD_KINDS, WorkloadKind
from podgate.k8s.source import documents
from podgate.pss.admission import request_for
from podgate.pss.admission.pods import extract_pod_template
from podgate.scan.inventory import find_workloads


def _object(k: WorkloadKind) -> dict[str, Any]:
    pod: dict[str, Any] = {"metadata": {"labels": {"k": k.kind}}, "spec": {"containers": []}}
    node: dict[str, Any] = {"apiVersion": k.api_version, "kind": k.kind, "metadata": {"name": "x"}}
    if not k.template:
        return {**node, "spec": pod["spec"]}
    holder = node
    for key in k.template[:-1]:
        holder = holder.setdefault(key, {})
    holder[k.template[-1]] = pod
    return node


@pytest.mark.parametrize("k", WORKLOAD_KINDS, ids=lambda k: k.kind)
def test_every_reader_finds_the_pod_where_the_table_says(k: WorkloadKind) -> None:
    obj = _object(k)
    found = pod_sources(obj)
    assert found is not None and found.path == ".".join(k.template)
    assert pod_spec_error(obj) is None
    meta, spec = extract_pod_template(k.kind, obj) or ({}, {})
    assert (dict(meta), dict(spec)) == (dict(found.meta), dict(found.spec))
    request = request_for(obj)
    assert (request.group, request.resource) == (k.group, k.resource)
    [w] = find_workloads(documents([obj]))
    assert w.creator == k.creator or k.kind == "Pod"


def test_a_kind_of_the_table_served_by_another_group_is_another_kind() -> None:
    deployment = _object(next(k for k in WORKLOAD_KINDS if k.kind == "Deployment"))
    deployment["apiVersion"] = "example.com/v1"
    deployment["spec"]["template"]["spec"] = "not an object"
    assert pod_spec_error(deployment) is None
