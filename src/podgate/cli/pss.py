"""`podgate pss`: evaluate Pods and workloads against the Pod Security Standards, offline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import click
from rich.text import Text

from podgate.cli.common import (
    EXIT_OK,
    EXIT_VIOLATION,
    handles_errors,
    manifest_options,
    output_option,
    print_json,
    read_inputs,
    say,
)
from podgate.errors import PolicyError
from podgate.io.prepare import prepare
from podgate.io.pss_config import load_pss_config
from podgate.k8s import Obj, PodSource, mapping, pod_sources
from podgate.k8s.defaults import Defaulted
from podgate.k8s.prepare import other_release_note, prepare_for_create
from podgate.k8s.source import Document
from podgate.pss import (
    LATEST,
    Level,
    LevelVersion,
    Violation,
    enforce_message,
    evaluate,
    parse_level,
    parse_version,
)
from podgate.pss import namespaces as ns_policy
from podgate.pss.admission import (
    AdmissionResult,
    ClusterReadError,
    admit,
    request_for,
)
from podgate.pss.checks.capabilities_restricted import case_hints
from podgate.pss.config import (
    DEFAULT_CONFIGURATION,
    PodSecurityConfiguration,
)
from podgate.report.shown import text_console
from podgate.scan.coverage import coverage, coverage_notes
from podgate.scan.definitions import namespaces, other_namespace_definitions

DEFAULT_NAMESPACE = "default"  # where kubectl puts an object without metadata.namespace

HELP = """Evaluate Pods and workloads against the Pod Security Standards, exactly as the
Kubernetes Pod Security Admission would, without a cluster.

\b
PATH is a YAML or JSON file (several documents and `v1 List`s are fine), a directory
(searched recursively for .yaml, .yml and .json) or `-` for stdin. Each Pod is judged on
its own spec; each workload (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
ReplicationController, PodTemplate) on its pod template. Namespaces and objects without a
pod spec are skipped.

\b
The policy is either given:
  --level baseline|restricted|privileged [--version latest|v1.N]
or read, per object, from its Namespace in the same input:
  --from-namespace-labels [--config FILE]
which uses the namespace's `pod-security.kubernetes.io/enforce` and `enforce-version`
labels with upstream's rules (an invalid enforce label counts as restricted). An object
whose Namespace is not in the input gets the configuration's defaults (privileged:latest
without --config) and the output says so; an object without a namespace is looked up as
"default". --config takes a PodSecurityConfiguration or an AdmissionConfiguration (its
PodSecurity plugin): defaults, and namespace and runtime class exemptions. One of --level
and --from-namespace-labels is required.

\b
The API server's defaulting is applied first and reported (a volume without a source
becomes emptyDir; on a hostNetwork Pod, not a pod template, a port without hostPort gets
hostPort = containerPort); --no-defaults judges the objects exactly as written.

\b
-o json prints {"results": [...]}, one result per Pod or workload, with "source"
({"file": the path as given or found in a given directory, "document", "line"}),
"kind", "namespace", "name", "level", "version", "allowed", "violations" ([{"check",
"reason", "detail"}] in upstream order), "message" (the enforce denial text, null when
allowed) and "defaulted", "notes", "policySource", "exempt"; with
--from-namespace-labels also "admission": what the API server would answer (allowed,
message, warnings, auditAnnotations) and "labelErrors" for a Namespace's bad labels;
"notes" says what was read but not judged (documents by kind, and custom resources whose
operators create pods podgate cannot see into), as the text output does on stderr.

\b
Examples:
  podgate pss pod.yaml --level restricted
  podgate pss manifests/ --level baseline --version v1.29 -o json
  helm template ./chart | podgate pss - --level restricted
  podgate pss ns.yaml apps/ --from-namespace-labels --config admission.yaml

