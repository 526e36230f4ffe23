"""`podgate serve`: sources, settings and the certificate put together and served with uvicorn
over HTTPS, one worker process (Kubernetes replicas are the scale-out).

A background thread polls the files (policies, RBAC, namespaces, the certificate) every
`reload_interval` seconds; the Kubernetes-backed sources (`webhook/kube.py`) are imported only
when their flags are used."""

from __future__ import annotations

import gc
import importlib
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from podgate import __version__
from podgate.errors import PodgateError
from podgate.io.pss_config import load_pss_config
from podgate.k8s.identity import PolicyUseAuthorizer
from podgate.pss.config import DEFAULT_CONFIGURATION
from podgate.webhook import memory
from podgate.webhook.app import DEFAULT_BUFFER_BUDGET, Runtime, WebhookApp
from podgate.webhook.encode import OnError
from podgate.webhook.files import FileNamespaceSource, FilePolicySource, FileRbacAuthorizer
from podgate.webhook.limits import ByteBudget
from podgate.webhook.logs import JsonLogger, route_logging
from podgate.webhook.memory import Trimmer
from podgate.webhook.metrics import Metrics
from podgate.webhook.protocol import with_header_timeout
from podgate.webhook.review import Settings, Sources
from podgate.webhook.sources import NamespaceSource, PolicySource
from podgate.webhook.tls import CertificateError, CertificateReloader
from podgate.webhook.verdict import Mode

__all__ = ["ServeOptions", "Server", "build", "parse_listen"]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    tls_cert: str
    tls_key: str
    listen: str = "0.0.0.0:9443"
    policies: tuple[str, ...] = ()
    policies_from_cluster: bool = False
    write_policy_status: bool = False  # write status.conditions of podgate.io policies
    rbac_from: tuple[str, ...] = ()
    authorize_with_api: bool = False
    kubeconfig: str | None = None
    config: str | None = None
    pss: bool = False
    namespaces_from: tuple[str, ...] = ()
    namespaces_from_cluster: bool = False
    mode: Mode = "enforce"
    on_error: OnError = "deny"
    exempt_namespaces: tuple[str, ...] = ("kube-system",)
    self_namespace: str = ""  # podgate's own namespace ($POD_NAMESPACE); "" outside a pod
    request_timeout: float = 10.0
    shutdown_delay: float = 3.0  # after SIGTERM: not ready, still answering, for this long
    header_timeout: float = 10.0
    reload_interval: float = 5.0
    verbosity: int = 0
    max_bytes: int = 64 * 1024 * 1024
    max_connections: int = 128  # open at a time; more wait in the kernel's accept queue
    tls_handshake_timeout: float = 5.0
    max_buffered_bytes: int = DEFAULT_BUFFER_BUDGET  # request-body bytes held at a time


