"""Entry point: `podgate COMMAND ...`. Each command's module is imported only when that
command runs (or its help is shown), so `podgate scan` does not pay for the webhook's imports."""

from __future__ import annotations

import importlib
import sys

import click

from podgate import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# command name -> (module, one-line summary for `podgate --help`)
COMMANDS = {
    "scan": (
        "podgate.cli.scan",
        "Scan manifests, snapshots or a cluster: findings, readiness, risk.",
    ),
    "admit": ("podgate.cli.admit", "What PodSecurityPolicy admission decides for one pod."),
    "lint": ("podgate.cli.lint", "Is each PodSecurityPolicy valid, and what looks wrong."),
    "pss": ("podgate.cli.pss", "Check objects against the Pod Security Standards."),
    "advise": (
        "podgate.cli.advise",
        "Least-privilege PodSecurityPolicies and RBAC from workloads.",
    ),
    "export": (
        "podgate.cli.export",
        "Export PodSecurityPolicies to PSA, VAP, Gatekeeper or Kyverno, proved against PSP.",
    ),
    "simplify": (
        "podgate.cli.simplify",
        "Non-mutating, merged PodSecurityPolicies, with per-workload patches, proved.",
    ),
    "serve": ("podgate.cli.serve", "Run the admission webhook (HTTPS)."),
    "certs": ("podgate.cli.certs", "Write a self-signed CA and serving certificate."),
    "ui": ("podgate.cli.ui", "A local web UI: see who may run what, preview changes."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = COMMANDS.get(cmd_name)
        if found is None:
            return super().get_command(ctx, cmd_name)
        command: click.Command = importlib.import_module(found[0]).command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary) for name, (_, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="podgate")
def cli() -> None:
    """podgate: PodSecurityPolicy and Pod Security Standards, exact to upstream Kubernetes.

    \b
    Exit codes: 0 allowed / valid, 1 denied / violations found, 2 bad input,
    3 internal error (PODGATE_DEBUG=1 shows the traceback), 130 interrupted.
    Run `podgate COMMAND --help` for each command's options and examples.
    """


def main() -> None:
    from podgate.cli.common import run

    run(cli, sys.argv[1:], "podgate")
