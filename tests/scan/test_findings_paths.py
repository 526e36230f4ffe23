"""A PSP finding's container and object path come from the error's steps: the container at
a two-digit index, annotation keys holding a container's name, upstream's path quirks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from podgate.io.catalog import load_catalog
from podgate.k8s.defaults import default_object
from podgate.k8s.source import documents
from podgate.scan import ScanOptions, scan
from tests.psp_helpers import policy

TODAY = dt.date(2026, 11, 28)
USE_ALL = [
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r"},
        "rules": [
            {"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use"]}
        ],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "b"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "r"},
        "subjects": [{"kind": "Group", "name": "system:serviceaccounts"}],
    },
]


def _psp_findings(workload: dict[str, Any], **spec: Any) -> list[tuple[str | None, str, str]]:
    objs = [policy("p", **spec), *USE_ALL, default_object(workload)[0]]
    result = scan(documents(objs), load_catalog(), ScanOptions(today=TODAY))
    return [(f.container, f.field, f.check) for f in result.findings if f.engine == "psp"]


def _deployment(containers: list[dict[str, Any]], **pod: Any) -> dict[str, Any]:
    annotations = pod.pop("annotations", None)
    template: dict[str, Any] = {"metadata": {"labels": {"app": "w"}}}
    if annotations:
        template["metadata"]["annotations"] = annotations
    template["spec"] = {"containers": containers, **pod}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w", "namespace": "app"},
        "spec": {"selector": {"matchLabels": {"app": "w"}}, "template": template},
    }


def test_a_container_past_the_tenth_is_named_by_its_own_index() -> None:
    containers: list[dict[str, Any]] = [{"name": f"c{i}", "image": "i"} for i in range(11)]
    containers[10]["securityContext"] = {"privileged": True}
    assert _psp_findings(_deployment(containers)) == [
        ("c10", "spec.template.spec.containers[10].securityContext.privileged", "privileged")
    ]


def test_a_container_profile_annotation_names_its_container_and_template_metadata() -> None:
    key = "container.seccomp.security.alpha.kubernetes.io/web"
    allowed = {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default", key: "unconfined"}
    workload = _deployment([{"name": "web", "image": "i"}], annotations=allowed)
    found = _psp_findings(
        workload,
        annotations={"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default"},
    )
    assert found == [("web", f"spec.template.metadata.annotations[{key}]", "seccomp")]


def test_host_network_is_located_at_the_spec_field_not_upstreams_path() -> None:
    workload = _deployment([{"name": "web", "image": "i"}], hostNetwork=True)
    assert _psp_findings(workload) == [(None, "spec.template.spec.hostNetwork", "hostNetwork")]
