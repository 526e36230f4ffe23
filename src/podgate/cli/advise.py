"""`podgate advise`: least-privilege PodSecurityPolicies and RBAC from the workloads of a cluster
snapshot or manifests, checked with the admission engine; with --report, which workloads need
what, narrow exceptions, namespace Pod Security Standards labels and what existing policies
mutate."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson
import yaml

from podgate.advisor import AdviseOptions, GroupBy, advise
from podgate.advisor.output import manifest_list, report_json
from podgate.advisor.report import advice_notes, build_report
from podgate.cli.common import (
    EXIT_OK,
    fail,
    handles_errors,
    manifest_options,
    read_inputs,
    read_live,
    say,
)
from podgate.errors import PolicyError
from podgate.io.catalog import load_catalog
from podgate.io.prepare import prepare
from podgate.k8s.gotext import printable
from podgate.k8s.source import Document
from podgate.pss import parse_version

EPILOG = """\b
Examples:
  podgate advise cluster.json > advised.yaml && kubectl apply -f advised.yaml
  podgate advise manifests/ --group-by namespace -o json
  podgate advise cluster.json --report                 # which workloads need what
  podgate advise cluster.json --report -o json --version v1.30
  podgate advise --live --context prod -n shop      # the current cluster, read-only
\b
Output: without --report, the PodSecurityPolicies with their ClusterRoles and RoleBindings
(ClusterRoleBindings with --group-by cluster), as a YAML stream (-o yaml), a v1 List (-o json)
or a summary (-o text). With --report: the report as text (default), JSON or YAML.
Every generated policy is checked before it is printed: each observed pod, as its service
account, must be admitted unchanged by its group's policy under the generated RBAC.
\b
Exit codes: 0 advice written, 2 bad input, 3 internal error (an advisor self-check failed)."""


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter when present


def _yaml(docs: list[Any]) -> str:
    return yaml.dump_all(docs, Dumper=_DUMPER, sort_keys=False, default_flow_style=False)


@click.command(name="advise", epilog=EPILOG)
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option(
    "--namespace",
    "-n",
    default=None,
    help="Only the workloads of this namespace (with --live, only its objects are listed).",
)
@click.option(
    "--group-by",
    type=click.Choice([g.value for g in GroupBy]),
    default=GroupBy.SERVICE_ACCOUNT.value,
    show_default=True,
    help="One policy per service account, per namespace, or one for the whole cluster.",
)
@click.option("--report", is_flag=True, help="Print the report instead of the manifests.")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Choice(["yaml", "json", "text", "html"]),
    default=None,
    help="Output format (default: yaml, or text with --report; html only with --report).",
)
@click.option(
    "--version",
    "version",
    default="latest",
    show_default=True,
    metavar="VERSION",
    help="The Pod Security Standards version for the namespace levels (latest or v1.N).",
)
@click.option("--live", is_flag=True, help="Read the current cluster (read-only), besides INPUT.")
@click.option("--kubeconfig", default=None, metavar="FILE", help="With --live: kubeconfig file.")
@click.option(
    "--context", "kube_context", default=None, help="With --live: the kubeconfig context to use."
)
@click.option(
    "--insecure-skip-tls-verify",
    is_flag=True,
    help="With --live: do not verify the API server's certificate (unsafe).",
)
@click.option("--quiet", "-q", is_flag=True, help="With --live: no notes on standard error.")
@manifest_options
@handles_errors
def command(
    inputs: tuple[str, ...],
    namespace: str | None,
    group_by: str,
    report: bool,
    output: str | None,
    version: str,
    live: bool,
    kubeconfig: str | None,
    kube_context: str | None,
    insecure_skip_tls_verify: bool,
    quiet: bool,
    kubernetes_release: int | None,
    no_defaults: bool,
    exclude: tuple[str, ...],
    max_bytes: int,
) -> None:
    """Advise least-privilege PodSecurityPolicies for the workloads in INPUT (files,
    directories, `-` for stdin: a cluster snapshot, manifests, Helm or kustomize output), with
    the RBAC that lets exactly each group's service accounts use its policy."""
    try:
        parsed_version = parse_version(version)
    except PolicyError as e:
        fail(f"--version: {e}")
        return
    fmt = output or ("text" if report else "yaml")
    if not inputs and not live:
        fail("give INPUT (files, directories, - for stdin) or --live to read the current cluster")
    if not live and (kubeconfig or kube_context or insecure_skip_tls_verify):
        fail("--kubeconfig, --context and --insecure-skip-tls-verify need --live")
    docs: list[Document] = read_inputs(
        inputs, max_bytes=max_bytes, exclude=exclude, command="advise", quiet=quiet
    )
    if live:
        docs.extend(
            read_live(
                kubeconfig, kube_context, namespace, insecure_skip_tls_verify, max_bytes, quiet
            )
        )
    prepared = prepare(docs, defaults=not no_defaults)
    options = AdviseOptions(group_by=GroupBy(group_by), namespace=namespace)
    advice = advise(prepared, options)
    for note in advice.left_out:
        say(f"podgate: warning: {note}")
    if not advice.observed and not advice.left_out:
        click.echo("podgate: no workloads found in the input", err=True)
    if report:
        made = build_report(
            advice,
            prepared,
            load_catalog(),
            parsed_version,
            None if no_defaults else kubernetes_release,
        )
        data = report_json(advice, made)
        if fmt == "json":
            _write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
        elif fmt == "yaml":
            _write(_yaml([data]))
        elif fmt == "html":
            _write(_html(data))
        else:
            _write(printable(render_report_text(data)))
    elif fmt == "html":
        fail("-o html goes with --report (the manifests are YAML or JSON)")
    else:
        if not quiet:
            for note in advice_notes(advice, prepared):
                say(f"podgate: note: {note}")
        if fmt == "json":
            _write(orjson.dumps(manifest_list(advice), option=orjson.OPT_INDENT_2).decode() + "\n")
        elif fmt == "yaml":
            _write(_yaml(advice.manifests) if advice.manifests else "")
        else:
            _write(printable(_summary_text(advice)))
    raise SystemExit(EXIT_OK)


