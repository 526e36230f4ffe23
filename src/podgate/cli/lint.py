"""`podgate lint`: is each PodSecurityPolicy valid for the API server, and what looks wrong."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from podgate.cli.common import (
    EXIT_OK,
    EXIT_VIOLATION,
    exclude_option,
    handles_errors,
    max_bytes_option,
    no_defaults_option,
    output_option,
    print_json,
    read_inputs,
    say,
)
from podgate.errors import LoadError
from podgate.k8s import Obj
from podgate.k8s.defaults import Defaulted, default_policy
from podgate.k8s.field import FieldError
from podgate.k8s.source import Document
from podgate.psp.lint import Hint, lint_policy
from podgate.psp.policy import is_policy as is_psp
from podgate.psp.validation import validate_policy
from podgate.report.shown import text_console

API_VERSIONS = ("policy/v1beta1", "extensions/v1beta1")
KIND = "PodSecurityPolicy"


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict on one policy document."""

    doc: Document
    name: str | None
    errors: tuple[FieldError, ...]
    hints: tuple[Hint, ...]
    defaulted: tuple[Defaulted, ...]

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return {
            "policy": self.name,
            "file": self.doc.file,
            "document": self.doc.index,
            "line": self.doc.line,
            "valid": self.valid,
            "errors": [{"field": e.field, "message": str(e)} for e in self.errors],
            "hints": [
                {"field": h.field, "message": h.message, "suggestion": h.suggestion}
                for h in self.hints
            ],
            "defaulted": [str(d) for d in self.defaulted],
        }


def is_policy(obj: Obj) -> bool:
    """A PodSecurityPolicy as the scan and admit read one (policy/v1beta1, extensions/v1beta1,
    or podgate.io/v1, the same spec served by podgate's webhook)."""
    return is_psp(obj)


def _note(doc: Document) -> str:
    kind, api = doc.obj.get("kind"), doc.obj.get("apiVersion")
    if kind == KIND:
        given = f"apiVersion {api}" if api else "no apiVersion"
        return (
            f"{doc.where}: ignoring kind {KIND} with {given}: PodSecurityPolicy was served only "
            "as policy/v1beta1 (and extensions/v1beta1 up to Kubernetes 1.15)"
        )
    if isinstance(kind, str) and kind.lower() in ("podsecuritypolicy", "podsecuritypolicies"):
        return f"{doc.where}: ignoring kind {kind}: did you mean kind: {KIND}?"
    shown = kind if isinstance(kind, str) and kind else "an object without a kind"
    return f"{doc.where}: ignoring {shown} (not a {KIND})"


def check(doc: Document, *, apply_defaults: bool) -> Result:
    """Validate and lint one policy document."""
    obj = doc.obj
    defaulted: tuple[Defaulted, ...] = ()
    target: Any = obj
    if apply_defaults:
        target, defaulted = default_policy(obj)
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return Result(
        doc=doc,
        name=name if isinstance(name, str) else None,
        errors=tuple(validate_policy(target)),
        hints=tuple(lint_policy(obj)),
        defaulted=defaulted,
    )


def collect(
    paths: Sequence[str],
    *,
    max_bytes: int,
    note: Callable[[str], None],
    exclude: Sequence[str] = (),
) -> list[Document]:
    """The policy documents of every path; `note` hears about each document ignored. A path that
    holds no policy at all is bad input (LoadError)."""
    policies: list[Document] = []
    for path in paths:
        docs = read_inputs([path], max_bytes=max_bytes, exclude=exclude, command="lint")
        found = [d for d in docs if is_policy(d.obj)]
        for d in docs:
            if not is_policy(d.obj):
                note(_note(d))
        if not found:
            others = f" ({len(docs)} other object(s) ignored)" if docs else " (no objects)"
            raise LoadError(f"no {KIND} (policy/v1beta1) found{others}", file=path)
        policies.extend(found)
    return policies


