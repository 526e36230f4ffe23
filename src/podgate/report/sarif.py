"""SARIF 2.1.0 as GitHub code scanning takes it (spec/outputs.md section 1): one run, a rule per
finding rule with help text (sarif_rules.py), one result per finding with exactly one location
(repo-relative URI, line and column of the offending field), podgate's own line-independent
fingerprint, and accepted findings as suppressed notes. The result count is capped at GitHub's
limit."""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

import orjson

from podgate.io.locate import Locator
from podgate.k8s.source import where
from podgate.report.context import ReportContext
from podgate.report.json_report import control_fields
from podgate.report.sarif_rules import descriptor
from podgate.scan.controls import SEVERITY_RANK
from podgate.scan.exceptions import AcceptedRisk
from podgate.scan.findings import Finding
from podgate.scan.scan import ScanResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
AUTOMATION_ID = "podgate/scan/"
MAX_RESULTS = 25_000  # per run (GitHub rejects more)
MAX_RULES = 25_000  # per run


def artifact_uri(file: str, cwd: str | None = None) -> str:
    """A forward-slash URI for a file as given: relative paths normalised, absolute paths under
    the working directory made relative to it, others as file:// URIs (symlinks resolved, as
    code scanning shows no symlinked paths)."""
    if file == "-":
        return "-"
    cwd = os.getcwd() if cwd is None else cwd
    path = file.replace(os.sep, "/") if os.sep != "/" else file
    if PurePath(file).is_absolute():
        real = os.path.realpath(file)
        for base in dict.fromkeys((os.path.realpath(cwd), cwd)):
            try:
                rel = PurePath(real).relative_to(base)
            except ValueError:
                continue
            return quote(rel.as_posix())
        return Path(real).as_uri()
    norm = posixpath.normpath(path)
    return quote(norm)


def fingerprint(f: Finding, api_version: str) -> str:
    """spec/outputs.md 1.3: sha256 of rule, resource and field path, so alerts survive line
    moves and re-ordered documents."""
    w = f.workload
    key = f"{f.rule}|{api_version}/{w.kind}/{w.namespace}/{w.name}|{f.field}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _region(f: Finding, context: ReportContext) -> dict[str, int]:
    if f.source is None:
        return {"startLine": 1, "startColumn": 1}
    where = context.locate(f.source, f.path)
    line, column = where if where is not None else (max(f.source.line, 1), 1)
    return {"startLine": max(line, 1), "startColumn": max(column, 1), "endLine": max(line, 1)}


def _select(findings: Sequence[Finding]) -> tuple[list[Finding], int]:
    """At most MAX_RESULTS findings (open before accepted, then by severity, keeping input
    order otherwise) over at most MAX_RULES rules; and how many were left out."""
    if len(findings) <= MAX_RESULTS and len({f.rule for f in findings}) <= MAX_RULES:
        return list(findings), 0
    ranked = sorted(
        range(len(findings)),
        key=lambda i: (findings[i].accepted, -SEVERITY_RANK.get(findings[i].severity, 0), i),
    )
    rules: set[str] = set()
    kept: list[int] = []
    for i in ranked:
        if len(kept) >= MAX_RESULTS:
            break
        rule = findings[i].rule
        if rule not in rules and len(rules) >= MAX_RULES:
            continue
        rules.add(rule)
        kept.append(i)
    kept.sort()
    return [findings[i] for i in kept], len(findings) - len(kept)


def _message(f: Finding, level: str) -> str:
    if f.engine == "pss":
        text = f'{f.workload} violates PodSecurity "{level}": {f.message}'
    else:
        policy = f.rule.split("/")[1] if f.rule.count("/") >= 2 else "?"
        text = f"{f.workload} is rejected by PodSecurityPolicy {policy!r}: {f.message}"
    if f.container and f'"{f.container}"' not in f.message:
        text += f' [container "{f.container}"]'
    return text


