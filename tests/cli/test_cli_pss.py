"""`podgate pss`: JSON shape, exit codes, bad input, directories, workloads, defaulting and
--from-namespace-labels (CliRunner in process; a few runs of the installed binary)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from podgate.cli.pss import command

PRIV_DETAIL = 'container "app" must not set securityContext.privileged=true'
RESULT_KEYS = {
    "source",
    "kind",
    "namespace",
    "name",
    "level",
    "version",
    "allowed",
    "violations",
    "message",
    "defaulted",
    "notes",
    "policySource",
    "exempt",
}


def pod_yaml(name: str = "web", ns: str | None = "shop", sc: str = "{}", extra: str = "") -> str:
    ns_line = f", namespace: {ns}" if ns else ""
    return (
        "apiVersion: v1\nkind: Pod\n"
        f"metadata: {{name: {name}{ns_line}}}\n"
        "spec:\n"
        f"{extra}"
        "  containers:\n"
        "  - name: app\n"
        "    image: app:1\n"
        f"    securityContext: {sc}\n"
    )


GOOD = pod_yaml(sc="{runAsUser: 1000}")
PRIV = pod_yaml(sc="{privileged: true}")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(command, list(args), input=stdin)


def results(result) -> list[dict]:
    return json.loads(result.stdout)["results"]


def test_json_shape_and_exit_codes(tmp_path):
    good, priv = write(tmp_path, "good.yaml", GOOD), write(tmp_path, "priv.yaml", PRIV)
    r = invoke(good, priv, "--level", "baseline", "--version", "latest", "-o", "json")
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    assert list(out) == ["results", "notes"]
    assert out["notes"] == []  # nothing left unjudged
    first, second = out["results"]
    assert set(first) == RESULT_KEYS
    assert first == {
        "source": {"file": good, "document": 0, "line": 1},
        "kind": "Pod",
        "namespace": "shop",
        "name": "web",
        "level": "baseline",
        "version": "latest",
        "allowed": True,
        "violations": [],
        "message": None,
        "defaulted": [],
        "notes": [],
        "policySource": "flag",
        "exempt": None,
    }
    assert second["source"]["file"] == priv
    assert second["allowed"] is False
    assert second["violations"] == [
        {"check": "privileged", "reason": "privileged", "detail": PRIV_DETAIL}
    ]
    assert second["message"] == (
        f'violates PodSecurity "baseline:latest": privileged ({PRIV_DETAIL})'
    )
    assert invoke(good, "--level", "baseline", "-o", "json").exit_code == 0


def test_violations_in_upstream_order_and_versions(tmp_path):
    raw = pod_yaml(sc="{capabilities: {add: [NET_RAW]}}")
    path = write(tmp_path, "p.yaml", raw)

    def checks(version: str) -> list[str]:
        r = invoke(path, "--level", "restricted", "--version", version, "-o", "json")
        assert r.exit_code == 1
        [res] = results(r)
        assert res["version"] == version
        return [v["check"] for v in res["violations"]]

    assert checks("v1.21") == [
        "capabilities_baseline",
        "allowPrivilegeEscalation",
        "runAsNonRoot",
        "seccompProfile_restricted",
    ]
    assert checks("latest") == [
        "allowPrivilegeEscalation",
        "capabilities_restricted",
        "runAsNonRoot",
        "seccompProfile_restricted",
    ]
    assert checks("v1.99") == checks("latest")


def test_text_output(tmp_path, monkeypatch):
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)
    good, priv = write(tmp_path, "good.yaml", GOOD), write(tmp_path, "priv.yaml", PRIV)
    r = invoke(good, priv, "--level", "baseline")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        f"PASS  Pod shop/web  baseline:latest  ({good}: document 0, line 1)",
        f"FAIL  Pod shop/web  baseline:latest  ({priv}: document 0, line 1)",
        f"      privileged: privileged ({PRIV_DETAIL})",
        "2 objects checked: 1 allowed, 1 violating",
    ]
    assert "\x1b[" not in r.stdout  # no colour off a terminal
    empty = write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    r = invoke(empty, "--level", "baseline")
    assert (r.exit_code, r.stdout) == (0, "no Pods or workloads found\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--level", "strict"], "--level: must be one of privileged, baseline, restricted"),
        (["--level", "Baseline"], "--level: must be one of privileged, baseline, restricted"),
        (["--level", "baseline", "--version", "v1.01"], '--version: must be "latest" or "v1.x"'),
        (["--level", "baseline", "--version", "1.24"], '--version: must be "latest" or "v1.x"'),
        ([], "give --level LEVEL (baseline or restricted) or --from-namespace-labels"),
        (
            ["--level", "baseline", "--from-namespace-labels"],
            "give either --level or --from-namespace-labels, not both",
        ),
        (
            ["--from-namespace-labels", "--version", "v1.2"],
            "--version goes with --level; with --from-namespace-labels the version comes from "
            "the enforce-version label",
        ),
        (
            ["--level", "baseline", "--config", "c.yaml"],
            "--config goes with --from-namespace-labels",
        ),
    ],
)
def test_bad_flags(tmp_path, args, message):
    r = invoke(write(tmp_path, "good.yaml", GOOD), *args)
    assert r.exit_code == 2
    assert r.stderr == f"podgate: error: {message}\n"
    assert r.stdout == ""


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "broken.yaml",
            GOOD + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: x\nspec: {}\n",
            "document 1 (line 13): invalid YAML: while parsing a flow mapping did not find "
            "expected ',' or '}'",
        ),
        (
            "list.yaml",
            "- a\n- b\n",
            "document 0 (line 1): expected a Kubernetes object (a mapping), got a list",
        ),
        (
            "bad.json",
            '{"kind": "Pod",\n "x": }',
            "document 0 (line 2): invalid JSON: unexpected character",
        ),
    ],
)
def test_bad_input_names_file_document_line(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    r = invoke(path, "--level", "baseline", "-o", "json")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"podgate: error: {path}: {message}")
    assert len(r.stderr.splitlines()) == 1
    assert r.stdout == ""


def test_missing_file(tmp_path):
    missing = str(tmp_path / "missing.yaml")
    r = invoke(missing, "--level", "baseline")
    assert (r.exit_code, r.stderr) == (2, f"podgate: error: {missing}: no such file or directory\n")


def test_directories_workloads_and_skipped_objects(tmp_path):
    root = tmp_path / "manifests"
    write(root, "a/pod.yaml", PRIV)
    write(
        root,
        "b/apps.yml",
        """apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      hostPID: true
      containers: [{name: app, image: app:1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: job, image: job:1}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
""",
    )
    write(root, ".hidden/skip.yaml", PRIV)
    write(root, "notes.txt", "not yaml")
    r = invoke(str(root), "--level", "baseline", "-o", "json")
    assert r.exit_code == 1
    got = [
        (x["source"]["file"], x["source"]["document"], x["kind"], x["name"], x["allowed"])
        for x in results(r)
    ]
    assert got == [
        (str(root / "a/pod.yaml"), 0, "Pod", "web", False),
        (str(root / "b/apps.yml"), 1, "Deployment", "api", False),
        (str(root / "b/apps.yml"), 2, "CronJob", "nightly", True),
    ]
    deployment = results(r)[1]
    assert deployment["violations"] == [
        {"check": "hostNamespaces", "reason": "host namespaces", "detail": "hostPID=true"}
    ]


def test_list_items_and_stdin(tmp_path):
    text = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "a"},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "b"},
                    "spec": {"hostIPC": True, "containers": [{"name": "c", "image": "i"}]},
                },
            ],
        }
    )
    r = invoke("-", "--level", "baseline", "-o", "json", stdin=text)
    assert r.exit_code == 1
    got = results(r)
    assert [(x["source"], x["name"], x["allowed"]) for x in got] == [
        ({"file": "-", "document": 0, "line": 1, "item": 0}, "a", True),
        ({"file": "-", "document": 0, "line": 1, "item": 1}, "b", False),
    ]


def test_defaulting_is_applied_and_reported(tmp_path):
    path = write(
        tmp_path,
        "vol.yaml",
        pod_yaml(extra="  hostNetwork: true\n  volumes: [{name: scratch}]\n", sc="{}").replace(
            "image: app:1", "image: app:1\n    ports: [{containerPort: 80}]"
        ),
    )
    r = invoke(path, "--level", "restricted", "-o", "json")
    [res] = results(r)
    assert res["defaulted"] == [
        {"field": "spec.volumes[0].emptyDir", "value": "{}"},
        {"field": "spec.containers[0].ports[0].hostPort", "value": "80"},
    ]
    assert "restrictedVolumes" not in [v["check"] for v in res["violations"]]
    assert [v["detail"] for v in res["violations"] if v["check"] == "hostPorts"] == [
        'container "app" uses hostPort 80'
    ]
    assert res["notes"] == ["judged after the API server's defaulting (see defaulted)"]
    r = invoke(path, "--level", "restricted", "-o", "json", "--no-defaults")
    [res] = results(r)
    assert res["defaulted"] == []
    volumes = [v for v in res["violations"] if v["check"] == "restrictedVolumes"]
    assert volumes == [
        {
            "check": "restrictedVolumes",
            "reason": "restricted volume types",
            "detail": 'volume "scratch" uses restricted volume type "unknown"',
        }
    ]
    assert "hostPorts" not in [v["check"] for v in res["violations"]]


def test_templates_get_no_hostport_default(tmp_path):
    path = write(
        tmp_path,
        "ds.yaml",
        """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  template:
    spec:
      hostNetwork: true
      volumes: [{name: v}]
      containers: [{name: a, image: a, ports: [{containerPort: 9100}]}]
""",
    )
    [res] = results(invoke(path, "--level", "baseline", "-o", "json"))
    assert res["defaulted"] == [{"field": "spec.template.spec.volumes[0].emptyDir", "value": "{}"}]
    assert [v["check"] for v in res["violations"]] == ["hostNamespaces"]


NAMESPACES = """apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: v1.24
    pod-security.kubernetes.io/warn: restricted
---
apiVersion: v1
kind: Namespace
metadata:
  name: broken
  labels: {pod-security.kubernetes.io/enforce: strict}
"""


def test_from_namespace_labels(tmp_path):
    ns = write(tmp_path, "ns.yaml", NAMESPACES)
    pods = write(
        tmp_path,
        "pods.yaml",
        "\n---\n".join(
            [
                pod_yaml("a", "shop", "{privileged: true}"),
                pod_yaml("b", "shop"),
                pod_yaml("c", "broken"),
                pod_yaml("d", "elsewhere", "{privileged: true}"),
                pod_yaml("e", None, "{privileged: true}"),
            ]
        ),
    )
    r = invoke(pods, ns, "--from-namespace-labels", "-o", "json")
    assert r.exit_code == 1
    got = {x["name"]: x for x in results(r)}
    assert [
        (n, x["level"], x["version"], x["allowed"], x["policySource"]) for n, x in got.items()
    ] == [
        ("a", "baseline", "v1.24", False, "namespace"),
        ("b", "baseline", "v1.24", True, "namespace"),
        ("c", "restricted", "latest", False, "namespace"),
        ("d", "privileged", "latest", True, "defaults"),
        ("e", "privileged", "latest", True, "defaults"),
    ]
    assert got["a"]["admission"] == {
        "allowed": False,
        "message": 'pods "a" is forbidden: violates PodSecurity "baseline:v1.24": privileged '
        f"({PRIV_DETAIL})",
        "warnings": [],
        "auditAnnotations": {"enforce-policy": "baseline:v1.24"},
    }
    assert got["b"]["admission"]["warnings"][0].startswith(
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false'
    )
    assert got["c"]["labelErrors"] == [
        'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": '
        "must be one of privileged, baseline, restricted"
    ]
    assert got["d"]["notes"] == [
        'namespace "elsewhere" is not in the input: the configuration\'s defaults '
        "(enforce=privileged:latest, audit=privileged:latest, warn=privileged:latest) apply"
    ]
    assert got["e"]["notes"] == [
        'no metadata.namespace: judged as in namespace "default"',
        'namespace "default" is not in the input: the configuration\'s defaults '
        "(enforce=privileged:latest, audit=privileged:latest, warn=privileged:latest) apply",
    ]


def test_config_defaults_and_exemptions(tmp_path):
    ns = write(tmp_path, "ns.yaml", NAMESPACES)
    pods = write(
        tmp_path,
        "pods.yaml",
        "\n---\n".join(
            [
                pod_yaml("d", "elsewhere", "{privileged: true}"),
                pod_yaml("k", "kube-system", "{privileged: true}"),
                pod_yaml("g", "shop", "{privileged: true}", "  runtimeClassName: gvisor\n"),
            ]
        ),
    )
    inner = write(
        tmp_path,
        "conf/pss.yaml",
        """apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: baseline}