\b
Exit codes: 0 everything allowed, 1 something violates its level, 2 bad input
(a missing or malformed file, a bad --level or --version, a bad --config), 3 internal
error.
"""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict on one Pod or workload."""

    doc: Document
    src: PodSource
    lv: LevelVersion
    violations: tuple[Violation, ...]
    defaulted: tuple[Defaulted, ...]
    notes: tuple[str, ...] = ()
    exempt: str | None = None
    policy_source: str = "flag"
    label_errors: tuple[str, ...] = ()
    admission: AdmissionResult | None = None

    @property
    def allowed(self) -> bool:
        return not self.violations

    @property
    def message(self) -> str | None:
        if not self.violations:
            return None
        return enforce_message(self.lv, self.violations)

    def as_json(self) -> dict[str, Any]:
        source: dict[str, Any] = {
            "file": self.doc.file,
            "document": self.doc.index,
            "line": self.doc.line,
        }
        if self.doc.item is not None:
            source["item"] = self.doc.item
        out: dict[str, Any] = {
            "source": source,
            "kind": self.src.kind,
            "namespace": self.src.namespace,
            "name": self.src.name,
            "level": self.lv.level.value,
            "version": str(self.lv.version),
            "allowed": self.allowed,
            "violations": [
                {"check": v.check, "reason": v.reason, "detail": v.detail} for v in self.violations
            ],
            "message": self.message,
            "defaulted": [
                {"field": d.field, "value": d.value, **({"why": d.why} if d.why else {})}
                for d in self.defaulted
            ],
            "notes": list(self.notes),
            "policySource": self.policy_source,
            "exempt": self.exempt,
        }
        if self.label_errors:
            out["labelErrors"] = list(self.label_errors)
        if self.admission is not None:
            a = self.admission
            out["admission"] = {
                "allowed": a.allowed,
                "message": a.message or None,
                "warnings": list(a.warnings),
                "auditAnnotations": dict(a.audit_annotations),
            }
        return out


def _parse_flag(parse: Any, value: str, flag: str) -> Any:
    try:
        return parse(value)
    except PolicyError as e:
        raise PolicyError(str(e), field=flag) from None


def _namespaces(
    docs: Sequence[Document], config: PodSecurityConfiguration
) -> tuple[dict[str, Obj], dict[str, tuple[Obj, ...]]]:
    """The Namespace used for each name: of definitions with different enforce levels, the
    strictest (the scan's choice; a warning on stderr names every file), and the other
    definitions, by which a workload the strictest admits is judged as well."""
    chosen, warnings = namespaces(docs, config)
    for warning in warnings:
        say(f"podgate: warning: {warning}")
    others: dict[str, tuple[Obj, ...]] = {
        name: tuple(docs[i].obj for i, _ in defs)
        for name, defs in other_namespace_definitions(docs, config).items()
    }
    return {name: docs[i].obj for name, (i, _) in chosen.items() if name}, others


def _run(lv: LevelVersion, src: PodSource) -> tuple[Violation, ...]:
    if lv.level == Level.PRIVILEGED:
        return ()
    return tuple(evaluate(lv.level, lv.version, src.meta, src.spec))


def _notes(src: PodSource, defaulted: Sequence[Defaulted]) -> list[str]:
    notes = []
    meta_name = None
    if not src.is_template:
        meta_name = mapping(src.meta).get("name")
    if not src.is_template and not meta_name and src.name:
        notes.append(
            "generateName: the API server names the pod before admission, so a cluster's "
            "message shows the generated name"
        )
    if src.generic:
        notes.append(
            f"kind {src.kind} is not one Pod Security Admission evaluates; its "
            f"{src.path} was judged as a pod template"
        )
    if defaulted:
        notes.append("judged after the API server's defaulting (see defaulted)")
    return notes


