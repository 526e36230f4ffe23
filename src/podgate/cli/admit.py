"""`podgate admit`: what the PodSecurityPolicy admission plugin decides for one pod."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import click
import yaml
from rich.console import Console
from rich.text import Text

from podgate.cli.common import (
    EXIT_OK,
    EXIT_VIOLATION,
    exclude_option,
    fail,
    handles_errors,
    max_bytes_option,
    no_defaults_option,
    output_option,
    print_json,
    read_inputs,
    say,
)
from podgate.errors import LoadError
from podgate.io.policies import load_authorizer, load_policies
from podgate.io.prepare import prepare
from podgate.k8s import Obj, mapping, pod_sources
from podgate.k8s.defaults import Defaulted, default_object
from podgate.k8s.identity import requesting_user
from podgate.k8s.source import Document
from podgate.psp import Decision, PolicySet, Request, review
from podgate.psp.patch import json_patch
from podgate.psp.validation import validate_policy
from podgate.pss.admission import IGNORED_POD_SUBRESOURCES
from podgate.report.shown import text_console
from podgate.scan.definitions import policies as scan_policies

EPILOG = """\b
Examples:
  podgate admit pod.yaml --policy builtin:restricted
  podgate admit pod.yaml --policy policies/ --rbac rbac/ --user alice -o json
  podgate admit new.yaml --old old.yaml --operation UPDATE --policy policies/
