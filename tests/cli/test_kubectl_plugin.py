"""`kubectl-podgate`, the kubectl plugin: its argument handling, the installed entry point run
as kubectl runs it (a subprocess with only the words after `podgate`, and KUBECONFIG from the
environment), and, where kubectl is installed, `kubectl podgate ...` itself."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from podgate.cli.kubectl import plugin_args
from tests.io import test_live as lv

# the local HTTPS API server and its certificates, from test_live (`pki` from tests/conftest.py)
certs = lv.certs
api = lv.api

BIN = Path(sys.executable).parent
PLUGIN = BIN / "kubectl-podgate"


@pytest.mark.parametrize(
    ("given", "run"),
    [
        (["scan"], ["scan", "--live"]),
        (["scan", "-o", "json"], ["scan", "-o", "json", "--live"]),
        (["scan", "snapshot.json"], ["scan", "snapshot.json"]),
        (["scan", "snapshot.json", "--live"], ["scan", "snapshot.json", "--live"]),
        (
            ["scan", "snapshot.json", "-n", "shop"],
            ["scan", "snapshot.json", "-n", "shop", "--live"],
        ),
        (["-n", "shop", "scan"], ["scan", "-n", "shop", "--live"]),
        (["-nshop", "scan", "-o", "json"], ["scan", "-nshop", "-o", "json", "--live"]),
        (
            ["--context=prod", "--namespace", "shop", "scan", "x.yaml"],
            ["scan", "--context=prod", "--namespace", "shop", "x.yaml", "--live"],
        ),
        (
            ["--insecure-skip-tls-verify", "--kubeconfig", "kc", "scan"],
            ["scan", "--insecure-skip-tls-verify", "--kubeconfig", "kc", "--live"],
        ),
        (["scan", "--help"], ["scan", "--help"]),
        (["scan", "--policy", "p.yaml"], ["scan", "--policy", "p.yaml", "--live"]),
        (["pss", "pod.yaml"], ["pss", "pod.yaml"]),
        (["-n", "shop", "pss", "pod.yaml"], ["-n", "shop", "pss", "pod.yaml"]),
        (["--version"], ["--version"]),
        ([], []),
    ],
)
def test_plugin_args(given: list[str], run: list[str]) -> None:
    assert plugin_args(given) == run


@pytest.fixture
def plugin_env(tmp_path: Path, api: lv.FakeApi, certs: lv.Certs) -> dict[str, str]:
    """The environment kubectl hands a plugin: KUBECONFIG names the cluster, nothing else."""
    if not PLUGIN.is_file():
        pytest.skip(f"{PLUGIN} is missing: `pip install -e .` installs the console script")
    kc = lv.write_kubeconfig(
        tmp_path / "kubeconfig", api.url, ca=certs.ca_pem, extra_contexts=("prod",)
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")
    }
    env.update(
        KUBECONFIG=str(kc), HOME=str(tmp_path / "home"), PATH=f"{BIN}{os.pathsep}{env['PATH']}"
    )
    return env


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def _workloads(stdout: str) -> set[tuple[str, str, str]]:
    return {(w["kind"], w["namespace"], w["name"]) for w in json.loads(stdout)["workloads"]}


@pytest.mark.e2e
def test_plugin_scans_the_current_cluster(plugin_env: dict[str, str]) -> None:
    got = _run([str(PLUGIN), "scan", "-o", "json", "-q"], plugin_env)
    assert got.returncode == 1, got.stderr
    assert len(_workloads(got.stdout)) == 5
    assert "may not list roles in all namespaces" in got.stderr


@pytest.mark.e2e
def test_plugin_namespace_before_the_subcommand(plugin_env: dict[str, str]) -> None:
    got = _run([str(PLUGIN), "-n", "team-b", "scan", "-o", "json"], plugin_env)
    assert got.returncode == 0, got.stderr
    assert _workloads(got.stdout) == {("Deployment", "team-b", "web")}


@pytest.mark.e2e
def test_plugin_context(plugin_env: dict[str, str]) -> None:
    got = _run([str(PLUGIN), "scan", "--context", "prod", "-o", "json"], plugin_env)
    assert got.returncode == 1, got.stderr
    files = {w["source"]["file"] for w in json.loads(got.stdout)["workloads"]}
    assert files == {"cluster:prod"}
    got = _run([str(PLUGIN), "scan", "--context", "staging"], plugin_env)
    assert got.returncode == 2
    assert got.stderr.startswith('podgate: error: cluster:staging: context "staging" not found')


@pytest.mark.e2e
def test_plugin_help_names_kubectl(plugin_env: dict[str, str]) -> None:
    got = _run([str(PLUGIN), "scan", "--help"], plugin_env)
    assert got.returncode == 0
    assert got.stdout.startswith("Usage: kubectl podgate scan [OPTIONS] [INPUT]...")
    assert "--kubeconfig FILE" in got.stdout


@pytest.mark.e2e
def test_through_kubectl(plugin_env: dict[str, str]) -> None:
    kubectl = shutil.which("kubectl", path=plugin_env["PATH"])
    if kubectl is None:
        pytest.skip(
            "kubectl is not installed: the plugin is tested through its entry point above, "
            "run as kubectl runs it"
        )
    got = _run([kubectl, "podgate", "scan", "-n", "team-a", "-o", "json"], plugin_env)
    assert got.returncode == 1, got.stderr
    assert _workloads(got.stdout) == {
        ("Pod", "team-a", "root-shell"),
        ("Pod", "team-a", "debug"),
        ("Deployment", "team-a", "api"),
    }
    listed = _run([kubectl, "plugin", "list"], plugin_env)
    assert str(PLUGIN) in listed.stdout


# ---------------------------------------------------------------------------------------------
# the krew manifest and the launcher it installs

ROOT = Path(__file__).resolve().parents[2]
KREW = ROOT / "krew"
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
}


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((KREW / "podgate.yaml").read_text())
    return data


def test_krew_manifest_follows_krews_rules() -> None:
    from podgate import __version__

    m = _manifest()
    assert m["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert m["kind"] == "Plugin"
    name = m["metadata"]["name"]
    assert name == "podgate" == (KREW / "podgate.yaml").stem
    assert re.fullmatch(r"[\w-]+", name) and name.upper() not in WINDOWS_DEVICES
    spec = m["spec"]
    assert spec["version"] == f"v{__version__}"
    assert re.fullmatch(r"v\d+\.\d+\.\d+(-[\w.]+)?", spec["version"])
    assert spec["shortDescription"] and "\n" not in spec["shortDescription"]
    assert spec["description"].strip() and "--help" in spec["description"]
    assert "pip install" in spec["caveats"] and "Python 3.11" in spec["caveats"]
    assert spec["platforms"]
    for p in spec["platforms"]:
        sel = p["selector"]
        keys = set(sel.get("matchLabels", {})) | {e["key"] for e in sel.get("matchExpressions", [])}
        assert keys == {"os", "arch"}
        assert p["uri"].endswith(".tar.gz") and spec["version"] in p["uri"]
        assert re.fullmatch(r"[0-9a-f]{64}", p["sha256"])
        assert p["bin"] == "kubectl-podgate"
        assert all((KREW / f["from"]).is_file() for f in p["files"])


def test_krew_archive_checksum_is_current() -> None:
    """The sha256 in the manifest is that of the archive build_archive.py makes now: change the
    launcher and this fails until the manifest is updated."""
    spec = runpy.run_path(str(KREW / "build_archive.py"))
    data = spec["archive_bytes"]()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        (member,) = tar.getmembers()
        assert member.name == "kubectl-podgate" and member.mode == 0o755
    for p in _manifest()["spec"]["platforms"]:
        assert p["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.e2e
def test_launcher_runs_the_installed_podgate(plugin_env: dict[str, str]) -> None:
    got = _run([sys.executable, str(KREW / "kubectl-podgate"), "scan", "-o", "json"], plugin_env)
    assert got.returncode == 1, got.stderr
    assert len(_workloads(got.stdout)) == 5


@pytest.mark.e2e
def test_launcher_without_podgate_says_how_to_install(tmp_path: Path) -> None:
    bare = tmp_path / "bare-python"
    bare.write_text(
        "#!/bin/sh\n"  # a python that cannot import podgate: -I ignores the venv's site-packages
        f'exec {shlex.quote(sys.base_prefix)}/bin/python3 -I -S "$@"\n'
    )
    bare.chmod(0o755)
    env = {**os.environ, "PODGATE_PYTHON": str(bare)}
    got = _run([sys.executable, str(KREW / "kubectl-podgate"), "scan"], env)
    assert got.returncode == 2
    assert "kubectl-podgate: podgate is not installed for" in got.stderr
    assert "python3 -m pip install --user podgate" in got.stderr
