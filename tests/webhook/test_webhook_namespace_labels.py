"""A typo in the namespaces file never fails open: a label value left empty (YAML null), a list
or a boolean is an invalid label, not a missing one. As the API server and Pod Security
Admission do: null is the empty string, an invalid enforce level is `restricted`, an invalid
version `latest`, and the `error` audit annotation says the label was invalid. The CLI
(`podgate pss --from-namespace-labels`) and the webhook (`--namespaces-from`, and the
namespaces watched in a cluster) give one answer, from `pss.labels.stored_labels`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.pss.labels import stored_labels
from podgate.webhook.files import FileNamespaceSource
from podgate.webhook.kube_watch import NamespaceWatcher
from podgate.webhook.review import VALIDATE, Settings, Sources, decide
from tests.webhook.test_webhook_review import review

ENFORCE = "pod-security.kubernetes.io/enforce"
PSS_ONLY = Settings(psp=False, pss=True)
PRIVILEGED_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: app, image: nginx, securityContext: {privileged: true}}]
"""
INVALID_LEVEL = "must be one of privileged, baseline, restricted"


def _namespaces(tmp_path: Path, labels: str) -> Path:
    path = tmp_path / "namespaces.yaml"
    path.write_text(
        f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n{labels}"
    )
    return path


def _webhook(namespaces: Path) -> dict[str, Any]:
    import yaml

    source = FileNamespaceSource([str(namespaces)], max_bytes=1 << 20)
    source.load()
    pod = yaml.safe_load(PRIVILEGED_POD)
    return decide(VALIDATE, review(pod), PSS_ONLY, Sources(None, None, source)).response


def _cli(tmp_path: Path, namespaces: Path) -> dict[str, Any]:
    pod = tmp_path / "pod.yaml"
    pod.write_text(PRIVILEGED_POD)
    args = ["pss", str(namespaces), str(pod), "--from-namespace-labels", "-o", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    results = json.loads(result.stdout)["results"]
    assert len(results) == 1
    found: dict[str, Any] = results[0]
    return found


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        (f"    {ENFORCE}:\n", '""'),  # left empty: YAML null, the empty string to the API server
        (f"    {ENFORCE}: ~\n", '""'),
        (f"    {ENFORCE}: [restricted]\n", None),
        (f"    {ENFORCE}: true\n", None),
        (f'    {ENFORCE}: ""\n', '""'),
    ],
    ids=["empty", "tilde", "list", "boolean", "empty-string"],
)
def test_a_bad_enforce_value_in_the_namespaces_file_is_restricted_not_privileged(
    tmp_path: Path, label: str, shown: str | None
) -> None:
    namespaces = _namespaces(tmp_path, label)
    response = _webhook(namespaces)
    assert response["allowed"] is False
    assert response["status"]["message"].startswith(
        'pods "web" is forbidden: violates PodSecurity "restricted:latest": privileged'
    )
    error = response["auditAnnotations"]["error"]
    assert error.startswith(f"Failed to parse policy: metadata.labels[{ENFORCE}]: Invalid value: ")
    assert error.endswith(INVALID_LEVEL)
    if shown is not None:
        assert f"Invalid value: {shown}: " in error
    assert response["auditAnnotations"]["enforce-policy"] == "restricted:latest"

    cli_result = _cli(tmp_path, namespaces)  # the same file, the same answer
    assert (cli_result["level"], cli_result["version"]) == ("restricted", "latest")
    assert cli_result["allowed"] is False
    assert cli_result["admission"]["auditAnnotations"] == response["auditAnnotations"]
    assert cli_result["admission"]["message"] == response["status"]["message"]


def test_a_bad_enforce_version_is_latest_and_said_in_the_audit_annotation(tmp_path: Path) -> None:
    labels = f"    {ENFORCE}: baseline\n    {ENFORCE}-version:\n"
    response = _webhook(_namespaces(tmp_path, labels))
    assert response["allowed"] is False
    assert response["auditAnnotations"]["enforce-policy"] == "baseline:latest"
    assert response["auditAnnotations"]["error"] == (
        f'Failed to parse policy: metadata.labels[{ENFORCE}-version]: Invalid value: "": '
        'must be "latest" or "v1.x"'
    )


