"""`podgate scan`: a cluster snapshot, manifests or Helm/kustomize output against the Pod
Security Standards and PodSecurityPolicies, with readiness, risk per category and exceptions."""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import shlex
import sys
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from podgate import __version__
from podgate.cli.common import (
    EXIT_OK,
    EXIT_VIOLATION,
    fail,
    finish,
    handles_errors,
    jobs_option,
    read_inputs,
    read_live,
    say,
    scan_caps,
    scan_manifest_options,
    write_output,
)
from podgate.errors import LoadError, PolicyError
from podgate.io import parallel
from podgate.io.loader import load_documents

# The scanner and the reports are imported once reading has started (`_import_the_scanner`):
# with a pool, this process imports them while the workers parse the files.
if TYPE_CHECKING:
    from podgate.io.locate import Locate
    from podgate.k8s.field import FieldPath
    from podgate.k8s.source import Document, Source
    from podgate.pss import Level, Version
    from podgate.pss.config import PodSecurityConfiguration
    from podgate.report.context import ReportContext
    from podgate.scan import AcceptedRisk, Catalog, ScanOptions
    from podgate.scan.scan import JudgeEach, ScanResult

# the level, version and configuration the options give (`_settle`)
_Settled = tuple["Level | None", "Version", "PodSecurityConfiguration"]

# podgate.scan.controls.SEVERITIES and podgate.scan.ControllerIdentity's values, written out so
# that the options are defined without importing the scanner (tests/cli/test_scan_jobs.py
# holds them equal)
SEVERITY_CHOICES = ("low", "medium", "high", "critical", "none")
CONTROLLER_IDENTITIES = ("per-controller", "controller-manager", "none")

FORMATS = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "junit": "junit",
    "html": "html",
    "policyreport": "policyreport",
}

# the report formats that ask where fields are (`ReportContext.locate`)
LOCATING = frozenset(("text", "sarif", "junit", "html"))

EPILOG = """\b
Examples:
  podgate scan cluster.json --level restricted
  podgate scan manifests/ --policy policies/ --exceptions accepted-risks.yaml
  helm template ./chart | podgate scan - --level baseline -o sarif --output-file podgate.sarif
  podgate scan snapshot.json --from-namespace-labels -o html --output-file report.html
  podgate scan --live --context prod -n shop          # read the cluster (read-only)
  kubectl podgate scan                                # the same, as a kubectl plugin
\b
A cluster snapshot, with everything the scan uses:
  kubectl get namespaces,serviceaccounts,pods,deployments,replicasets,statefulsets,\\
daemonsets,jobs,cronjobs,replicationcontrollers,roles,rolebindings -A -o json > ns.json
  kubectl get clusterroles,clusterrolebindings,podsecuritypolicies -o json > cluster.json
  podgate scan ns.json cluster.json --from-namespace-labels
(podsecuritypolicies exist only on clusters up to 1.24; leave the word out on newer ones.)
\b
Exit codes: 0 nothing at or above --fail-on that is not accepted, 1 otherwise, 2 bad input,
3 internal error."""


def _render(fmt: str, result: Any, context: ReportContext) -> str | bytes | Iterable[bytes]:
    module = importlib.import_module(f"podgate.report.{FORMATS[fmt]}")
    if fmt == "json":
        # UTF-8 bytes as orjson writes them, in pieces written as they are made: the report
        # of a 20,000-pod snapshot is 74 MB, never whole in memory (nor copied into a str)
        pieces: Iterable[bytes] = module.json_bytes(result)
        return pieces
    if fmt == "sarif":  # UTF-8 bytes as orjson writes them, never copied into a str
        data: bytes = module.render_bytes(result, context)
        return data
    text: str = module.render(result, context)
    return text