def _by_labels(
    doc: Document,
    obj: Obj,
    src: PodSource,
    defaulted: tuple[Defaulted, ...],
    namespaces: Mapping[str, Obj],
    config: PodSecurityConfiguration,
) -> Outcome:
    notes = _notes(src, defaulted)
    ns_name = src.namespace
    if not ns_name:
        ns_name = DEFAULT_NAMESPACE
        notes.append(f'no metadata.namespace: judged as in namespace "{DEFAULT_NAMESPACE}"')
    namespace = namespaces.get(ns_name)
    # an object whose Namespace is not in the input gets the defaults (the webhook refuses it)
    applies = ns_policy.policy_of(
        ns_name, None if namespace is None else ns_policy.labels_of(namespace), config
    )
    resolved = applies.resolved
    if namespace is None:
        source = "defaults"
        notes.append(
            f'namespace "{ns_name}" is not in the input: the configuration\'s defaults '
            f"({resolved.policy}) apply"
        )
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns_name}}
    else:
        source = "namespace"
        if resolved.errors:
            notes.append(
                f'namespace "{ns_name}" has invalid Pod Security labels (the API server would '
                "refuse it); upstream's fallbacks apply"
            )
    lv = resolved.policy.enforce
    label_errors = tuple(str(e) for e in resolved.errors)
    admission = None
    if not src.generic:
        ns_obj = namespace

        def get_namespace(name: str) -> Obj:
            if name != ns_name:  # pragma: no cover - the request names this namespace
                raise ClusterReadError(f'namespace "{name}" not found')
            return ns_obj

        request = request_for(obj, namespace=ns_name)
        admission = admit(request, config=config, get_namespace=get_namespace)
    exempt = None
    if applies.exempt:
        exempt = "namespace"
    elif config.exemptions.runtime_class(src.spec.get("runtimeClassName")):
        exempt = "runtimeClass"
    violations = () if exempt else _run(lv, src)
    if exempt:
        notes.append(f"exempt from Pod Security by the configuration ({exempt})")
    return Outcome(
        doc,
        src,
        lv,
        violations,
        defaulted,
        tuple(notes),
        exempt,
        source,
        label_errors,
        admission,
    )


def _evaluate_all(
    docs: Sequence[Document],
    lv: LevelVersion | None,
    config: PodSecurityConfiguration | None,
    apply_defaults: bool,
    release: int | None = None,
) -> list[Outcome]:
    found, others = _namespaces(docs, config) if config is not None else ({}, {})
    out: list[Outcome] = []
    for doc in docs:
        obj: Obj = doc.obj
        if obj.get("kind") == "Namespace" or pod_sources(obj) is None:
            continue
        defaulted = doc.defaulted  # `io.prepare`'s defaulting
        release_note = other_release_note(obj, release)
        if apply_defaults:
            # a Pod as the API server hands it to admission
            obj, synced = prepare_for_create(obj, release)
            defaulted = (*defaulted, *synced)
        src = pod_sources(obj)
        if src is None:  # pragma: no cover - defaulting keeps the pod spec
            continue
        if config is not None:
            outcome = _by_labels(doc, obj, src, defaulted, found, config)
            ns = src.namespace or DEFAULT_NAMESPACE
            for other in others.get(ns, ()) if outcome.allowed else ():
                # the Namespace is defined twice: a definition that rejects the object wins
                judged = _by_labels(doc, obj, src, defaulted, {**found, ns: other}, config)
                if not judged.allowed:
                    outcome = judged
                    break
        else:
            assert lv is not None
            notes = tuple(_notes(src, defaulted))
            outcome = Outcome(doc, src, lv, _run(lv, src), defaulted, notes)
        if release_note is not None:
            outcome = replace(outcome, notes=(*outcome.notes, release_note))
        if any(v.check == "capabilities_restricted" for v in outcome.violations):
            outcome = replace(outcome, notes=(*outcome.notes, *case_hints(src.spec)))
        out.append(outcome)
    return out


def _coverage_notes(docs: Sequence[Document]) -> list[str]:
    """What was read but not judged, as scan says it: documents by kind, and custom resources
    whose operators create pods podgate cannot see into."""
    return coverage_notes(coverage(docs, policies_read=False))


