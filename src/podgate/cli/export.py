"""`podgate export --to psa|vap|gatekeeper|kyverno`: PodSecurityPolicies to what clusters run today,
each export compared with PSP's own decisions by the target's engine."""

from __future__ import annotations

import re
from typing import Any

import click
import orjson
import yaml

from podgate.cli.common import (
    EXIT_OK,
    EXIT_VIOLATION,
    fail,
    handles_errors,
    max_bytes_option,
    no_defaults_option,
    write_output,
)
from podgate.export import DEFAULT_KUBERNETES_VERSION, TARGETS, ExportResult, export
from podgate.io.loader import Document, load_documents
from podgate.io.policies import RBAC_KINDS, load_policies
from podgate.io.prepare import prepare
from podgate.k8s import Obj
from podgate.k8s.gotext import printable

EPILOG = """\b
Examples:
  podgate export --to psa examples/cluster examples/policies examples/rbac
  podgate export --to psa cluster.json --kubernetes-version 1.30 -o json
  podgate export --to vap cluster.json --verify --output-file vap.yaml
\b
psa: per namespace, enforce/audit/warn labels pinned to --kubernetes-version, the `kubectl
label --dry-run=server` commands, an AdmissionConfiguration when namespaces need privileged,
and what PSA cannot express, proved with podgate's PSS engine against PSP's decisions on the
input's workloads and on generated pods near every policy's boundary.
vap: a ValidatingAdmissionPolicy and binding in CEL that keeps PSP's selection by RBAC through
the authorizer library; --verify runs it in cel-cpp (cel-expr-python, the `verify` extra).
With a MutatingAdmissionPolicy (JSONPatch) for PSP's defaults where the version serves it
(1.32+; off by default before 1.36), proved against PSP's mutation by --verify.
gatekeeper: a ConstraintTemplate (Rego v1) and Constraint (policies and an RBAC snapshot as
parameters); --verify runs the Rego in OPA's Go engine (opa-golib-python-bindings). Assign/
AssignMetadata/ModifySet mutators for PSP's defaults, unproved (no engine here runs them).
kyverno: a validate.podSecurity ClusterPolicy where the policies decide exactly as one Pod
Security Standards level (proved by podgate's PSS engine at the checks of the PSA library
given by --kyverno-psa-library); otherwise a CEL ValidatingPolicy with the vap export's CEL
(verified in cel-cpp the same way). No Kyverno or Kubewarden engine runs here.
\b
Exit codes: 0 everything proved, 1 anything partial or unproved, 2 bad input."""

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@click.command(name="export", epilog=EPILOG)
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option("--to", "target", type=click.Choice(TARGETS), required=True, help="The target.")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    metavar="PATH",
    help="PodSecurityPolicies (files, directories, builtin:NAME), besides those in INPUT.",
)
@click.option(
    "--kubernetes-version",
    default=DEFAULT_KUBERNETES_VERSION,
    show_default=True,
    metavar="1.N",
    help="The cluster's version: PSS versions are pinned to it, API versions chosen for it.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Run the target's engine over the workloads and boundary pods (vap: cel-cpp; "
    "gatekeeper: OPA; kyverno: cel-cpp; "
    "psa: always, with podgate's PSS engine).",
)
@click.option(
    "--kyverno-psa-library",
    default=None,
    metavar="v0.N",
    help="kyverno: the k8s.io/pod-security-admission version your Kyverno release vendors "
    "(default v0.36, Kyverno's main branch).",
)
@click.option(
    "--no-boundary",
    is_flag=True,
    help="Compare on the input's workloads only, without generated boundary pods.",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="yaml: the objects; json: objects, verdicts and gaps.",
)
@click.option("--output-file", default=None, metavar="FILE", help="Write the output here.")
@no_defaults_option
@max_bytes_option
@handles_errors
def command(
    inputs: tuple[str, ...],
    target: str,
    policies: tuple[str, ...],
    kubernetes_version: str,
    verify: bool,
    kyverno_psa_library: str | None,
    no_boundary: bool,
    output: str,
    output_file: str | None,
    no_defaults: bool,
    max_bytes: int,
) -> None:
    """Export the PodSecurityPolicies of INPUT (and --policy), with the RBAC that grants their
    use and the workloads they admit, to TARGET; say per policy and namespace whether the
    target's engine agrees with PSP (proved), where not (gaps), or that nothing ran it."""
    psps, rbac, others = load_input(inputs, policies, no_defaults, max_bytes)
    library = _psa_library(kyverno_psa_library)
    result = export(
        psps,
        rbac,
        others,
        target,
        kubernetes_version,
        boundary=not no_boundary,
        kyverno_library=library,
    )
    if verify and target in ("vap", "gatekeeper", "kyverno"):
        from podgate.verify import verify as run_verifier

        result = run_verifier(result, [*psps, *rbac, *others], boundary=not no_boundary)
    text = _render(result, output)
    table = printable(_table(result))  # (names from the input, shown: report/shown.py)
    write_output(text, output_file)
    click.echo(table, err=output_file is None, nl=False)  # the text on stdout: the table apart
    raise SystemExit(EXIT_OK if result.all_proved else EXIT_VIOLATION)