@click.command(name="scan", epilog=EPILOG)
@click.argument("inputs", nargs=-1, required=False, metavar="[INPUT]...")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    metavar="PATH",
    help="PodSecurityPolicies to simulate, besides those in the input (files, "
    "directories, builtin:NAME); turns the simulation on. RBAC comes from the input.",
)
@click.option(
    "--level",
    default=None,
    metavar="LEVEL",
    help="Check every workload at this Pod Security Standards level (baseline, "
    "restricted). Default: each namespace's enforce label.",
)
@click.option(
    "--version",
    "version",
    default="latest",
    show_default=True,
    metavar="VERSION",
    help="The Pod Security Standards version (latest or v1.N).",
)
@click.option(
    "--from-namespace-labels",
    is_flag=True,
    help="Take each workload's level from its Namespace's labels (the default when "
    "--level is not given).",
)
@click.option(
    "--config",
    "config_path",
    default=None,
    metavar="FILE",
    help="PodSecurityConfiguration / AdmissionConfiguration: defaults and exemptions.",
)
@click.option(
    "--exceptions",
    "exceptions_path",
    default=None,
    metavar="FILE",
    help="Accepted risks (an ExceptionList): covered findings are shown as accepted.",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Choice(list(FORMATS)),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--output-file",
    default=None,
    metavar="FILE",
    help="Write the report to FILE instead of standard output.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITY_CHOICES),
    default="low",
    show_default=True,
    help="Exit 1 when a finding of this severity or higher is not accepted.",
)
@click.option(
    "--controller-identity",
    type=click.Choice(CONTROLLER_IDENTITIES),
    default=CONTROLLER_IDENTITIES[0],
    show_default=True,
    help="Who requests controllers' pods for PSP: each controller's service account "
    "(kube-controller-manager with --use-service-account-credentials), its single "
    "identity, or none (only the pod's service account).",
)
@click.option(
    "--psp",
    "psp_mode",
    type=click.Choice(["auto", "on", "off"]),
    default="auto",
    show_default=True,
    help="Simulate PodSecurityPolicy admission: auto (when the input or --policy holds a "
    "policy), on (always; with no policy every pod is rejected, as upstream does) or off.",
)
@click.option("--user", default=None, help="The user who creates bare pods (PSP).")
@click.option("--group", "groups", multiple=True, help="A group of --user. Repeatable.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--live", is_flag=True, help="Read the current cluster (read-only), besides INPUT.")
@click.option("--kubeconfig", default=None, metavar="FILE", help="With --live: kubeconfig file.")
@click.option(
    "--context", "kube_context", default=None, help="With --live: the kubeconfig context to use."
)
@click.option(
    "-n", "--namespace", default=None, help="With --live: list namespaced kinds in this one only."
)
@click.option(
    "--insecure-skip-tls-verify",
    is_flag=True,
    help="With --live: do not verify the API server's certificate (unsafe).",
)
@jobs_option
@scan_manifest_options
@handles_errors
def command(
    inputs: tuple[str, ...],
    policies: tuple[str, ...],
    level: str | None,
    version: str,
    from_namespace_labels: bool,
    config_path: str | None,
    exceptions_path: str | None,
    output: str,
    output_file: str | None,
    fail_on: str,
    controller_identity: str,
    psp_mode: str,
    user: str | None,
    groups: tuple[str, ...],
    quiet: bool,
    live: bool,
    kubeconfig: str | None,
    kube_context: str | None,
    namespace: str | None,
    insecure_skip_tls_verify: bool,
    kubernetes_release: int | None,
    no_defaults: bool,
    exclude: tuple[str, ...],
    max_bytes: int | None,
    jobs: int,
) -> None:
    """Scan INPUT (files, directories, `-` for stdin: a cluster snapshot, manifests, Helm or
    kustomize output) and report, per workload, its Pod Security Standards level and
    violations, which PodSecurityPolicy would admit its pods (and how it would change them),
    what breaks when enforcement is turned on, who may use which policy, and the risk per
    category, with CIS, Microsoft threat-matrix and MITRE ATT&CK mappings."""
    if level is not None and from_namespace_labels:
        fail("--level and --from-namespace-labels are mutually exclusive")
    json_cap, cap = scan_caps(max_bytes)
    settled: list[_Settled] = []

    def settle() -> None:
        """The options that need the Pod Security Standards, settled once: with a pool, once the
        workers parse the files (the import overlaps their work); without one, before any
        input is read (a bad option costs no read); and before any error reading found is
        said, so that a bad option is said first, as when they were settled first."""
        if not settled:
            settled.append(_settle(level, version, groups, user, config_path, cap))

    def meanwhile() -> None:
        settle()
        _import_the_scanner(output)

    said: list[str] = []  # (said once the options are settled)
    try:
        docs: list[Document] = read_inputs(
            inputs,
            max_bytes=json_cap,
            max_yaml_bytes=cap,
            exclude=exclude,
            command="scan",
            notes=said,
            quiet=True,
            parse_each=parallel.parsing(jobs, meanwhile=meanwhile),
            trim=not live,  # live objects come whole: a pod read twice is compared whole
            defaults=not no_defaults,  # each file's documents prepared as they are read
            jobs=jobs,  # a snapshot's items read on every core
        )
    except Exception:
        settle()
        raise
    settle()
    parsed_level, parsed_version, config = settled[0]
    for message in () if quiet else said:
        say(f"podgate: note: {message}")
    live_notes = said
    if not inputs and not live:
        fail("give INPUT (files, directories, - for stdin) or --live to read the current cluster")
    _import_the_scanner(output)
    from podgate.io.catalog import load_catalog
    from podgate.io.policies import load_policies
    from podgate.io.prepare import prepare
    from podgate.k8s.identity import requesting_user
    from podgate.report.context import ReportContext
    from podgate.scan import ControllerIdentity, ScanOptions

    if live:
        docs.extend(
            read_live(
                kubeconfig,
                kube_context,
                namespace,
                insecure_skip_tls_verify,
                cap,
                quiet,
                notes=live_notes,
            )
        )
    elif kubeconfig or kube_context or namespace or insecure_skip_tls_verify:
        fail("--kubeconfig, --context, --namespace and --insecure-skip-tls-verify need --live")
    if policies:
        # --policy asks for the simulation: with no policy in it, every pod is rejected
        docs.extend(
            load_policies(
                policies, max_bytes=cap, notes=live_notes, allow_empty=True, exclude=exclude
            )
        )
        psp_mode = "on" if psp_mode == "auto" else psp_mode
    exceptions = load_exceptions(exceptions_path, cap)
    prepared = prepare(docs, defaults=not no_defaults)
    identity = None
    if user is not None:
        identity = requesting_user(user, groups)
    options = ScanOptions(
        level=parsed_level,
        version=parsed_version,
        config=config,
        controller_identity=ControllerIdentity(controller_identity),
        user=identity,
        exceptions=exceptions,
        today=dt.datetime.now(dt.UTC).date(),
        fail_on=fail_on,
        psp={"auto": None, "on": True, "off": False}[psp_mode],
        defaults=not no_defaults,
        kubernetes=None if no_defaults else kubernetes_release,
    )
    # For a JSON report the collector is off from here until this process ends (`finish`: in
    # podgate's own process without returning; else it is turned back on): the scan and the
    # JSON report make no reference cycles (tests/scan/test_scan_memory.py, json_report), and
    # on again after the scan it would walk everything the scan made at the next allocation,
    # finding nothing (a 20,000-pod snapshot: 0.36 s, serial)
    enabled = gc.isenabled()
    if output == "json":
        gc.disable()
    try:
        result = _scan_with_progress(
            load_catalog(), prepared, options, quiet, parallel.judging(jobs)
        )
        for warning in result.warnings:
            say(f"podgate: warning: {warning}")
        if live_notes:
            result = replace(result, notes=(*result.notes, *live_notes))
        code = EXIT_VIOLATION if result.failing else EXIT_OK
        context = ReportContext(
            version=__version__,
            command="podgate " + shlex.join(sys.argv[1:]),
            generated=dt.datetime.now(dt.UTC).replace(microsecond=0),
            locate=_locator(json_cap),
            exit_code=code,
            color=output == "text" and output_file is None and sys.stdout.isatty(),
        )
        write_output(_render(output, result, context), output_file)
        if output_file is not None and not quiet:
            click.echo(f"podgate: wrote {output} report to {output_file}", err=True)
        finish(code)
    finally:
        if enabled:
            gc.enable()


