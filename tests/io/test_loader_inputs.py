"""What the inputs hold, read as kubectl reads them: typed lists whose items carry no kind (issue
9 point 6); no objects, pods without a pod spec and what is not a file are bad input, for every
command (point 7); every unreadable file of a directory is named at once, with hints, and
--exclude leaves files out on purpose (point 8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from podgate.cli.main import cli
from podgate.errors import LoadError
from podgate.io.loader import load_documents, load_text

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: app, image: a}]\n"
PRIV_POD = POD.replace("image: a}", "image: a, securityContext: {privileged: true}}")


# --- point 6: lists as the API server returns them ----------------------------------------


def test_podlist_items_without_kind_take_the_lists_kind_and_api_version() -> None:
    text = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "PodList",
            "metadata": {"resourceVersion": "1"},
            "items": [{"metadata": {"name": "a"}, "spec": {"containers": []}}],
        }
    )
    (doc,) = load_text(text, "pods.json")
    assert (doc.obj["apiVersion"], doc.obj["kind"], doc.item) == ("v1", "Pod", 0)


def test_deploymentlist_items_become_deployments_of_apps_v1() -> None:
    text = (
        "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n"
        "- metadata: {name: a}\n  spec: {template: {spec: {containers: []}}}\n"
    )
    (doc,) = load_text(text, "d.yaml")
    assert (doc.obj["apiVersion"], doc.obj["kind"], doc.line) == ("apps/v1", "Deployment", 4)


def test_v1_list_items_keep_their_own_kind_and_are_not_given_one() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace}\n- {x: 1}\n"
    docs = list(load_text(text, "l.yaml"))
    assert [(d.obj.get("kind"), d.line) for d in docs] == [("Namespace", 4), (None, 5)]


def test_item_with_an_api_version_but_no_kind_is_not_given_one() -> None:
    # apimachinery fills kind and apiVersion only where both are empty
    text = '{"apiVersion": "v1", "kind": "PodList", "items": [{"apiVersion": "v1", "spec": {}}]}'
    (doc,) = load_text(text, "p.json")
    assert "kind" not in doc.obj


def test_object_with_items_that_is_not_a_list_kind_is_refused() -> None:
    with pytest.raises(LoadError, match="reads it as a list of those items"):
        list(load_text("kind: Pod\nspec: {}\nitems: [{kind: Pod, spec: {}}]\n", "p.yaml"))


def test_raw_podlist_on_stdin_is_judged_not_passed(tmp_path: Path) -> None:
    text = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "PodList",
            "items": [
                {
                    "metadata": {"name": "web", "namespace": "shop"},
                    "spec": {
                        "containers": [
                            {"name": "app", "image": "a", "securityContext": {"privileged": True}}
                        ]
                    },
                }
            ],
        }
    )
    result = CliRunner().invoke(cli, ["pss", "-", "--level", "baseline"], input=text)
    assert result.exit_code == 1, result.output
    assert "privileged" in result.output


# --- point 7: no input is bad input ----------------------------------------------------------

COMMANDS = [
    pytest.param(["scan", "-"], id="scan"),
    pytest.param(["pss", "-", "--level", "baseline"], id="pss"),
    pytest.param(["admit", "-", "--policy", "builtin:restricted"], id="admit"),
    pytest.param(["lint", "-"], id="lint"),
    pytest.param(["advise", "-"], id="advise"),
]


@pytest.mark.parametrize("args", COMMANDS)
@pytest.mark.parametrize(
    "stdin", ["", "# only a comment\n", "---\n---\n"], ids=["empty", "comment", "separators"]
)
def test_empty_stdin_is_bad_input_for_every_command(args: list[str], stdin: str) -> None:
    result = CliRunner().invoke(cli, args, input=stdin)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == ["podgate: error: no Kubernetes objects in -"]


@pytest.mark.parametrize("args", COMMANDS)
def test_pod_whose_spec_is_not_a_mapping_is_bad_input_for_every_command(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, input="apiVersion: v1\nkind: Pod\nspec: x\n")
    assert result.exit_code == 2, result.output
    assert "-: document 0 (line 1): Pod has no pod spec: spec is a string" in result.output


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("# nothing here\n", id="comment-only"),
        pytest.param("", id="empty"),
        # a Helm values file: kept beside manifests in a directory, but alone it is no input
        pytest.param("replicas: 3\n", id="objects-without-a-kind"),
    ],
)
def test_file_without_kubernetes_objects_is_bad_input(tmp_path: Path, text: str) -> None:
    f = tmp_path / "empty.yaml"
    f.write_text(text)
    result = CliRunner().invoke(cli, ["pss", str(f), "--level", "baseline"])
    assert (result.exit_code, result.output.strip()) == (
        2,
        f"podgate: error: no Kubernetes objects in {f}",
    )


def test_deployment_without_a_pod_template_is_bad_input() -> None:
    with pytest.raises(
        LoadError, match=r"Deployment 'x' has no pod spec: spec.template is missing"
    ):
        list(
            load_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n", "-")
        )


def test_a_kind_of_the_same_name_in_another_group_needs_no_pod_spec() -> None:
    text = "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nspec: {tasks: []}\n"
    assert [d.obj["kind"] for d in load_text(text, "j.yaml")] == ["Job"]


@pytest.mark.e2e
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pods.yaml"
    os.mkfifo(fifo)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from podgate.cli.main import main; main()",
            "pss",
            str(fifo),
            "--level=baseline",
        ],
        capture_output=True,
        text=True,
        timeout=60,  # a bound so that a regression fails instead of hanging the suite
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "a FIFO, not a regular file or a directory" in proc.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_inside_a_directory_is_named_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(LoadError, match=r"pipe\.yaml: a FIFO"):
        load_documents([str(tmp_path)])


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_linked_directory_named_as_a_manifest_is_named_not_skipped(tmp_path: Path) -> None:
    """A directory walk does not follow a symlinked directory (as kubectl's does not); one named
    `*.yaml` would have had its privileged pod go unread without a word, where kubectl fails on
    it. A directory itself named so is walked, its files read."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "priv.yaml").write_text(PRIV_POD)
    root = tmp_path / "repo"
    (root / "real.yaml").mkdir(parents=True)
    (root / "real.yaml" / "pod.yaml").write_text(POD)
    (root / "linked.yaml").symlink_to(elsewhere, target_is_directory=True)
    (root / "linked-dir").symlink_to(elsewhere, target_is_directory=True)  # not a manifest's name
    with pytest.raises(LoadError, match=r"linked\.yaml: a symbolic link to a directory") as e:
        load_documents([str(root)])
    assert "linked-dir" not in str(e.value)
    result = CliRunner().invoke(cli, ["scan", str(root)], catch_exceptions=False)
    assert result.exit_code == 2
    assert f"{root / 'linked.yaml'}: a symbolic link to a directory" in result.stderr
    docs = load_documents([str(root)], exclude=["linked.yaml"])  # left out on purpose
    assert [d.file for d in docs] == [str(root / "real.yaml" / "pod.yaml")]
    assert [d.file for d in load_documents([str(root / "linked.yaml")])] == [
        str(root / "linked.yaml" / "priv.yaml")
    ]  # given itself, it is read


# --- point 8: every unreadable file at once, hints, --exclude --------------------------------


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "pod.yaml").write_text(PRIV_POD)
    (root / "app" / "values.yaml").write_text("replicas: 3\n")
    (root / "chart" / "templates").mkdir(parents=True)
    (root / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: chart\n")
    (root / "chart" / "templates" / "dep.yaml").write_text("kind: Pod\nspec: {{ .Values }}\n")
    (root / "kust").mkdir()
    (root / "kust" / "kustomization.yaml").write_text("resources: [pod.yaml]\n")
    (root / "kust" / "patch.yaml").write_text("- op: add\n")
    return root


def test_directory_names_every_unreadable_file_with_its_reason_and_hints(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    with pytest.raises(LoadError) as err:
        load_documents([str(root)], command="pss")
    text = str(err.value)
    lines = text.splitlines()
    assert lines[0].startswith("2 inputs could not be read")
    for name, reason in [
        ("chart/templates/dep.yaml", "invalid map key: a mapping"),
        ("kust/patch.yaml", "expected a Kubernetes object"),
    ]:
        assert any(str(root / name) in line and reason in line for line in lines), (name, text)
    assert f"hint: {root / 'kust'} holds a kustomization: render it first: " in text
    assert f"kubectl kustomize {root / 'kust'} | podgate pss -" in text
    assert f"helm template {root / 'chart'} | podgate pss -" in text


def test_exclude_leaves_files_out_on_purpose_and_says_how_many(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    args = ["pss", str(root), "--level", "baseline"]
    excludes = ["--exclude", "values.yaml", "--exclude", "chart", "--exclude", "kust/*"]
    result = CliRunner().invoke(cli, [*args, *excludes])
    assert result.exit_code == 1, result.output  # the privileged pod is judged
    assert "podgate: note: 5 files left out by --exclude" in result.output
    assert "privileged" in result.output


def test_one_unreadable_explicit_file_keeps_its_one_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("kind: Pod\nmetadata: [\n")
    result = CliRunner().invoke(cli, ["scan", str(f)])
    (line,) = result.output.strip().splitlines()
    assert (result.exit_code, line.startswith(f"podgate: error: {f}: document 0")) == (2, True)


def test_helm_templates_without_a_chart_file_get_the_helm_hint(tmp_path: Path) -> None:
    (tmp_path / "chart" / "templates").mkdir(parents=True)
    (tmp_path / "chart" / "templates" / "pod.yaml").write_text("kind: Pod\nspec: {{ .x }}\n")
    with pytest.raises(LoadError) as err:
        load_documents([str(tmp_path)])
    assert f"helm template {tmp_path / 'chart'} | podgate scan -" in str(err.value)