def _psa_library(text: str | None) -> int | None:
    """`v0.N` (or `0.N`): N; exits 2 on anything else."""
    if text is None:
        return None
    m = re.fullmatch(r"v?0\.(\d{1,3})(?:\.\d+)?", text.strip())
    minor = int(m.group(1)) if m is not None else -1
    if minor < 22:
        fail(f"--kyverno-psa-library: expected v0.N with N >= 22 (e.g. v0.34), got {text!r}")
    return minor


def load_input(
    inputs: tuple[str, ...], policies: tuple[str, ...], no_defaults: bool, max_bytes: int
) -> tuple[list[Obj], list[Obj], list[Obj]]:
    """The PodSecurityPolicies, RBAC objects and everything else of INPUT and --policy, with
    the API server's defaulting unless --no-defaults; exits 2 when there is no policy."""
    if not inputs and not policies:
        fail("give INPUT (files, directories, - for stdin) or --policy")
    docs: list[Document] = load_documents(inputs, max_bytes=max_bytes) if inputs else []
    docs.extend(load_policies(policies, max_bytes=max_bytes))
    psps: list[Obj] = []
    rbac: list[Obj] = []
    others: list[Obj] = []
    for d in prepare(docs, defaults=not no_defaults):
        kind = d.obj.get("kind")
        if kind == "PodSecurityPolicy":
            psps.append(d.obj)
        elif kind in RBAC_KINDS:
            rbac.append(d.obj)
        else:
            others.append(d.obj)
    if not psps:
        fail("no PodSecurityPolicy in the input (give them in INPUT or with --policy)")
    return psps, rbac, others


def _render(result: ExportResult, output: str) -> str:
    if output == "json":
        return orjson.dumps(result.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    docs: list[Any] = list(result.objects)
    return yaml.dump_all(docs, Dumper=_DUMPER, sort_keys=False, default_flow_style=False)


def _table(result: ExportResult) -> str:
    """The agreement table: per policy and namespace, the verdict, pods agreed, gaps."""
    lines = [f"podgate export --to {result.target} (Kubernetes {result.kubernetes_version})"]
    mutating = f"mutating {result.mutating['kind']} in" if result.mutating else "mutating"
    for kind, units in (
        ("policy", result.policies),
        ("namespace", result.namespaces),
        (mutating, result.mutations),
    ):
        for u in units:
            engine = u.engine or "no engine ran"
            lines.append(
                f"  {kind} {u.name}: {u.verdict.value.upper()}  "
                f"{u.agreed}/{u.pods} pods agree  ({engine})"
            )
            for g in u.gaps:
                affected = ", ".join(g.workloads[:5])
                more = f" (+{len(g.workloads) - 5} more)" if len(g.workloads) > 5 else ""
                lines.append(f"    gap {g.direction.value} {g.field}: {g.detail}")
                if affected:
                    lines.append(f"      workloads: {affected}{more}")
    lines.extend(f"  note: {n}" for n in result.notes)
    lines.extend(f"  {c}" for c in result.commands)
    return "\n".join(lines) + "\n"
