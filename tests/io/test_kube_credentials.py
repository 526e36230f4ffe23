"""Exec credential plugins and their refresh (podgate.io.kube.credentials): no shell, a time
limit, a size limit on what they print, a credential renewed when it expires."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from podgate.errors import ApiError
from podgate.io.kube import Credentials, ExecPlugin

V1 = "client.authentication.k8s.io/v1"


def plugin(script: str, **extra: Any) -> ExecPlugin:
    config = {
        "apiVersion": V1,
        "command": sys.executable,
        "args": ["-c", script],
        "interactiveMode": "Never",
        **extra,
    }
    return ExecPlugin(config)


def credential(status: dict[str, Any]) -> str:
    """A plugin script printing an ExecCredential with `status`, counting its runs in the
    file named by its first argument."""
    body = json.dumps({"apiVersion": V1, "kind": "ExecCredential", "status": status})
    return (
        "import pathlib, sys; p = pathlib.Path(sys.argv[1]); "
        "p.write_text(p.read_text() + 'x' if p.exists() else 'x'); "
        f"print({body!r})"
    )


def test_output_over_the_limit_is_refused() -> None:
    big = plugin("import sys; sys.stdout.write('x' * 10_000_000); sys.stdout.flush()")
    with pytest.raises(ApiError) as e:
        big.run("cluster:dev", limit=4096)
    assert (
        str(e.value)
        == f"cluster:dev: exec plugin {sys.executable!r}: its output is over 4096 bytes"
    )


def test_a_plugin_that_does_not_finish_in_time_is_stopped() -> None:
    slow = plugin("import time; time.sleep(60)", installHint="install it with: brew install it")
    with pytest.raises(ApiError, match=r"timed out after 0\.2 seconds \(install it with") as e:
        slow.run("cluster:dev", timeout=0.2)
    assert str(e.value).startswith(f"cluster:dev: exec plugin {sys.executable!r} failed: ")


def test_the_last_line_of_stderr_names_the_failure() -> None:
    failing = plugin("import sys; print('a\\nplease log in', file=sys.stderr); sys.exit(4)")
    with pytest.raises(ApiError, match=r"exited with 4: please log in$"):
        failing.run("cluster:dev")


def test_env_and_cluster_info_reach_the_plugin(tmp_path: Path) -> None:
    script = (
        "import json, os; info = json.loads(os.environ['KUBERNETES_EXEC_INFO']); "
        "print(json.dumps({'status': {'token': os.environ['FROM_ENV'] + ' ' "
        "+ info['spec']['cluster']['server']}}))"
    )
    p = ExecPlugin(
        {
            "apiVersion": V1,
            "command": sys.executable,
            "args": ["-c", script],
            "env": [{"name": "FROM_ENV", "value": "t"}],
            "provideClusterInfo": True,
            "interactiveMode": "Never",
        },
        tmp_path / "kubeconfig",
        {"server": "https://example:6443"},
    )
    assert p.run("cluster:dev").token == "t https://example:6443"


def test_an_expired_credential_runs_the_plugin_again(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    script = credential({"token": "t", "expirationTimestamp": "2030-01-01T00:00:00Z"})
    p = ExecPlugin({**plugin(script).config, "args": ["-c", script, str(runs)]})
    now = [1_800_000_000.0]  # 2027
    creds = Credentials(exec_plugin=p, wall_clock=lambda: now[0])
    assert creds.authorization() == "Bearer t"
    assert creds.authorization() == "Bearer t"
    assert runs.read_text() == "x"  # not expired: the credential is kept
    now[0] = 1_900_000_000.0  # 2030-03
    assert creds.authorization() == "Bearer t"
    assert runs.read_text() == "xx"
    assert creds.authorization(refresh=True) == "Bearer t"  # after a 401
    assert runs.read_text() == "xxx"


def test_an_expiration_that_is_not_a_time_is_an_error(tmp_path: Path) -> None:
    script = credential({"token": "t", "expirationTimestamp": "soon"})
    p = ExecPlugin({**plugin(script).config, "args": ["-c", script, str(tmp_path / "runs")]})
    with pytest.raises(ApiError, match="expirationTimestamp 'soon' is not a time"):
        Credentials(exec_plugin=p, where="cluster:dev").authorization()


def test_no_token_or_certificate_is_an_error(tmp_path: Path) -> None:
    script = credential({})
    p = ExecPlugin({**plugin(script).config, "args": ["-c", script, str(tmp_path / "runs")]})
    with pytest.raises(ApiError, match="no token or certificate"):
        p.run("cluster:dev")
