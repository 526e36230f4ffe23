"""`podgate simplify`: non-mutating clones of mutating PodSecurityPolicies, equivalent
policies merged, RBAC repointed, and per workload the patch of what PSP filled in; proved by
admitting every workload (with its patch) as before."""

from __future__ import annotations

import sys

import click
import orjson
import yaml

from podgate.cli.common import (
    EXIT_OK,
    EXIT_VIOLATION,
    handles_errors,
    max_bytes_option,
    no_defaults_option,
    say,
)
from podgate.cli.export import load_input
from podgate.export.simplify import simplify

EPILOG = """\b
Examples:
  podgate simplify examples/cluster examples/policies examples/rbac > simplified.yaml
  podgate simplify cluster.json -o json            # with the per-workload patches and proof
\b
Output: the policies to run from now on (non-mutating clones named NAME-nonmutating, equivalent
policies merged) and every RBAC object, repointed, as YAML; -o json adds, per workload, the
patch of what PSP filled in and whether it is admitted as before. A summary goes to stderr.
\b
Exit codes: 0 every workload admitted or denied as before, 1 otherwise, 2 bad input."""

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SHOWN = 20  # workloads listed with their patch on stderr


@click.command(name="simplify", epilog=EPILOG)
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    metavar="PATH",
    help="PodSecurityPolicies (files, directories, builtin:NAME), besides those in INPUT.",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="yaml: the objects; json: objects, merges, clones and the per-workload patches.",
)
@no_defaults_option
@max_bytes_option
@handles_errors
def command(
    inputs: tuple[str, ...],
    policies: tuple[str, ...],
    output: str,
    no_defaults: bool,
    max_bytes: int,
) -> None:
    """Simplify the PodSecurityPolicies of INPUT (and --policy) before migrating off them:
    the Kubernetes migration guide's step 2, with its proof."""
    psps, rbac, others = load_input(inputs, policies, no_defaults, max_bytes)
    result = simplify(psps, rbac, others)
    if output == "json":
        sys.stdout.write(orjson.dumps(result.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(
            yaml.dump_all(
                [*result.policies, *result.rbac],
                Dumper=_DUMPER,
                sort_keys=False,
                default_flow_style=False,
            )
        )
    sys.stdout.flush()
    lines = ["podgate simplify"]
    lines.extend(f"  clone: {a} -> {b}" for a, b in result.clones.items())
    lines.extend(f"  merged: {a} into {b}" for a, b in result.merged.items())
    for clone, kept in result.still_defaulting.items():
        if kept:
            lines.append(f"  note: {clone} still fills in, when unset: {', '.join(kept)}")
    patched = [w for w in result.workloads if w.patch]
    lines.append(
        f"  {len(result.workloads)} workloads: {sum(w.proved for w in result.workloads)} "
        f"admitted or denied as before, {len(patched)} need the patch of what PSP filled in"
    )
    for w in patched[:SHOWN]:
        ops = ", ".join(f"{op['op']} {op['path']}" for op in w.patch)
        lines.append(f"    {w.workload}: {ops}")
    if len(patched) > SHOWN:
        lines.append(f"    (+{len(patched) - SHOWN} more: -o json lists every patch)")
    lines.extend(
        f"  NOT AS BEFORE: {w.workload} (allowed before {w.allowed_before}, after "
        f"{w.allowed_after}{', still mutated' if w.mutated_after else ''})"
        for w in result.workloads
        if not w.proved
    )
    say("\n".join(lines))
    raise SystemExit(EXIT_OK if result.proved else EXIT_VIOLATION)
