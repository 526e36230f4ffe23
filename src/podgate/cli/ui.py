"""`podgate ui`: a local web UI over the scan, with previews of every change before it is made."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click
import orjson

from podgate import __version__
from podgate.cli.common import (
    fail,
    handles_errors,
    max_bytes_option,
    read_live,
)
from podgate.cli.scan import load_exceptions
from podgate.io.catalog import load_catalog
from podgate.io.kube import is_loopback
from podgate.io.loader import load_documents
from podgate.io.locate import Locator
from podgate.io.policies import load_policies
from podgate.io.prepare import prepare
from podgate.io.pss_config import load_pss_config
from podgate.pss.config import DEFAULT_CONFIGURATION
from podgate.scan import ScanOptions

EPILOG = """\b
Examples:
  podgate ui examples/cluster examples/policies examples/rbac --exceptions examples/exceptions.yaml
  podgate ui snapshot.json --policy policies/ --token-file ~/.podgate-ui-token
  podgate ui --live --context prod                       # read the cluster (read-only)
  podgate ui --live --allow-changes                      # and apply previewed changes
\b
Safe by default: it listens on 127.0.0.1 only (another address needs --listen and
--allow-remote), answers only to its own Host names, needs the token printed with the URL
(or --token-file), checks the CSRF token and Origin of every POST, and is read-only unless
--allow-changes (with --live) is given: then each change is sent as a server-side dry run
first, and one JSON audit line per call is written to standard output."""


def _split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        fail(f"--listen: expected ADDR:PORT, got {listen!r}")
    host = host.strip("[]")
    return host, int(port)


def _token(path: str | None) -> str:
    from podgate.ui.security import new_token

    if path is None:
        return new_token()
    p = Path(path)
    if p.exists():
        token = p.read_text(encoding="utf-8").strip()
        if len(token) < 16:
            fail(f"{path}: the token is shorter than 16 characters")
        return token
    token = new_token()
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token


@click.command(name="ui", epilog=EPILOG)
@click.argument("inputs", nargs=-1, required=False, metavar="[INPUT]...")
@click.option("--live", is_flag=True, help="Read the current cluster (besides INPUT).")
@click.option("--kubeconfig", default=None, metavar="FILE", help="With --live: kubeconfig file.")
@click.option("--context", "kube_context", default=None, help="With --live: kubeconfig context.")
@click.option(
    "--policy", "policies", multiple=True, metavar="PATH",
    help="PodSecurityPolicies besides those in the input (files, directories, builtin:NAME).",
)  # fmt: skip
@click.option("--exceptions", "exceptions_path", default=None, metavar="FILE",
              help="Accepted risks (an ExceptionList).")  # fmt: skip
@click.option("--config", "config_path", default=None, metavar="FILE",
              help="PodSecurityConfiguration: defaults and exemptions.")  # fmt: skip
@click.option("--listen", default="127.0.0.1:8765", show_default=True, metavar="ADDR:PORT",
              help="Where to listen (port 0: any free port).")  # fmt: skip
@click.option("--allow-remote", is_flag=True,
              help="Allow a --listen address that is not loopback (put an authenticating "
              "proxy in front: see deploy/ui).")  # fmt: skip
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="HOST[:PORT]",
              help="Another Host header to answer (the name a proxy forwards). "
              "Repeatable.")  # fmt: skip
@click.option("--token-file", default=None, metavar="FILE",
              help="Read the token from FILE, or write a new one there (mode 0600).")  # fmt: skip
@click.option("--allow-changes", is_flag=True,
              help="With --live: apply previewed changes (server-side dry run first).")  # fmt: skip
@max_bytes_option
@handles_errors
def command(
    inputs: tuple[str, ...],
    live: bool,
    kubeconfig: str | None,
    kube_context: str | None,
    policies: tuple[str, ...],
    exceptions_path: str | None,
    config_path: str | None,
    listen: str,
    allow_remote: bool,
    allowed_hosts: tuple[str, ...],
    token_file: str | None,
    allow_changes: bool,
    max_bytes: int,
) -> None:
    """Serve a web UI on 127.0.0.1 over the scan of INPUT (and/or --live): readiness, risk,
    policies, namespaces, workloads, RBAC, exceptions and the advisor, with previews of
    disabling a policy, binding one and relabelling a namespace."""
    host, port = _split_listen(listen)
    if not is_loopback(host) and not allow_remote:
        fail(
            f"--listen {listen}: not a loopback address; add --allow-remote to serve it "
            f"(behind an authenticating proxy)"
        )
    if allow_changes and not live:
        fail("--allow-changes needs --live (offline, every change is a file to download)")
    if not inputs and not live:
        fail("give INPUT (files, directories, - for stdin) or --live to read the current cluster")
    if (kubeconfig or kube_context) and not live:
        fail("--kubeconfig and --context need --live")
    docs = load_documents(inputs, max_bytes=max_bytes)
    notes: list[str] = []
    if live:
        docs.extend(read_live(kubeconfig, kube_context, None, False, max_bytes, False, notes=notes))
    if policies:
        docs.extend(load_policies(policies, max_bytes=max_bytes))
    config = (
        DEFAULT_CONFIGURATION if config_path is None else load_pss_config(config_path, max_bytes)
    )
    prepared = prepare(docs, defaults=True)
    options = ScanOptions(
        config=config,
        exceptions=load_exceptions(exceptions_path, max_bytes),
        today=dt.datetime.now(dt.UTC).date(),
    )
    serve(
        prepared, options, host, port, _token(token_file), allowed_hosts,
        allow_changes=allow_changes, live=live, kubeconfig=kubeconfig, kube_context=kube_context,
        locate=Locator(max_bytes),
    )  # fmt: skip


def _audit(line: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(line).decode() + "\n")
    sys.stdout.flush()


def serve(
    docs: list[Any],
    options: ScanOptions,
    host: str,
    port: int,
    token: str,
    allowed_hosts: tuple[str, ...],
    *,
    allow_changes: bool,
    live: bool,
    kubeconfig: str | None,
    kube_context: str | None,
    locate: Any,
) -> None:
    import socket

    import uvicorn

    from podgate.ui.app import UiApp
    from podgate.ui.model import Model
    from podgate.ui.security import Guard

    model = Model(
        docs, load_catalog(), options, locate=locate,
        command="podgate " + shlex.join(sys.argv[1:]), live=live,
    )  # fmt: skip
    _ = model.result  # scan before listening: bad input fails here, with exit 2
    applier = None
    if allow_changes:
        from podgate.ui.live import applier as make_applier
        from podgate.webhook.kube_client import from_kubeconfig

        client = from_kubeconfig(kubeconfig, kube_context)
        identity = f"kubeconfig {kubeconfig or '(default)'} context {kube_context or '(current)'}"
        applier = make_applier(client, identity, _audit)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    port = sock.getsockname()[1]
    guard = Guard.for_listen(token, host, port, allowed_hosts)
    app = UiApp(model, guard, allow_changes=allow_changes, applier=applier, version=__version__)
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"podgate ui: serving {len(model.result.workloads)} workloads "
        f"({'changes allowed' if allow_changes else 'read-only'}). Open:\n"
        f"    http://{shown}:{port}/?token={token}",
        err=True,
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
