"""The locator follows a field path's steps: a map key holding dots and slashes is one step,
an index picks a list element, and a missing step stops at the nearest existing parent."""

from __future__ import annotations

import json
from pathlib import Path

from podgate.io.locate import Locator
from podgate.k8s.source import Source

KEY = "container.seccomp.security.alpha.kubernetes.io/web.v2"
YAML = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: w
spec:
  template:
    metadata:
      annotations:
        other: x
        {KEY}: unconfined
    spec:
      containers:
      - name: a
        image: i
      - name: web
        image: i
        securityContext:
          privileged: true
"""


def test_yaml_key_with_dots_and_slash_is_one_step(tmp_path: Path) -> None:
    file = tmp_path / "d.yaml"
    file.write_text(YAML)
    locate = Locator()
    src = Source(str(file), 0, 1, None)
    assert locate(src, ("spec", "template", "metadata", "annotations", KEY)) == (10, 9)
    privileged = ("spec", "template", "spec", "containers", 1, "securityContext", "privileged")
    assert locate(src, privileged) == (18, 11)
    missing = ("spec", "template", "spec", "containers", 1, "securityContext", "runAsUser")
    assert locate(src, missing) == (17, 9)


def test_json_follows_the_same_steps(tmp_path: Path) -> None:
    import yaml

    file = tmp_path / "d.json"
    file.write_text(json.dumps(yaml.safe_load(YAML), indent=1))
    lines = file.read_text().splitlines()
    found = Locator()(Source(str(file), 0, 1, None), ("spec", "template", "metadata",
                                                       "annotations", KEY))  # fmt: skip
    assert found is not None
    assert lines[found[0] - 1].strip().startswith(json.dumps(KEY))
