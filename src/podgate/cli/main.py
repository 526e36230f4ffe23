"""Entry point: `podgate COMMAND ...`."""

from __future__ import annotations

import click

from podgate import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="podgate")
def cli() -> None:
    """podgate: PodSecurityPolicy and Pod Security Standards, exact to upstream Kubernetes.

    \b
    Exit codes: 0 allowed / valid, 1 denied / violations found, 2 bad input.
    Run `podgate COMMAND --help` for each command's options and examples.
    """


def _register() -> None:
    from podgate.cli import admit, advise, certs, lint, pss, scan, serve

    cli.add_command(admit.command)
    cli.add_command(advise.command)
    cli.add_command(lint.command)
    cli.add_command(pss.command)
    cli.add_command(scan.command)
    cli.add_command(serve.command)
    cli.add_command(certs.command)


def main() -> None:
    _register()
    cli(prog_name="podgate")