def parse_listen(listen: str) -> tuple[str, int]:
    """`ADDR:PORT`, `[V6]:PORT` or `:PORT` (all addresses); raises PodgateError."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise PodgateError(f"--listen {listen!r}: expected ADDR:PORT")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


def _kube(name: str, kubeconfig: str | None, **settings: Any) -> Any:
    """An instance of `podgate.webhook.kube.<name>` (imported only when asked for)."""
    try:
        module = importlib.import_module("podgate.webhook.kube")
    except ImportError as e:
        raise PodgateError(f"the Kubernetes API sources are not available: {e}") from e
    cls = getattr(module, name)
    factory = getattr(cls, "from_kubeconfig", None)
    obj = (
        factory(kubeconfig, **settings)
        if factory is not None
        else cls(kubeconfig=kubeconfig, **settings)
    )
    start = getattr(obj, "start", None)
    if callable(start):
        start()
    return obj


@dataclass(slots=True)
class Server:
    """What `build` made: the app, its certificate and what to poll."""

    runtime: Runtime
    app: WebhookApp
    certificate: CertificateReloader
    pollers: list[Callable[[], bool]]
    logger: JsonLogger


def build(options: ServeOptions, logger: JsonLogger | None = None) -> Server:
    """Load everything once (raising PodgateError on any bad input) and wire the app."""
    logger = logger or JsonLogger(verbosity=options.verbosity)
    metrics = Metrics()

    def reloaded(source: str, ok: bool, err: str) -> None:
        metrics.reloads.labels(source, "ok" if ok else "error").inc()
        if ok:
            logger.log("Reloaded source", source=source)
        else:
            metrics.errors.labels("false", source).inc()
            logger.error("Failed to reload source, kept the last good one", err, source=source)

    pollers: list[Callable[[], bool]] = []
    readiness: list[tuple[str, Callable[[], bool]]] = []
    blocking = False

    policies: PolicySource | None = None
    if options.write_policy_status and not options.policies_from_cluster:
        raise PodgateError("--write-policy-status goes with --policies-from-cluster")
    if options.policies and options.policies_from_cluster:
        raise PodgateError("--policy and --policies-from-cluster exclude each other")
    if options.policies:
        source = FilePolicySource(options.policies, max_bytes=options.max_bytes, on_reload=reloaded)
        source.load()
        pollers.append(source.poll)
        policies = source
        loaded = source.current()
        assert loaded is not None
        for unusable in loaded.unusable:
            logger.log(
                "Skipped unusable PodSecurityPolicy", policy=unusable.name, err=unusable.reason
            )
    elif options.policies_from_cluster:
        policies = _kube(
            "PolicyWatcher", options.kubeconfig, write_status=options.write_policy_status
        )
        blocking = True
    if policies is not None:
        watched = policies
        readiness.append(("policies", lambda: watched.current() is not None))

    authorizer: PolicyUseAuthorizer | None = None
    if options.rbac_from and options.authorize_with_api:
        raise PodgateError("--rbac-from and --authorize-with-api exclude each other")
    if options.rbac_from:
        rbac = FileRbacAuthorizer(
            options.rbac_from, max_bytes=options.max_bytes, on_reload=reloaded
        )
        rbac.load()
        pollers.append(rbac.poll)
        authorizer = rbac
    elif options.authorize_with_api:
        authorizer = _kube("SubjectAccessReviewAuthorizer", options.kubeconfig)
        blocking = True

    pss_config = (
        load_pss_config(options.config, options.max_bytes)
        if options.config
        else DEFAULT_CONFIGURATION
    )
    namespaces: NamespaceSource | None = None
    if options.namespaces_from and options.namespaces_from_cluster:
        raise PodgateError("--namespaces-from and --namespaces-from-cluster exclude each other")
    if options.namespaces_from:
        ns_files = FileNamespaceSource(
            options.namespaces_from,
            max_bytes=options.max_bytes,
            on_reload=reloaded,
            defaults=pss_config.defaults,
        )
        ns_files.load()
        pollers.append(ns_files.poll)
        namespaces = ns_files
    elif options.namespaces_from_cluster:
        namespaces = _kube("NamespaceWatcher", options.kubeconfig)
        blocking = True
    if namespaces is not None:
        ns_source = namespaces
        readiness.append(("namespaces", ns_source.ready))

    use_pss = options.pss or namespaces is not None or options.config is not None
    if policies is None and not use_pss:
        raise PodgateError(
            "nothing to enforce: give --policy or --policies-from-cluster (PodSecurityPolicy), "
            "and/or --pss, --namespaces-from or --namespaces-from-cluster (Pod Security Standards)"
        )

    try:
        certificate = CertificateReloader(
            options.tls_cert,
            options.tls_key,
            on_reload=lambda ok, err: _certificate_reloaded(ok, err, metrics, logger, certificate),
        )
    except CertificateError as e:
        raise PodgateError(str(e)) from e
    metrics.certificate_expiry.set(certificate.not_after)
    pollers.append(certificate.poll)
    readiness.append(("certificate", lambda: certificate.loaded))

    exempt = {*options.exempt_namespaces, options.self_namespace} - {""}
    if not options.self_namespace:
        logger.warn(
            "Exempted no namespace as podgate's own",
            reason="neither POD_NAMESPACE nor --self-namespace is set",
            exemptNamespaces=sorted(exempt),
        )
    settings = Settings(
        mode=options.mode,
        on_error=options.on_error,
        exempt_namespaces=frozenset(exempt),
        psp=policies is not None,
        pss=use_pss,
        pss_config=pss_config,
    )
    runtime = Runtime(
        settings,
        Sources(policies, authorizer, namespaces),
        metrics,
        logger,
        default_timeout=options.request_timeout,
        blocking_sources=blocking,
        readiness=tuple(readiness),
        budget=ByteBudget(options.max_buffered_bytes),
    )
    return Server(runtime, WebhookApp(runtime), certificate, pollers, logger)


def _certificate_reloaded(
    ok: bool, err: str, metrics: Metrics, logger: JsonLogger, certificate: CertificateReloader
) -> None:
    metrics.reloads.labels("certificate", "ok" if ok else "error").inc()
    if ok:
        metrics.certificate_expiry.set(certificate.not_after)
        logger.log("Reloaded certificate", notAfter=certificate.not_after)
    else:
        metrics.errors.labels("false", "certificate").inc()
        logger.error("Failed to reload certificate, kept the old one", err)


def start_polling(
    pollers: Sequence[Callable[[], bool]],
    interval: float,
    logger: JsonLogger,
    trimmer: Trimmer | None = None,
) -> threading.Event:
    """Poll every `interval` seconds in a daemon thread until the returned event is set; then
    give memory back (`memory.Trimmer`): after a reload, and after a burst."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            reloaded = False
            for poll in pollers:
                try:
                    reloaded |= poll()
                except Exception as e:  # noqa: BLE001 - a poller's bug must not stop reloading
                    logger.error("Failed to poll a source", e)
            if trimmer is not None:
                if reloaded:
                    trimmer.rebase()
                else:
                    trimmer.tick()

    threading.Thread(target=loop, name="podgate-reload", daemon=True).start()
    return stop