def to_sarif(result: ScanResult, context: ReportContext, cwd: str | None = None) -> dict[str, Any]:
    """The SARIF log as JSON values."""
    cwd = os.getcwd() if cwd is None else cwd
    findings, omitted = _select(result.findings)
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    rule_index = {rule: i for i, rule in enumerate(by_rule)}
    api = {r.workload.ref: r.workload.api_version for r in result.workloads}
    levels = {r.workload.ref: str(r.level) for r in result.workloads}
    risks: dict[str, AcceptedRisk] = {s.exception.id: s.exception for s in result.exceptions}
    duplicates = {
        (r.workload.ref, r.workload.source): r.workload.duplicates
        for r in result.workloads
        if r.workload.duplicates
    }
    seen: dict[str, int] = {}
    results = []
    uris: dict[str, str] = {}
    for f in findings:
        c = f.control
        api_version = api.get(f.workload, "")
        hash16 = fingerprint(f, api_version)
        seen[hash16] = seen.get(hash16, 0) + 1
        file = f.source.file if f.source is not None else "-"
        uri = uris.get(file)
        if uri is None:
            uri = uris[file] = artifact_uri(file, cwd)
        out: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_index[f.rule],
            "level": "note" if f.accepted else "error",
            "message": {"text": _message(f, levels.get(f.workload, "?"))},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": _region(f, context),
                    },
                    "logicalLocations": [
                        {
                            "name": f.workload.name,
                            "fullyQualifiedName": str(f.workload),
                            "kind": "resource",
                        }
                    ],
                }
            ],
            "partialFingerprints": {"primaryLocationLineHash": f"{hash16}:{seen[hash16]}"},
            "properties": {
                "resource": {
                    "apiVersion": api_version,
                    "kind": f.workload.kind,
                    "namespace": f.workload.namespace,
                    "name": f.workload.name,
                },
                "fieldPath": f.field,
                "container": f.container,
                "serviceAccount": f.service_account,
                "engine": f.engine,
                "check": f.check,
                "policy": f.rule.rsplit("/", 1)[0],
                **control_fields(c),
                "accepted": f.accepted,
            },
        }
        others = duplicates.get((f.workload, f.source))
        if others:  # the same resource read elsewhere too, judged there on its own
            out["properties"]["duplicates"] = [where(d) for d in others]
        if f.accepted_by is not None:
            risk = risks.get(f.accepted_by)
            why = f"accepted by exception {f.accepted_by!r}"
            if risk is not None:
                why += f": {risk.justification} (owner {risk.owner}, expires {risk.expires})"
            out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": why}]
            out["properties"]["acceptedBy"] = f.accepted_by
        results.append(out)
    run_properties: dict[str, Any] = {
        "findings": len(result.findings),
        "workloads": len(result.workloads),
        "failOn": result.options.fail_on,
    }
    if omitted:
        run_properties["truncated"] = True
        run_properties["resultsOmitted"] = omitted
        run_properties["note"] = (
            f"{omitted} of {len(result.findings)} findings left out: code scanning takes at "
            f"most {MAX_RESULTS} results per run; open findings of the highest severities "
            "were kept (podgate scan -o json has them all)"
        )
    if result.notes:
        run_properties["notes"] = list(result.notes)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "podgate",
                        "semanticVersion": context.version,
                        "rules": [descriptor(rule, fs) for rule, fs in by_rule.items()],
                    }
                },
                "automationDetails": {"id": AUTOMATION_ID},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "exitCode": context.exit_code,
                        "commandLine": context.command,
                        "endTimeUtc": _utc(context),
                        "workingDirectory": {"uri": Path(cwd).as_uri().rstrip("/") + "/"},
                    }
                ],
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": run_properties,
            }
        ],
    }


def _utc(context: ReportContext) -> str:
    return context.generated.strftime("%Y-%m-%dT%H:%M:%SZ")


def render(result: ScanResult, context: ReportContext) -> str:
    return render_bytes(result, context).decode()


def render_bytes(result: ScanResult, context: ReportContext) -> bytes:
    """`render` as UTF-8 bytes, made without a str of them (the SARIF of a 20,000-pod snapshot
    is 54 MB), the files read to locate fields let go before they are written."""
    sarif = to_sarif(result, context)
    if isinstance(context.locate, Locator):
        context.locate.release()
    return orjson.dumps(sarif, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