exemptions: {namespaces: [kube-system], runtimeClasses: [gvisor]}
""",
    )
    outer = write(
        tmp_path,
        "conf/admission.yaml",
        """apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  path: pss.yaml
""",
    )
    for config in (inner, outer):
        r = invoke(pods, ns, "--from-namespace-labels", "--config", config, "-o", "json")
        got = {x["name"]: x for x in results(r)}
        assert r.exit_code == 1
        assert (got["d"]["level"], got["d"]["allowed"]) == ("baseline", False)
        assert (got["k"]["exempt"], got["k"]["allowed"], got["k"]["violations"]) == (
            "namespace",
            True,
            [],
        )
        assert got["k"]["admission"]["auditAnnotations"] == {"exempt": "namespace"}
        assert (got["g"]["exempt"], got["g"]["allowed"]) == ("runtimeClass", True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n"
            "defaults: {enforce: strict}\n",
            'defaults.enforce: Invalid value: "strict": must be one of privileged, baseline, '
            "restricted",
        ),
        (
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n"
            "deflaults: {}\n",
            'strict decoding error: unknown field "deflaults"',
        ),
        ("# only a comment\n", "Object 'Kind' is missing"),
        ("a: [\n", "document 0 (line 2): invalid YAML: "),
    ],
)
def test_bad_config(tmp_path, text, message):
    config = write(tmp_path, "config.yaml", text)
    pods = write(tmp_path, "pod.yaml", GOOD)
    r = invoke(pods, "--from-namespace-labels", "--config", config)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"podgate: error: {config}: {message}")


def test_empty_config_means_defaults(tmp_path):
    config = write(tmp_path, "config.yaml", "")
    r = invoke(write(tmp_path, "p.yaml", PRIV), "--from-namespace-labels", "--config", config)
    assert r.exit_code == 0


def test_help_teaches():
    r = invoke("--help")
    assert r.exit_code == 0
    for text in (
        "--level",
        "--from-namespace-labels",
        "Examples:",
        "podgate pss pod.yaml",
        "Exit codes: 0 everything allowed",
    ):
        assert text in r.stdout


PODGATE = Path(sys.executable).with_name("podgate")


@pytest.mark.e2e
@pytest.mark.skipif(not PODGATE.exists(), reason=f"no installed podgate at {PODGATE}")
def test_installed_binary_exit_codes_without_traceback(tmp_path):
    good, priv = write(tmp_path, "good.yaml", GOOD), write(tmp_path, "priv.yaml", PRIV)
    bad = write(tmp_path, "bad.yaml", "kind: Pod\nmetadata: {name: [}\n")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "NO_COLOR": "1"}
        return subprocess.run(
            [str(PODGATE), "pss", *args], capture_output=True, text=True, env=env, check=False
        )

    assert run(good, "--level", "restricted", "--version", "v1.0").returncode == 1
    assert run(good, "--level", "baseline").returncode == 0
    p = run(good, priv, "--level", "baseline", "-o", "json")
    assert p.returncode == 1
    assert [r["allowed"] for r in json.loads(p.stdout)["results"]] == [True, False]
    for args in ([bad, "--level", "baseline"], [str(tmp_path / "nope.yaml"), "--level", "x"]):
        p = run(*args)
        assert p.returncode == 2
        assert "Traceback" not in p.stderr
        assert len(p.stderr.splitlines()) == 1
    assert "(line 2)" in run(bad, "--level", "baseline").stderr