def _render_text(results: Sequence[Result], console: Console) -> None:
    for r in results:
        head = Text()
        head.append(r.name or "<no name>", style="bold")
        head.append(f"  {r.doc.where}  ")
        if r.valid:
            head.append("valid", style="bold green")
        else:
            n = len(r.errors)
            head.append("INVALID", style="bold red")
            head.append(f": the API server rejects it ({n} error{'s' if n != 1 else ''})")
        console.print(head)
        if r.errors:
            console.print("  errors (as the API server prints them):")
            for e in r.errors:
                console.print(Text("    ") + Text(str(e), style="red"))
        if r.hints:
            console.print("  hints (they do not change validity):")
            for h in r.hints:
                console.print(Text("    ") + Text(h.field, style="yellow") + Text(f": {h.message}"))
                if h.suggestion:
                    console.print(Text("      did you mean: ") + Text(h.suggestion, style="cyan"))
        for d in r.defaulted:
            console.print(
                Text(f"  note: {d} before validation, as the API server does (--no-defaults: off)")
            )
        console.print()
    invalid = sum(1 for r in results if not r.valid)
    hints = sum(len(r.hints) for r in results)
    n = len(results)
    summary = Text(f"{n} polic{'y' if n == 1 else 'ies'} checked: {n - invalid} valid, ")
    summary.append(f"{invalid} invalid", style="bold red" if invalid else "")
    summary.append(f", {hints} hint{'' if hints == 1 else 's'}")
    console.print(summary)


HELP = """Check PodSecurityPolicy objects the way the API server did (Kubernetes 1.21-1.24).

For each PodSecurityPolicy found in POLICY_PATH (files, directories searched for .yaml, .yml
and .json, or - for stdin) print whether the API server accepts it, its errors exactly as the
API server prints them, and hints about likely mistakes with a did-you-mean: unknown or
misspelled fields, quoted booleans, missing strategies, volumes: [none], policies that
admission silently skips. Hints never change validity. Other kinds are ignored (noted on stderr).

\b
Example:
  $ cat psp.yaml
  apiVersion: policy/v1beta1
  kind: PodSecurityPolicy
  metadata: {name: restricted}
  spec:
    MustRunAsNonRoot: true            # wrong: a rule is not a field
    seLinux: {rule: RunAsAny}
    supplementalGroups: {rule: RunAsAny}
    fsGroup: {rule: RunAsAny}
    volumes: [configMap, secret, projected]
  $ podgate lint psp.yaml
  restricted  psp.yaml: document 0 (line 1)  INVALID: the API server rejects it (1 error)
    errors (as the API server prints them):
      spec.runAsUser.rule: Unsupported value: "": supported values: "MustRunAs", ...
    hints (they do not change validity):
      spec.MustRunAsNonRoot: MustRunAsNonRoot is a strategy rule, not a field ...
        did you mean: runAsUser: {rule: MustRunAsNonRoot}
    ...

\b
Like the API server, allowPrivilegeEscalation defaults to true before validation;
--no-defaults validates the policy exactly as written.

\b
Exit codes: 0 every policy valid, 1 some policy invalid, 2 bad input, 3 internal error.
-o json prints {"results": [{"policy", "file", "document", "line", "valid",
"errors": [{"field", "message"}], "hints": [{"field", "message", "suggestion"}],
"defaulted"}]}.
"""


@click.command("lint", help=HELP, short_help="Validate and lint PodSecurityPolicy objects.")
@click.argument("policy_paths", metavar="POLICY_PATH...", nargs=-1, required=True)
@output_option("text", "json")
@max_bytes_option
@no_defaults_option
@exclude_option
@handles_errors
def command(
    policy_paths: tuple[str, ...],
    output: str,
    max_bytes: int,
    no_defaults: bool,
    exclude: tuple[str, ...],
) -> None:
    docs = collect(
        policy_paths,
        max_bytes=max_bytes,
        note=lambda text: say(f"podgate: note: {text}"),
        exclude=exclude,
    )
    results = [check(d, apply_defaults=not no_defaults) for d in docs]
    if output == "json":
        print_json({"results": [r.as_json() for r in results]})
    else:
        _render_text(results, text_console(highlight=False, soft_wrap=True))
    sys.exit(EXIT_OK if all(r.valid for r in results) else EXIT_VIOLATION)