def test_a_bad_audit_level_fails_open_for_audit_only_as_upstream(tmp_path: Path) -> None:
    labels = "    pod-security.kubernetes.io/audit: [restricted]\n"
    response = _webhook(_namespaces(tmp_path, labels))
    assert response["allowed"] is True  # enforce is unset: privileged, as the defaults say
    assert (
        "pod-security.kubernetes.io/audit]: Invalid value"
        in (response["auditAnnotations"]["error"])
    )


def test_labels_read_from_the_cluster_keep_a_null_value_as_the_empty_string() -> None:
    labels = NamespaceWatcher._labels_of({"metadata": {"labels": {ENFORCE: None, "team": "a"}}})
    assert dict(labels) == {ENFORCE: "", "team": "a"}


def test_stored_labels_never_drop_a_value() -> None:
    raw = {ENFORCE: None, "a": ["x"], "b": True, 1: "one"}
    assert stored_labels(raw) == {ENFORCE: "", "a": ["x"], "b": True, "1": "one"}
    assert stored_labels(None) == {}
    assert stored_labels(["not", "a", "mapping"]) == {}


def test_a_namespace_defined_twice_is_judged_at_its_strictest_definition_as_the_cli_does(
    tmp_path: Path,
) -> None:
    namespaces = tmp_path / "namespaces.yaml"
    namespaces.write_text(
        f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{{ENFORCE}: restricted}}}}\n"
        f"---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{{ENFORCE}: privileged}}}}\n"
    )  # fmt: skip
    cli_result = _cli(tmp_path, namespaces)
    assert (cli_result["level"], cli_result["allowed"]) == ("restricted", False)
    response = _webhook(namespaces)
    assert response["allowed"] is False
    assert response["auditAnnotations"]["enforce-policy"] == "restricted:latest"


def test_of_a_namespace_defined_twice_an_unlabelled_definition_counts_at_the_configured_default(
    tmp_path: Path,
) -> None:
    from podgate.pss import LATEST, Level, LevelVersion
    from podgate.pss.labels import Policy

    namespaces = tmp_path / "namespaces.yaml"
    namespaces.write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
        f"---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{{ENFORCE}: privileged}}}}\n"
    )  # fmt: skip
    baseline = Policy(enforce=LevelVersion(Level.BASELINE, LATEST))
    source = FileNamespaceSource([str(namespaces)], max_bytes=1 << 20, defaults=baseline)
    source.load()
    assert source.labels("shop") == {}  # the unlabelled one: baseline by default, stricter


# restricted in every respect, but a liveness probe aimed at a host: baseline checks that from
# v1.34 (hostProbesAndHostLifecycle), restricted:v1.33 does not
HOST_PROBE_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: nginx
    livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
"""


def test_a_namespace_defined_twice_is_judged_under_every_definition_by_cli_and_webhook(
    tmp_path: Path,
) -> None:
    """The strictest definition (restricted:v1.33) admits the pod; the other (baseline:latest)
    refuses it: the CLI refused it, the webhook admitted it (a wrong allow). Both refuse it."""
    import yaml

    namespaces = tmp_path / "namespaces.yaml"
    namespaces.write_text(
        f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{{ENFORCE}: restricted, {ENFORCE}-version: v1.33}}}}\n"
        f"---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{{ENFORCE}: baseline}}}}\n"
    )  # fmt: skip
    pod = tmp_path / "pod.yaml"
    pod.write_text(HOST_PROBE_POD)
    args = ["pss", str(namespaces), str(pod), "--from-namespace-labels", "-o", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    [judged] = json.loads(result.stdout)["results"]
    assert (judged["level"], judged["version"], judged["allowed"]) == ("baseline", "latest", False)

    source = FileNamespaceSource([str(namespaces)], max_bytes=1 << 20)
    source.load()
    review_of_pod = review(yaml.safe_load(HOST_PROBE_POD))
    response = decide(VALIDATE, review_of_pod, PSS_ONLY, Sources(None, None, source)).response
    assert response["allowed"] is False
    assert response["auditAnnotations"]["enforce-policy"] == "baseline:latest"
    assert "host" in response["status"]["message"]