def _html(data: Any) -> str:
    """The report as a self-contained page (the advisor's section of the HTML report)."""
    import datetime as dt

    from markupsafe import Markup

    from podgate import __version__
    from podgate.report.advice_html import render as render_section
    from podgate.report.html import render_page

    generated = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return render_page(
        "podgate advice: which workloads need what",
        Markup(render_section(data)),
        __version__,
        generated,
    )


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _summary_text(advice: Any) -> str:
    lines = [
        f"{len(advice.policies)} policies for {len(advice.observed)} workloads "
        f"(grouped by {advice.options.group_by.value}); {advice.observed_pods} observed pods "
        f"({advice.checked} distinct as PSP reads them) checked: each is admitted unchanged "
        "by its policy",
        "",
    ]
    for p in advice.policies:
        sas = ", ".join(f"{ns}/{n}" for ns, n in p.service_accounts)
        lines.append(f"{p.name}")
        lines.append(f"  used by: {sas}")
        lines.append(f"  grants:  {_grants(p.policy)}")
        lines.extend(f"  note:    {n}" for n in p.notes)
    return "\n".join(lines) + "\n"


def _grants(policy: dict[str, Any]) -> str:
    spec = policy["spec"]
    out = [k for k in ("privileged", "hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    if spec.get("hostPorts"):
        out.append("hostPorts " + ",".join(_range(r) for r in spec["hostPorts"]))
    if spec.get("volumes"):
        out.append("volumes " + ",".join(spec["volumes"]))
    for hp in spec.get("allowedHostPaths", ()):
        out.append(f"hostPath {hp['pathPrefix']}{' (ro)' if hp.get('readOnly') else ''}")
    if spec.get("allowedCapabilities"):
        out.append("caps " + ",".join(spec["allowedCapabilities"]))
    if spec.get("allowedUnsafeSysctls"):
        out.append("sysctls " + ",".join(spec["allowedUnsafeSysctls"]))
    out.append(f"runAsUser {spec['runAsUser']['rule']}")
    if spec.get("allowPrivilegeEscalation"):
        out.append("privilege escalation")
    return "; ".join(out)


def _range(r: dict[str, int]) -> str:
    return str(r["min"]) if r["min"] == r["max"] else f"{r['min']}-{r['max']}"


def render_report_text(data: dict[str, Any]) -> str:
    """The report as plain text."""
    out: list[str] = []
    out.append(
        f"podgate advise: {data['workloads']} workloads, {len(data['policies'])} policies "
        f"(grouped by {data['groupBy']}), {data['podsObserved']} observed pods "
        f"({data['podsChecked']} distinct as PSP reads them) admitted unchanged"
    )
    out.extend(f"note: {n}" for n in data["notes"])
    out.append("")
    out.append("WHICH WORKLOADS NEED WHAT")
    for entry in data["uses"]:
        out.append(f"  {entry['key']}")
        for v in entry["values"]:
            who = sorted(
                {
                    f"{u['workload']}" + (f" [{u['container']}]" if u["container"] else "")
                    for u in v["usedBy"]
                }
            )
            shown = ", ".join(who[:6]) + (f" (+{len(who) - 6} more)" if len(who) > 6 else "")
            out.append(f"    {v['value']}: {shown}")
    out.append("")
    out.append("NARROW EXCEPTIONS (only these service accounts get the privilege)")
    if not data["exceptions"]:
        out.append("  none")
    for e in data["exceptions"]:
        out.append(
            f"  [{e['severity']}] {e['namespace']}: {e['key']}={e['value']} -> "
            f"{', '.join(e['serviceAccounts'])} (policy {', '.join(e['policies']) or '-'})"
        )
        if e["sharedWith"]:
            out.append(
                f"    also granted, through a shared service account, to: "
                f"{', '.join(e['sharedWith'])}"
            )
    out.append("")
    out.append("POD SECURITY STANDARDS PER NAMESPACE")
    for n in data["namespaces"]:
        out.append(f"  {n['namespace']}: {n['level']} ({n['workloads']} workloads)")
        out.append(f"    {n['command']}")
    existing = data["existingPolicies"]
    out.append("")
    out.append("EXISTING PODSECURITYPOLICIES: PODS THEY MUTATE OR DENY")
    if not existing["policies"]:
        out.append("  no PodSecurityPolicies in the input")
    elif not existing["mutatedOrDenied"]:
        out.append("  none: every pod is admitted unchanged")
    for x in existing["mutatedOrDenied"]:
        if x["allowed"]:
            ops = ", ".join(f"{op['op']} {op['path']}" for op in x["patch"])
            out.append(f"  {x['workload']}: mutated by {x['policy']} ({ops})")
        else:
            out.append(f"  {x['workload']}: denied ({x['message']})")
    return "\n".join(out) + "\n"
