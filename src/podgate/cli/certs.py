"""`podgate certs`: a CA and a serving certificate for the webhook, for development."""

from __future__ import annotations

import click

from podgate.cli.common import fail, handles_errors

EPILOG = """\b
Examples:
  podgate certs --self-signed --host podgate.podgate --out tls/
  podgate certs --self-signed --host localhost --host 127.0.0.1 --out /tmp/tls
\b
Writes ca.crt, tls.crt and tls.key (mode 0600) into DIR (created with mode 0700 when missing;
refused when other users can write to it) and prints the base64 caBundle for
the webhook configurations' clientConfig. A host `svc.ns` also gets the names `svc.ns.svc`
and `svc.ns.svc.cluster.local`. CA: 10 years; serving certificate: 1 year, serverAuth.
In production use cert-manager (deploy/) instead: these certificates are never renewed."""


@click.command(name="certs", epilog=EPILOG)
@click.option("--self-signed", is_flag=True, required=True, help="Make a new self-signed CA.")
@click.option(
    "--host", "hosts", multiple=True, required=True, metavar="NAME",
    help="A DNS name or IP address the certificate is for. Repeatable.",
)  # fmt: skip
@click.option("--out", "out_dir", required=True, metavar="DIR", help="Where to write the files.")
@handles_errors
def command(self_signed: bool, hosts: tuple[str, ...], out_dir: str) -> None:
    """Write a self-signed CA and a serving certificate for the webhook."""
    from podgate.webhook.pki import UnsafeDirectory, write_bundle
    from podgate.webhook.pki import self_signed as make

    if not self_signed:
        fail("only --self-signed is supported")
    bundle = make(hosts)
    try:
        written = write_bundle(bundle, out_dir)
    except UnsafeDirectory as e:
        fail(f"--out {e}")
        return
    except OSError as e:
        fail(f"{e.filename or out_dir}: {e.strerror or e}")
        return
    for path in written:
        click.echo(f"wrote {path}", err=True)
    click.echo(bundle.ca_bundle)