\b
Without --rbac every policy is usable by everyone. With --rbac, a policy is a candidate only
if the requesting user (--user/--group; users other than system:anonymous also get
system:authenticated, system:anonymous gets system:unauthenticated) or
the pod's service account (system:serviceaccount:NS:NAME with the groups
system:serviceaccounts and system:serviceaccounts:NS) may `use` it in the pod's namespace.
Pods created by controllers are requested by the controller's identity, e.g.
--user system:serviceaccount:kube-system:replicaset-controller.
\b
Exit codes: 0 admitted, 1 denied (by PSP, or the API server's validation of the admitted
pod), 2 bad input, 3 internal error."""


def _one_pod(docs: Sequence[Document], path: str) -> tuple[Obj, str]:
    """The single pod (or workload's pod template, as a pod) in a file."""
    found = [(d, pod_sources(d.obj)) for d in docs]
    pods = [(d, s) for d, s in found if s is not None]
    if not pods:
        raise LoadError("no Pod (or workload with a pod template) found", file=path)
    if len(pods) > 1:
        d = pods[1][0]
        raise LoadError(
            "more than one pod in the file: admit takes one pod",
            file=path,
            document=d.index,
            line=d.line,
        )
    doc, src = pods[0]
    assert src is not None
    if not src.is_template:
        return doc.obj, ""
    meta = dict(src.meta)
    if src.namespace and "namespace" not in meta:
        meta["namespace"] = src.namespace
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": src.spec}
    return pod, f"the pod template of {src.kind} {src.name!r} ({src.path})"


@click.command(name="admit", epilog=EPILOG)
@click.argument("pod_file")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    required=True,
    metavar="PATH",
    help="PodSecurityPolicy files or directories, `-`, or builtin:privileged|baseline|"
    "restricted. Repeatable.",
)
@click.option(
    "--rbac",
    "rbac",
    multiple=True,
    metavar="PATH",
    help="Role/ClusterRole/RoleBinding/ClusterRoleBinding files or directories. "
    "Without it, every policy is usable by everyone.",
)
@click.option(
    "--user",
    default=None,
    help="The requesting user (default: none; only the pod's service account is authorized).",
)
@click.option(
    "--group", "groups", multiple=True, help="A group of the requesting user. Repeatable."
)
@click.option(
    "--operation", type=click.Choice(["CREATE", "UPDATE"]), default="CREATE", show_default=True
)
@click.option(
    "--old",
    "old_file",
    default=None,
    metavar="OLD_POD_FILE",
    help="The pod before an UPDATE (garbage-collector-only changes are not checked).",
)
@click.option(
    "--subresource",
    default="",
    help="A subresource request (status, ephemeralcontainers, ...): PSP did not check those; "
    "for those that can change a pod (ephemeralcontainers) a warning says what podgate's "
    "webhook decides instead.",
)
@click.option(
    "--namespace",
    "-n",
    default=None,
    help="The request's namespace when the pod names none (default: default).",
)
@output_option("text", "json")
@no_defaults_option
@exclude_option
@max_bytes_option
@handles_errors
def command(
    pod_file: str,
    policies: tuple[str, ...],
    rbac: tuple[str, ...],
    user: str | None,
    groups: tuple[str, ...],
    operation: str,
    old_file: str | None,
    subresource: str,
    namespace: str | None,
    output: str,
    no_defaults: bool,
    exclude: tuple[str, ...],
    max_bytes: int,
) -> None:
    """Decide, as the PodSecurityPolicy admission plugin of Kubernetes 1.21-1.24 did, whether
    POD_FILE is admitted, by which policy and with which changes, or why it is denied.

    The decision runs both phases the API server ran: the mutating phase (CREATE only: the
    first policy by name that admits the pod unchanged wins, else the first that admits it
    with defaults filled in) and the validating phase. Messages and field paths are
    upstream's."""
    # the pod's fields checked; defaulted below as a pod, also when it comes from a template
    pod, from_template = _one_pod(
        prepare(
            read_inputs([pod_file], max_bytes=max_bytes, exclude=exclude, command="admit"),
            defaults=False,
        ),
        pod_file,
    )
    defaulted: tuple[Defaulted, ...] = ()
    original = pod
    if not no_defaults:
        pod, defaulted = default_object(pod)

    ns = mapping(pod.get("metadata")).get("namespace")
    if isinstance(ns, str) and ns:
        if namespace and namespace != ns:
            fail(f"the pod's namespace {ns!r} does not match --namespace {namespace!r}")
        namespace = ns
    namespace = namespace or "default"

    old_pod: Obj | None = None
    if old_file is not None:
        if operation != "UPDATE":
            fail("--old goes with --operation UPDATE")
        old_pod, _ = _one_pod(
            prepare(
                read_inputs([old_file], max_bytes=max_bytes, exclude=exclude, command="admit"),
                defaults=False,
            ),
            old_file,
        )
        if not no_defaults:
            old_pod, _ = default_object(old_pod)

    notes: list[str] = []
    policy_docs = load_policies(
        policies, max_bytes=max_bytes, notes=notes, allow_empty=True, exclude=exclude
    )
    if not policy_docs:
        notes.append(
            "the given --policy inputs hold no PodSecurityPolicy: with no policy, PSP "
            "admission rejects every pod, as upstream does"
        )
    prepared = prepare(policy_docs, defaults=not no_defaults)
    for d in prepared:
        obj = d.obj
        errors = validate_policy(obj)
        if errors:
            name = mapping(obj.get("metadata")).get("name")
            notes.append(
                f"policy {name!r} ({d.where}) is not valid, the API server would refuse "
                f"it: {errors[0]} (see `podgate lint`); evaluated as written"
            )
    # a name defined twice, differently: reviewed against each definition, denied if any denies
    found = scan_policies(prepared, enabled=True)
    assert found is not None
    notes.extend(found.warnings)
    policy_set = found.applied

    authz = (
        load_authorizer(rbac, max_bytes=max_bytes, warnings=notes, exclude=exclude)
        if rbac
        else None
    )
    identity = None
    if user is not None:
        identity = requesting_user(user, groups)
    elif groups:
        fail("--group needs --user")

    sa = mapping(pod.get("spec")).get("serviceAccountName")
    if rbac and not sa:
        notes.append(
            "the pod has no serviceAccountName: in a cluster the ServiceAccount "
            "admission plugin sets 'default' before PSP runs"
        )
    if from_template:
        notes.append(f"evaluated {from_template} as a pod")

    request = Request(operation, pod, namespace, identity, old_pod, subresource)
    decisions = [review(ps, request, authz) for ps in found.sets]
    decision = next((d for d in decisions if not d.allowed), decisions[-1])
    if subresource and subresource not in IGNORED_POD_SUBRESOURCES:
        bypass = _webhook_judges(
            subresource,
            review(policy_set, replace(request, subresource="", operation="UPDATE"), authz),
        )
        say(f"warning: {bypass}")
        if output == "json":
            notes.append(bypass)
    patch = json_patch(original, decision.object) if decision.allowed else []

    if output == "json":
        print_json(_as_json(decision, patch, namespace, defaulted, policy_set, notes))
    else:
        _print_text(decision, original, namespace, defaulted, policy_set, notes)
    raise SystemExit(EXIT_OK if decision.allowed else EXIT_VIOLATION)


def _webhook_judges(subresource: str, webhook: Decision) -> str:
    """What PSP skipped on a subresource request and what podgate's webhook decides instead."""
    if not webhook.evaluated:
        instead = f"would not check it either ({webhook.skipped_reason})"
    elif webhook.allowed:
        instead = f"admits it (policy {webhook.policy!r})"
    else:
        instead = f"denies it: {webhook.message}"
    return (
        f"PodSecurityPolicy never checked the {subresource} subresource: this was a bypass in "
        "PSP (`kubectl debug` could add any container, privileged too, to a running pod). "
        f"podgate's webhook judges it as an UPDATE of the pod and {instead}"
    )


