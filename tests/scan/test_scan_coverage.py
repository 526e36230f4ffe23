"""Issue 9, point 9: what was read but not judged is said in every output: documents by kind,
and custom resources whose operators create pods podgate cannot see into."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.k8s import pod_sources
from podgate.scan.coverage import pod_creator

PROMETHEUS = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "Prometheus",
    "metadata": {"name": "k8s", "namespace": "monitoring"},
    "spec": {"replicas": 2, "serviceAccountName": "prometheus-k8s"},
}
CEPH = {
    "apiVersion": "ceph.rook.io/v1",
    "kind": "CephCluster",
    "metadata": {"name": "rook-ceph", "namespace": "rook-ceph"},
    "spec": {"cephVersion": {"image": "quay.io/ceph/ceph:v18"}},
}
SCALED_JOB = {
    "apiVersion": "keda.sh/v1alpha1",
    "kind": "ScaledJob",
    "metadata": {"name": "worker", "namespace": "jobs"},
    "spec": {
        "jobTargetRef": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "w", "image": "w", "securityContext": {"privileged": True}}
                    ]
                }
            }
        }
    },
}
UNKNOWN_OPERATOR = {  # no name list knows it: found by its containers
    "apiVersion": "example.com/v1",
    "kind": "Widget",
    "metadata": {"name": "w", "namespace": "x"},
    "spec": {"runner": {"initContainers": [{"name": "init", "image": "busybox"}]}},
}
ARGO_WORKFLOW = {
    "apiVersion": "example.org/v1",  # any group: found by its container
    "kind": "Pipeline",
    "metadata": {"name": "build", "namespace": "ci"},
    "spec": {"templates": [{"name": "main", "container": {"image": "alpine", "command": ["x"]}}]},
}
APPLICATION_SET = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "ApplicationSet",
    "metadata": {"name": "apps", "namespace": "argocd"},
    "spec": {
        "generators": [{"list": {"elements": [{"cluster": "a"}]}}],
        "template": {
            "metadata": {"name": "{{cluster}}-app"},
            "spec": {
                "project": "default",
                "source": {"repoURL": "https://example.com/repo", "path": "app"},
                "destination": {"server": "https://kubernetes.default.svc"},
            },
        },
    },
}
ROLLOUT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "web", "namespace": "app"},
    "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
CRD_WITH_A_CONTAINERS_SCHEMA = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "prometheuses.monitoring.coreos.com"},
    "spec": {
        "versions": [
            {
                "schema": {
                    "openAPIV3Schema": {
                        "properties": {"containers": {"type": "array", "items": {"type": "object"}}}
                    }
                }
            }
        ]
    },
}


def run_json(tmp_path: Path, *objs: dict[str, Any]) -> dict[str, Any]:
    f = tmp_path / "in.yaml"
    f.write_text(yaml.safe_dump_all(objs))
    result = CliRunner().invoke(cli, ["scan", str(f), "-o", "json", "--level", "baseline"])
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_documents_read_but_not_evaluated_are_counted_by_kind(tmp_path: Path) -> None:
    data = run_json(tmp_path, CONFIGMAP, CONFIGMAP, SERVICE, CRD_WITH_A_CONTAINERS_SCHEMA)
    assert data["notEvaluated"]["byKind"] == {
        "ConfigMap": 2,
        "CustomResourceDefinition": 1,
        "Service": 1,
    }
    assert (
        "read but not evaluated (no pod in them): 4 document(s): 2 ConfigMap, "
        "1 CustomResourceDefinition, 1 Service"
    ) in data["notes"]
    assert data["notEvaluated"]["podCreatingResources"] == []


@pytest.mark.parametrize(
    ("obj", "evidence"),
    [
        (PROMETHEUS, "its operator creates pods"),
        (CEPH, "its operator creates pods"),
        (SCALED_JOB, "containers at spec.jobTargetRef.template.spec.containers"),
        (UNKNOWN_OPERATOR, "containers at spec.runner.initContainers"),
        (ARGO_WORKFLOW, "containers at spec.templates[0].container"),
    ],
)
def test_pod_creating_custom_resources_are_named_as_not_judged(
    tmp_path: Path, obj: dict[str, Any], evidence: str
) -> None:
    data = run_json(tmp_path, obj)
    [found] = data["notEvaluated"]["podCreatingResources"]
    meta = obj["metadata"]
    assert (found["kind"], found["namespace"], found["name"], found["evidence"]) == (
        obj["kind"],
        meta["namespace"],
        meta["name"],
        evidence,
    )
    assert found["source"]["line"] == 1
    [note] = [n for n in data["notes"] if n.startswith("NOT JUDGED")]
    assert f"{obj['kind']} {meta['namespace']}/{meta['name']} (" in note


def test_an_applicationset_template_is_not_a_workload_nor_a_pod_creator(tmp_path: Path) -> None:
    assert pod_sources(APPLICATION_SET) is None
    assert pod_creator(APPLICATION_SET, None) is None
    data = run_json(tmp_path, APPLICATION_SET)
    assert data["workloads"] == []
    assert data["notEvaluated"]["byKind"] == {"ApplicationSet (argoproj.io)": 1}


def test_a_rollout_with_a_pod_template_is_judged_not_named(tmp_path: Path) -> None:
    data = run_json(tmp_path, ROLLOUT)
    assert [(w["kind"], w["name"]) for w in data["workloads"]] == [("Rollout", "web")]
    assert data["notEvaluated"]["podCreatingResources"] == []


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit", "policyreport", "html"])
def test_every_output_names_what_was_not_judged(tmp_path: Path, fmt: str) -> None:
    f = tmp_path / "in.yaml"
    f.write_text(yaml.safe_dump_all([PROMETHEUS, CONFIGMAP]))
    result = CliRunner().invoke(cli, ["scan", str(f), "-o", fmt])
    assert result.exit_code == 0
    flat = " ".join(line.strip() for line in result.stdout.splitlines())
    assert "NOT JUDGED: 1 custom resource(s)" in flat
    assert "Prometheus monitoring/k8s" in flat
    assert "read but not evaluated" in flat


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_pss_names_what_was_not_judged(tmp_path: Path, fmt: str) -> None:
    f = tmp_path / "in.yaml"
    f.write_text(yaml.safe_dump_all([SCALED_JOB, CONFIGMAP]))
    result = CliRunner().invoke(cli, ["pss", str(f), "--level", "baseline", "-o", fmt])
    assert result.exit_code == 0, result.output
    said = result.stderr if fmt == "text" else " ".join(json.loads(result.stdout)["notes"])
    assert "NOT JUDGED: 1 custom resource(s)" in said
    assert "ScaledJob jobs/worker (" in said
    assert (
        "read but not evaluated (no pod in them): 2 document(s): 1 ConfigMap, 1 ScaledJob (keda.sh)"
        in said
    )
