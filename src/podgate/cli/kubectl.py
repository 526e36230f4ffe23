"""Entry point of `kubectl-podgate`: podgate as a kubectl plugin, `kubectl podgate scan ...`.

kubectl finds `kubectl-podgate` on PATH and runs it with the words after `podgate`; it passes
none of its own flags and no context, so the plugin reads the kubeconfig itself (KUBECONFIG,
else ~/.kube/config, as kubectl does). To feel like kubectl:

- `kubectl podgate scan` with no INPUT reads the current cluster (`--live` is implied);
- `--context`, `-n/--namespace`, `--kubeconfig` and `--insecure-skip-tls-verify` imply `--live`
  for `scan`, and may also stand before the subcommand (`kubectl podgate -n shop scan`), as
  kubectl's global flags do.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from podgate.cli.main import cli

PROG = "kubectl podgate"
LIVE_FLAGS = ("--context", "--namespace", "-n", "--kubeconfig")  # flags that take a value
LIVE_SWITCHES = ("--insecure-skip-tls-verify",)


def _hoist(args: list[str]) -> tuple[list[str], list[str]]:
    """Split kubectl-style global flags standing before the subcommand from the rest."""
    hoisted: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.split("=", 1)[0]
        attached = (name in LIVE_FLAGS and "=" in arg) or (arg.startswith("-n") and len(arg) > 2)
        if arg in LIVE_SWITCHES or attached:  # --insecure-skip-tls-verify, --context=x, -nshop
            hoisted.append(arg)
            i += 1
        elif arg in LIVE_FLAGS and i + 1 < len(args):  # --context x
            hoisted.extend(args[i : i + 2])
            i += 2
        else:
            break
    return hoisted, args[i:]


def plugin_args(argv: Sequence[str]) -> list[str]:
    """podgate's arguments for the plugin's: kubectl-style global flags moved after `scan`, and
    `--live` added to a `scan` given no INPUT or any of the cluster flags."""
    hoisted, rest = _hoist(list(argv))
    if not rest or rest[0] != "scan":
        return list(argv)  # other subcommands read no cluster: their own errors say so
    args = [rest[0], *hoisted, *rest[1:]]
    if "--live" in args or "-h" in args or "--help" in args:
        return args
    from podgate.cli.scan import command as scan

    params = scan.make_context(f"{PROG} scan", args[1:], resilient_parsing=True).params
    cluster_flags = ("kubeconfig", "kube_context", "namespace", "insecure_skip_tls_verify")
    if not params.get("inputs") or any(params.get(p) for p in cluster_flags):
        args.append("--live")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """`kubectl-podgate`: podgate's commands, named as kubectl shows them."""
    from podgate.cli.common import run

    run(cli, plugin_args(sys.argv[1:] if argv is None else argv), PROG)