def _as_json(
    decision: Decision,
    patch: list[dict[str, Any]],
    namespace: str,
    defaulted: tuple[Defaulted, ...],
    policy_set: PolicySet,
    notes: list[str],
) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "policy": decision.policy,
        "mutated": decision.mutated,
        "object": decision.object,
        "patch": patch,
        "violations": [
            {"policy": p, "field": e.field, "message": str(e)} for p, e in decision.violations
        ],
        "message": decision.message,
        "evaluated": decision.evaluated,
        "skipped_reason": decision.skipped_reason or None,
        "namespace": namespace,
        "audit_annotations": dict(decision.audit_annotations),
        "defaulted": [str(d) for d in (*defaulted, *decision.prepared)],
        "validation_errors": [{"field": e.field, "message": str(e)} for e in decision.invalid],
        "mutated_by": decision.mutated_by,
        "unusable_policies": [{"policy": u.name, "reason": u.reason} for u in policy_set.unusable],
        "unauthorized_policies": list(decision.unauthorized),
        "notes": notes,
    }


def _yaml(obj: Any) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False).splitlines()


def _print_text(
    decision: Decision,
    original: Any,
    namespace: str,
    defaulted: tuple[Defaulted, ...],
    policy_set: PolicySet,
    notes: list[str],
) -> None:
    out = text_console(highlight=False, soft_wrap=True)
    meta = mapping(original.get("metadata"))
    name = meta.get("name") or meta.get("generateName") or "<unnamed>"
    who = f"pod {namespace}/{name}"
    for d in defaulted:
        out.print(
            Text(f"note: {d} (API server defaulting; --no-defaults turns it off)", style="dim")
        )
    for d in decision.prepared:
        out.print(Text(f"note: {d}, between the admission phases", style="dim"))
    for u in policy_set.unusable:
        out.print(
            Text(
                f"note: policy {u.name!r} cannot be used, upstream skips it: {u.reason}",
                style="yellow",
            )
        )
    for n in notes:
        out.print(Text(f"note: {n}", style="yellow"))
    if not decision.evaluated:
        out.print(
            Text(
                f"ALLOWED  {who}: not checked by PSP ({decision.skipped_reason})",
                style="bold green",
            )
        )
        return
    if decision.allowed:
        how = "with changes" if decision.mutated else "unchanged"
        out.print(
            Text(
                f"ALLOWED  {who}: admitted by policy {decision.policy!r} {how}", style="bold green"
            )
        )
        if decision.mutated:
            out.print("The policy fills in these defaults (kubernetes.io/psp is always set):")
            diff = difflib.unified_diff(
                _yaml(original), _yaml(decision.object), "input", "admitted", lineterm="", n=2
            )
            for line in diff:
                style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
                out.print(Text(line, style=style))
        return
    if decision.invalid:
        _print_invalid(out, decision, who)
        return
    out.print(Text(f"DENIED   {who}", style="bold red"))
    if not policy_set.providers:
        out.print("No PodSecurityPolicy can be used at all: PSP admission rejects every pod.")
    elif not decision.violations:
        out.print(
            "No policy usable by the requester (or its service account) admits the pod "
            "as it is; none reported errors (policies that would have to change the pod "
            "on UPDATE, or policies the requester may not use, stay silent)."
        )
    current = None
    for policy, err in decision.violations:
        if policy != current:
            out.print(Text(f"  policy {policy!r}:", style="bold"))
            current = policy
        out.print(Text(f"    - {err}"))
    if decision.unauthorized:
        names = ", ".join(repr(n) for n in decision.unauthorized)
        out.print(
            Text(
                f"  not usable by the requester or the pod's service account (their "
                f"errors are not reported, as upstream does): {names}",
                style="yellow",
            )
        )
    out.print(Text(f"upstream message: {decision.message}", style="dim"))


def _print_invalid(out: Console, decision: Decision, who: str) -> None:
    """The API server's validation refuses the pod after the mutating phase."""
    out.print(Text(f"DENIED   {who}: the API server's validation refuses it", style="bold red"))
    if decision.mutated_by:
        out.print(
            f"Policy {decision.mutated_by!r} admits the pod with changes that make it invalid "
            "(the API server validates the pod after the mutating phase and before the "
            "validating phase):"
        )
    else:
        out.print("The pod is invalid as written, whichever policy admits it:")
    for err in decision.invalid:
        out.print(Text(f"    - {err}"))
    out.print(Text(f"upstream message: {decision.message}", style="dim"))
