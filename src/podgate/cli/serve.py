"""`podgate serve`: the admission webhook (PodSecurityPolicy and Pod Security Standards)."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

import click

from podgate.cli.common import handles_errors, max_bytes_option

if TYPE_CHECKING:  # the webhook is imported when it is served, not for `--help`
    from podgate.webhook.encode import OnError
    from podgate.webhook.verdict import Mode

EPILOG = """\b
Examples:
  podgate serve --tls-cert tls/tls.crt --tls-key tls/tls.key --policy policies/ --rbac-from rbac/
  podgate serve --tls-cert tls/tls.crt --tls-key tls/tls.key --policies-from-cluster \\
      --authorize-with-api --namespaces-from-cluster --config pss-config.yaml
  podgate serve --tls-cert tls/tls.crt --tls-key tls/tls.key --pss --mode audit
\b
Endpoints (HTTPS only, TLS 1.2+): POST /mutate (PSP's mutating phase: the JSON Patch with
kubernetes.io/psp), POST /validate (PSP's validating phase and Pod Security Standards),
GET /healthz, /readyz, /metrics. Every AdmissionReview gets HTTP 200 with the decision inside.
Files given to --policy, --rbac-from, --namespaces-from and the certificate pair are reloaded
when they change (checked every --reload-interval seconds); a change that does not load keeps
the last good content. Logs: one JSON line per decision on stdout."""


@click.command(name="serve", epilog=EPILOG)
@click.option("--tls-cert", required=True, metavar="FILE", help="Serving certificate (PEM).")
@click.option("--tls-key", required=True, metavar="FILE", help="Its private key (PEM).")
@click.option(
    "--listen", default="0.0.0.0:9443", show_default=True, metavar="ADDR:PORT",
    help="Address to serve on (port 0: any free port, printed in the `Serving` log line).",
)  # fmt: skip
@click.option(
    "--policy", "policies", multiple=True, metavar="PATH",
    help="PodSecurityPolicy files or directories, or builtin:NAME. Repeatable. "
    "Absent (and no --policies-from-cluster): no PodSecurityPolicy admission.",
)  # fmt: skip
@click.option(
    "--policies-from-cluster", is_flag=True,
    help="Watch podsecuritypolicies.podgate.io objects through the Kubernetes API.",
)  # fmt: skip
@click.option(
    "--write-policy-status", is_flag=True,
    help="With --policies-from-cluster: write each policy's status (Ready: Compiled, Invalid "
    "or Disabled). Writes only when a condition changes; let one replica do it.",
)  # fmt: skip
@click.option(
    "--rbac-from", "rbac_from", multiple=True, metavar="PATH",
    help="RBAC objects (Roles, ClusterRoles, bindings) deciding who may `use` a policy, "
    "offline. Repeatable. Without it or --authorize-with-api every policy is usable by everyone.",
)  # fmt: skip
@click.option(
    "--authorize-with-api", is_flag=True,
    help="Decide `use` with SubjectAccessReviews against the API server (cached).",
)  # fmt: skip
@click.option(
    "--kubeconfig", default=None, metavar="FILE",
    help="For the cluster-backed sources (default: in-cluster configuration).",
)  # fmt: skip
@click.option(
    "--config", default=None, metavar="FILE",
    help="PodSecurityConfiguration (or AdmissionConfiguration): PSS defaults and exemptions.",
)  # fmt: skip
@click.option(
    "--pss", is_flag=True,
    help="Enforce Pod Security Standards by namespace labels (implied by --namespaces-from, "
    "--namespaces-from-cluster and --config; without a namespace source every namespace is "
    "unlabelled: the --config defaults apply).",
)  # fmt: skip
@click.option(
    "--namespaces-from", "namespaces_from", multiple=True, metavar="PATH",
    help="Namespace objects whose pod-security.kubernetes.io labels apply. Repeatable.",
)  # fmt: skip
@click.option(
    "--namespaces-from-cluster", is_flag=True, help="Watch Namespaces through the Kubernetes API."
)
@click.option(
    "--mode", type=click.Choice(["enforce", "audit"]), default="enforce", show_default=True,
    help="audit: never deny; what would have been denied is allowed with a warning, a "
    "`would-deny` audit annotation, a log field and a metric (and /mutate returns no patch).",
)  # fmt: skip
@click.option(
    "--on-error", type=click.Choice(["deny", "allow"]), default="deny", show_default=True,
    help="What a request podgate cannot understand, an internal error or a missed deadline "
    "gets: a denial (fail closed) or an allowed answer with an `error` audit annotation.",
)  # fmt: skip
@click.option(
    "--exempt-namespace", "exempt_namespaces", multiple=True, metavar="NS",
    help="Namespaces allowed unevaluated, so podgate cannot lock the cluster out. Repeatable; "
    "default in a pod ($POD_NAMESPACE or --self-namespace set): kube-system (giving any "
    "replaces it); outside a pod: none unless given. --self-namespace is always exempt.",
)  # fmt: skip
@click.option(
    "--self-namespace", default=None, metavar="NS",
    help="podgate's own namespace, always exempt (default: $POD_NAMESPACE; with neither, no "
    "namespace of its own is exempt, and the start-up log warns).",
)  # fmt: skip
@click.option(
    "--request-timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
    metavar="SECONDS", help="Deadline of a request without the API server's ?timeout=.",
)  # fmt: skip
@click.option(
    "--header-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Close a connection whose request headers are not complete within this time.",
)
@click.option(
    "--shutdown-delay", type=click.FloatRange(min=0), default=3.0, show_default=True,
    metavar="SECONDS", help="After SIGTERM: /readyz answers 503 at once and reviews are still "
    "answered for this long (while the Service drops the replica); then the listener closes "
    "and reviews in flight finish before the exit.",
)  # fmt: skip
@click.option(
    "--tls-handshake-timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
    metavar="SECONDS", help="Close a connection whose TLS handshake is not done within this time.",
)  # fmt: skip
@click.option(
    "--max-connections", type=click.IntRange(min=1), default=128, show_default=True,
    metavar="N", help="Connections open at a time; more wait in the kernel's accept queue.",
)  # fmt: skip
@click.option(
    "--max-buffered-bytes", type=click.IntRange(min=1024 * 1024), default=32 * 1024 * 1024,
    show_default=True, metavar="BYTES",
    help="Request-body bytes held at a time, beyond each body's first 32 KiB; a request that "
    "would pass it waits up to 1 s, then gets 429 with Retry-After (the API server retries).",
)  # fmt: skip
@click.option(
    "--reload-interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
    metavar="SECONDS", help="How often files and the certificate are checked for changes.",
)  # fmt: skip
@click.option("-v", "--verbose", "verbosity", count=True, help="Log denial messages (-v).")
@max_bytes_option
@handles_errors
def command(
    tls_cert: str,
    tls_key: str,
    listen: str,
    policies: tuple[str, ...],
    policies_from_cluster: bool,
    write_policy_status: bool,
    rbac_from: tuple[str, ...],
    authorize_with_api: bool,
    kubeconfig: str | None,
    config: str | None,
    pss: bool,
    namespaces_from: tuple[str, ...],
    namespaces_from_cluster: bool,
    mode: Mode,  # click.Choice gives one of these
    on_error: OnError,
    exempt_namespaces: tuple[str, ...],
    self_namespace: str | None,
    request_timeout: float,
    header_timeout: float,
    shutdown_delay: float,
    tls_handshake_timeout: float,
    max_connections: int,
    max_buffered_bytes: int,
    reload_interval: float,
    verbosity: int,
    max_bytes: int,
) -> None:
    """Serve the admission webhook over HTTPS: PodSecurityPolicy admission (mutating and
    validating, exact to the in-tree plugin of Kubernetes 1.21-1.24) and Pod Security Admission
    by namespace labels, together or alone."""
    from podgate.webhook.server import ServeOptions, serve

    # outside a pod nothing is exempt unless asked (the start-up log warns)
    own_namespace = self_namespace or os.environ.get("POD_NAMESPACE") or ""
    options = ServeOptions(
        tls_cert=tls_cert,
        tls_key=tls_key,
        listen=listen,
        policies=policies,
        policies_from_cluster=policies_from_cluster,
        write_policy_status=write_policy_status,
        rbac_from=rbac_from,
        authorize_with_api=authorize_with_api,
        kubeconfig=kubeconfig,
        config=config,
        pss=pss,
        namespaces_from=namespaces_from,
        namespaces_from_cluster=namespaces_from_cluster,
        mode=mode,
        on_error=on_error,
        exempt_namespaces=exempt_namespaces or (("kube-system",) if own_namespace else ()),
        self_namespace=own_namespace,
        request_timeout=request_timeout,
        header_timeout=header_timeout,
        shutdown_delay=shutdown_delay,
        tls_handshake_timeout=tls_handshake_timeout,
        max_connections=max_connections,
        max_buffered_bytes=max_buffered_bytes,
        reload_interval=reload_interval,
        verbosity=verbosity,
        max_bytes=max_bytes,
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(options)