def _print_text(outcomes: Sequence[Outcome]) -> None:
    console = text_console(highlight=False, soft_wrap=True)
    for o in outcomes:
        line = Text()
        line.append(
            "PASS " if o.allowed else "FAIL ", style="bold green" if o.allowed else "bold red"
        )
        where = f"{o.src.namespace}/{o.src.name}" if o.src.namespace else o.src.name
        line.append(f" {o.src.kind} {where}", style="bold")
        line.append(f"  {o.lv}", style="cyan")
        if o.exempt:
            line.append(f"  exempt ({o.exempt})", style="yellow")
        at = f"{o.doc.file}: document {o.doc.index}"
        if o.doc.item is not None:
            at += f" item {o.doc.item}"
        line.append(f"  ({at}, line {o.doc.line})", style="dim")
        console.print(line)
        for v in o.violations:
            text = Text("      ")
            text.append(v.check, style="red")
            text.append(f": {v.reason}" + (f" ({v.detail})" if v.detail else ""))
            console.print(text)
        for d in o.defaulted:
            console.print(Text(f"      defaulted: {d}", style="dim"))
        for e in o.label_errors:
            console.print(Text(f"      label error: {e}", style="yellow"))
        for n in o.notes:
            console.print(Text(f"      note: {n}", style="dim"))
        if o.admission is not None:
            for w in o.admission.warnings:
                console.print(Text(f"      API server warning: {w}", style="yellow"))
            if o.admission.message:
                console.print(Text(f"      API server: {o.admission.message}", style="red"))
    failed = sum(1 for o in outcomes if not o.allowed)
    if not outcomes:
        console.print("no Pods or workloads found")
        return
    noun = "object" if len(outcomes) == 1 else "objects"
    summary = Text(f"{len(outcomes)} {noun} checked: {len(outcomes) - failed} allowed, ")
    summary.append(f"{failed} violating", style="bold red" if failed else "green")
    console.print(summary)


@click.command("pss", help=HELP, short_help="Evaluate pods against the Pod Security Standards.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--level",
    "level_text",
    metavar="LEVEL",
    help="The level to evaluate at: baseline, restricted (or privileged, which allows all).",
)
@click.option(
    "--version",
    "version_text",
    metavar="VERSION",
    help='The policy version: "latest" (the default) or v1.N, e.g. v1.29. Only with --level.',
)
@click.option(
    "--from-namespace-labels",
    is_flag=True,
    help="Take each object's level and version from its Namespace's enforce labels "
    "(Namespaces found in the same input).",
)
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="A PodSecurityConfiguration or AdmissionConfiguration file: defaults and exemptions. "
    "Only with --from-namespace-labels.",
)
@output_option("text", "json")
@manifest_options
@handles_errors
def command(
    paths: tuple[str, ...],
    level_text: str | None,
    version_text: str | None,
    from_namespace_labels: bool,
    config_path: str | None,
    output: str,
    kubernetes_release: int | None,
    no_defaults: bool,
    exclude: tuple[str, ...],
    max_bytes: int,
) -> None:
    if level_text is not None and from_namespace_labels:
        raise PolicyError("give either --level or --from-namespace-labels, not both")
    if level_text is None and not from_namespace_labels:
        raise PolicyError("give --level LEVEL (baseline or restricted) or --from-namespace-labels")
    if version_text is not None and from_namespace_labels:
        raise PolicyError(
            "--version goes with --level; with --from-namespace-labels the version comes from "
            "the enforce-version label"
        )
    if config_path is not None and not from_namespace_labels:
        raise PolicyError("--config goes with --from-namespace-labels")
    lv: LevelVersion | None = None
    config: PodSecurityConfiguration | None = None
    if level_text is not None:
        level = _parse_flag(parse_level, level_text, "--level")
        version = (
            LATEST
            if version_text is None
            else _parse_flag(parse_version, version_text, "--version")
        )
        lv = LevelVersion(level, version)
    else:
        config = (
            DEFAULT_CONFIGURATION
            if config_path is None
            else load_pss_config(config_path, max_bytes)
        )
    docs = prepare(
        read_inputs(paths, max_bytes=max_bytes, exclude=exclude, command="pss"),
        defaults=not no_defaults,
    )
    outcomes = _evaluate_all(
        docs, lv, config, apply_defaults=not no_defaults, release=kubernetes_release
    )
    notes = _coverage_notes(docs)
    if output == "json":
        print_json({"results": [o.as_json() for o in outcomes], "notes": notes})
    else:
        for note in notes:
            say(f"podgate: note: {note}")
        _print_text(outcomes)
    raise SystemExit(EXIT_OK if all(o.allowed for o in outcomes) else EXIT_VIOLATION)