def _settle(
    level: str | None,
    version: str,
    groups: tuple[str, ...],
    user: str | None,
    config_path: str | None,
    cap: int,
) -> _Settled:
    """(the level, the version, the PodSecurityConfiguration) the options give; a bad one is
    bad input (exit 2), checked in this order: --level, --version, --group, --config."""
    from podgate.pss import parse_level, parse_version
    from podgate.pss.config import DEFAULT_CONFIGURATION

    try:
        parsed_level = parse_level(level) if level is not None else None
        parsed_version = parse_version(version)
    except PolicyError as e:
        fail(f"{'--level' if level and 'privileged' in str(e) else '--version'}: {e}")
    if groups and user is None:
        fail("--group needs --user")
    if config_path is None:
        return parsed_level, parsed_version, DEFAULT_CONFIGURATION
    from podgate.io.pss_config import load_pss_config

    return parsed_level, parsed_version, load_pss_config(config_path, cap)


def _import_the_scanner(output: str) -> None:
    """What the scan needs once the input is read: the scanner, the report format `output`,
    the control catalog. (With a pool, called while the workers parse the files.)"""
    for module in (
        "podgate.scan",
        "podgate.io.prepare",
        "podgate.io.policies",
        "podgate.k8s.identity",
        "podgate.report.context",
        f"podgate.report.{FORMATS[output]}",
        *(("podgate.io.locate",) if output in LOCATING else ()),
    ):
        importlib.import_module(module)
    from podgate.io.catalog import load_catalog

    load_catalog()


def _locator(max_bytes: int) -> Locate:
    """`io.locate.Locator(max_bytes)`, made (and its module, which imports PyYAML, imported)
    when a report first asks where a field is: a JSON report never does."""
    made: list[Locate] = []

    def locate(source: Source, path: FieldPath) -> tuple[int, int] | None:
        if not made:
            from podgate.io.locate import Locator

            made.append(Locator(max_bytes))
        return made[0](source, path)

    return locate


def load_exceptions(path: str | None, max_bytes: int) -> tuple[AcceptedRisk, ...]:
    """The accepted risks of an ExceptionList file (none without a path)."""
    if path is None:
        return ()
    from podgate.scan import parse_exceptions

    docs = load_documents([path], max_bytes=max_bytes)
    if len(docs) != 1:
        raise LoadError("expected one ExceptionList document", file=path)
    try:
        return tuple(parse_exceptions(docs[0].obj, path))
    except PolicyError as e:
        raise LoadError(str(e), file=path, document=0, line=docs[0].line) from e


def _scan_with_progress(
    catalog: Catalog,
    docs: list[Document],
    options: ScanOptions,
    quiet: bool,
    judge_each: JudgeEach,
) -> ScanResult:
    from podgate.scan import scan

    if quiet or not sys.stderr.isatty() or len(docs) < 2000:
        return scan(docs, catalog, options, judge_each=judge_each)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("scanning workloads", total=None)
        return scan(
            docs,
            catalog,
            options,
            on_workload=lambda done, total: progress.update(task, completed=done, total=total),
            judge_each=judge_each,
        )