def listen_socket(listen: str) -> socket.socket:
    host, port = parse_listen(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as e:
        raise PodgateError(f"cannot listen on {listen}: {e.strerror or e}") from e
    return sock


def serve(options: ServeOptions) -> None:
    """Build, bind and serve until SIGTERM/SIGINT."""
    import uvicorn

    from podgate.webhook.listener import GatedServer
    from podgate.webhook.shutdown import Draining, DrainingServer

    class Serving(GatedServer, DrainingServer):
        """Connections through the gate (bounded), SIGTERM draining."""

    memory.tune()
    logger = JsonLogger(verbosity=options.verbosity)
    route_logging(logger)  # the Kubernetes sources, uvicorn and asyncio log as JSON lines too
    server = build(options, logger)
    # what start-up built lives as long as the server: out of the cyclic collector's way
    gc.collect()
    gc.freeze()
    sock = listen_socket(options.listen)
    host, port = sock.getsockname()[:2]
    trimmer = memory.Trimmer()
    stop = start_polling(server.pollers, options.reload_interval, server.logger, trimmer)
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    config = uvicorn.Config(
        server.app,
        ssl_context_factory=lambda _config, _default: server.certificate.context,
        lifespan="off",
        access_log=False,
        log_config=None,
        log_level="warning",
        http=with_header_timeout(options.header_timeout),
        loop=loop,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=10,
        server_header=False,
        date_header=False,
    )
    rt = server.runtime
    server.logger.log(
        "Serving",
        address=host,
        port=port,
        version=__version__,
        mode=rt.settings.mode,
        onError=rt.settings.on_error,
        psp=rt.settings.psp,
        pss=rt.settings.pss,
        exemptNamespaces=sorted(rt.settings.exempt_namespaces),
    )
    draining = Draining()
    rt.readiness = (*rt.readiness, ("draining", draining.ready))
    uv = Serving(
        config,
        draining,
        sock=sock,
        max_connections=options.max_connections,
        handshake_timeout=options.tls_handshake_timeout,
        delay=options.shutdown_delay,
        on_signal=lambda name, delay: logger.log("Shutting down", signal=name, delay=delay),
    )
    try:
        uv.run()
    finally:
        stop.set()
    logger.log("Stopped")
