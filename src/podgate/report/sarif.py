"""SARIF 2.1.0 as GitHub code scanning takes it (spec/outputs.md section 1): one run, a rule per
finding rule with help text, one result per finding with exactly one location (repo-relative
URI, line and column of the offending field), podgate's own line-independent fingerprint, and
accepted findings as suppressed notes. The result count is capped at GitHub's limit."""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

import orjson

from podgate.report.context import ReportContext
from podgate.scan.controls import SEVERITY_RANK, Control
from podgate.scan.exceptions import AcceptedRisk
from podgate.scan.findings import Finding
from podgate.scan.inventory import where
from podgate.scan.scan import ScanResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
AUTOMATION_ID = "podgate/scan/"
MAX_RESULTS = 25_000  # per run (GitHub rejects more)
MAX_RULES = 25_000  # per run
MAX_TEXT = 1024  # shortDescription / fullDescription
MAX_NAME = 255
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
PSS_DOCS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
PSP_DOCS = "https://kubernetes.io/docs/concepts/security/pod-security-policy/"

# control key -> (title, what it means, how to fix)
CONTROL_TEXT: dict[str, tuple[str, str, str]] = {
    "privileged": (
        "Privileged containers",
        "A privileged container has every Linux capability, sees all host devices and is not "
        "confined by the default seccomp, AppArmor or SELinux profiles.",
        "Remove `securityContext.privileged: true` from the container; grant only the "
        "specific capabilities the workload needs.",
    ),
    "hostNetwork": (
        "Host network namespace",
        "The pod shares the node's network namespace: it binds node ports, reaches services "
        "listening on the node's loopback and is not subject to NetworkPolicy.",
        "Remove `spec.hostNetwork: true`; expose the workload through a Service instead.",
    ),
    "hostPID": (
        "Host PID namespace",
        "The pod shares the node's process namespace: it sees every process on the node, "
        "their command lines and environment, and may signal or trace them.",
        "Remove `spec.hostPID: true`.",
    ),
    "hostIPC": (
        "Host IPC namespace",
        "The pod shares the node's IPC namespace, with access to shared memory and message "
        "queues of host processes.",
        "Remove `spec.hostIPC: true`.",
    ),
    "hostPorts": (
        "Host ports",
        "A container binds a port on the node's interfaces (`hostPort`), outside the "
        "cluster's service networking and its controls.",
        "Remove `hostPort` (or set it to 0) and expose the port through a Service.",
    ),
    "hostProbesAndHostLifecycle": (
        "Probe and lifecycle hosts",
        "A probe or lifecycle handler sets `host`, so the kubelet connects to an address of "
        "the pod's choosing (a request forged from the node).",
        "Remove `host` from `httpGet`/`tcpSocket` probes and lifecycle handlers.",
    ),
    "volumes": (
        "Volume types",
        "The pod uses a volume type the policy does not allow (hostPath for baseline; "
        "anything but configMap, csi, downwardAPI, emptyDir, ephemeral, "
        "persistentVolumeClaim, projected and secret for restricted).",
        "Use an allowed volume type, e.g. a persistentVolumeClaim or emptyDir instead of a "
        "hostPath.",
    ),
    "allowedHostPaths": (
        "Host paths",
        "A hostPath volume mounts a node directory outside the allowed path prefixes, or "
        "mounts it writable where the policy requires read-only.",
        "Mount only allowed host paths, with `readOnly: true` on every volumeMount, or avoid "
        "hostPath volumes.",
    ),
    "readOnlyRootFilesystem": (
        "Read-only root filesystem",
        "The container's root filesystem is writable: an attacker can drop tools or change "
        "binaries in it.",
        "Set `securityContext.readOnlyRootFilesystem: true` and mount emptyDir volumes where "
        "the application writes.",
    ),
    "allowedFlexVolumes": (
        "FlexVolume drivers",
        "A flexVolume uses a driver the policy does not allow; flex drivers run as root on "
        "the node.",
        "Use an allowed driver, or a CSI volume.",
    ),
    "allowedCSIDrivers": (
        "CSI drivers",
        "An inline CSI volume uses a driver the policy does not allow.",
        "Use an allowed CSI driver or a persistentVolumeClaim.",
    ),
    "runAsUser": (
        "Running as root",
        "The container may run as root (UID 0) or as a user outside the allowed range; after "
        "a container escape, root in the container is root on the node.",
        "Set `securityContext.runAsNonRoot: true` and a non-zero `runAsUser` (pod or "
        "container level), and build the image with a non-root `USER`.",
    ),
    "runAsGroup": (
        "Primary group",
        "The container's primary group is outside the allowed range (GID 0 reads files owned "
        "by the root group).",
        "Set `securityContext.runAsGroup` to an allowed, non-zero GID.",
    ),
    "supplementalGroups": (
        "Supplemental groups",
        "The pod's supplemental groups are outside the allowed range.",
        "Set `spec.securityContext.supplementalGroups` to allowed GIDs.",
    ),
    "fsGroup": (
        "fsGroup",
        "The group that owns the pod's volumes is outside the allowed range.",
        "Set `spec.securityContext.fsGroup` to an allowed GID.",
    ),
    "hostUsers": (
        "User namespaces",
        "The pod runs without a user namespace, so root in the container is root on the node.",
        "Set `spec.hostUsers: false` where the node supports user namespaces.",
    ),
    "allowPrivilegeEscalation": (
        "Privilege escalation",
        "A process in the container can gain more privileges than its parent, through setuid "
        "binaries or file capabilities.",
        "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    ),
    "allowedCapabilities": (
        "Added capabilities",
        "A container adds Linux capabilities beyond the allowed set (the runtime defaults for "
        "baseline, only NET_BIND_SERVICE for restricted); SYS_ADMIN, NET_ADMIN and others are "
        "one step from the node.",
        "Remove the `capabilities.add` entries the workload does not need; for one it truly "
        "needs (IPC_LOCK for a database), record a narrow exception with an owner and an "
        "expiry date.",
    ),
    "requiredDropCapabilities": (
        "Dropped capabilities",
        "A container keeps the runtime's default capabilities (NET_RAW, CHOWN, SETUID...); "
        "the restricted level requires dropping them all.",
        'Set `securityContext.capabilities.drop: ["ALL"]`, adding back only '
        "NET_BIND_SERVICE if needed.",
    ),
    "seLinux": (
        "SELinux options",
        "The pod sets SELinux options (a user, a role or a type outside the container types) "
        "that can lift SELinux confinement.",
        "Remove `seLinuxOptions.user` and `.role`, and custom types.",
    ),
    "seccomp": (
        "Seccomp profile",
        "The pod or a container runs without a seccomp profile (Unconfined): every system "
        "call of the kernel is reachable from the container.",
        "Set `securityContext.seccompProfile.type: RuntimeDefault` (or `Localhost` with a "
        "profile) at pod level.",
    ),
    "apparmor": (
        "AppArmor profile",
        "The pod or a container overrides the default AppArmor profile with one that is not "
        "allowed (unconfined).",
        "Remove the override, or use `RuntimeDefault` or an allowed `Localhost` profile.",
    ),
    "forbiddenSysctls/allowedUnsafeSysctls": (
        "Sysctls",
        "The pod sets sysctls outside the safe, namespaced set; unsafe sysctls change the "
        "node's kernel for every pod.",
        "Remove the unsafe `spec.securityContext.sysctls` entries.",
    ),
    "allowedProcMountTypes": (
        "/proc mount type",
        "A container sets `procMount: Unmasked`, exposing /proc paths the runtime masks.",
        "Remove `securityContext.procMount` or set it to `Default`.",
    ),
    "runtimeClass": (
        "Runtime class",
        "The pod uses a runtime class the policy does not allow.",
        "Use an allowed `spec.runtimeClassName`.",
    ),
    "windowsHostProcess": (
        "Windows HostProcess",
        "A Windows HostProcess container runs directly on the node with host access: "
        "equivalent to a privileged container.",
        "Remove `securityContext.windowsOptions.hostProcess: true`.",
    ),
    "automountServiceAccountToken": (
        "Service account token",
        "The pod mounts a service account token usable against the API server.",
        "Set `automountServiceAccountToken: false` where the pod does not call the API.",
    ),
}


def _text_of(control: Control) -> tuple[str, str, str]:
    return CONTROL_TEXT.get(
        control.key,
        (control.key, f"The control {control.key!r} is not met.", "See the finding's message."),
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mitre_link(technique: str) -> str:
    return f"[{technique}](https://attack.mitre.org/techniques/{technique.replace('.', '/')}/)"


def rule_name(rule: str) -> str:
    """An identifier-like name: "pss/baseline/hostNamespaces" -> "PssBaselineHostNamespaces"."""
    parts = [p for chunk in rule.replace("/", "-").split("-") for p in chunk.split("_") if p]
    return _clip("".join(p[:1].upper() + p[1:] for p in parts), MAX_NAME)


def _rule(rule: str, findings: Sequence[Finding]) -> dict[str, Any]:
    """The reportingDescriptor of a rule, from its findings (a PSS check can be about several
    controls, as hostNamespaces is: the strictest severity wins)."""
    first = findings[0]
    controls = list({f.control.key: f.control for f in findings}.values())
    controls.sort(key=lambda c: -SEVERITY_RANK.get(c.severity, 0))
    top = controls[0]
    engine, scope = first.engine, rule.split("/")[1] if rule.count("/") >= 2 else ""
    if engine == "pss":
        short = f"Pod Security Standards {scope}: {first.title}"
        docs = PSS_DOCS
    else:
        short = f"PodSecurityPolicy {scope!r} rejects: {_text_of(top)[0]}"
        docs = PSP_DOCS
    meaning = " ".join(_text_of(c)[1] for c in controls)
    full = f"{meaning} Severity {top.severity}: {top.rationale}".strip()
    cis = sorted({x for c in controls for x in c.cis})
    ms = list(dict.fromkeys(x for c in controls for x in c.ms_threat_matrix))
    mitre = list(dict.fromkeys(x for c in controls for x in c.mitre))
    fixes = [_text_of(c)[2] for c in controls]
    text = "\n".join(
        [
            short,
            "",
            meaning,
            "",
            f"Severity: {top.severity}. {top.rationale}".strip(),
            f"Category: {top.category_title}. Controls: {', '.join(c.key for c in controls)}.",
            f"CIS Kubernetes Benchmark: {', '.join(cis) or 'none'}.",
            f"Microsoft Threat Matrix for Kubernetes: {', '.join(ms) or 'none'}.",
            f"MITRE ATT&CK: {', '.join(mitre) or 'none'}.",
            "",
            "How to fix: " + " ".join(fixes),
            f"Reference: {docs}",
        ]
    )
    markdown = "\n".join(
        [
            f"## {short}",
            "",
            meaning,
            "",
            f"**Severity: {top.severity}.** {top.rationale}".rstrip(),
            "",
            "| Mapping | IDs |",
            "|---|---|",
            f"| Category | {top.category_title} |",
            f"| Controls | {', '.join(f'`{c.key}`' for c in controls)} |",
            f"| CIS Kubernetes Benchmark v1.12 | {', '.join(cis) or '—'} |",
            f"| Microsoft Threat Matrix for Kubernetes | {', '.join(ms) or '—'} |",
            f"| MITRE ATT&CK | {', '.join(_mitre_link(t) for t in mitre) or '—'} |",
            "",
            "### How to fix",
            "",
            *(f"- {fix}" for fix in fixes),
            "",
            f"See [{'Pod Security Standards' if engine == 'pss' else 'PodSecurityPolicy'}]"
            f"({docs}).",
        ]
    )
    tags = list(
        dict.fromkeys(
            [
                "security",
                "kubernetes",
                "pod-security",
                *(c.category for c in controls),
                "pss" if engine == "pss" else "psp",
                f"{engine}-{scope}" if engine == "pss" else "psp",
            ]
        )
    )[:20]
    return {
        "id": rule,
        "name": rule_name(rule),
        "shortDescription": {"text": _clip(short, MAX_TEXT)},
        "fullDescription": {"text": _clip(full, MAX_TEXT)},
        "help": {"text": text, "markdown": markdown},
        "helpUri": docs,
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": tags,
            "precision": "very-high",
            "security-severity": SECURITY_SEVERITY.get(top.severity, "5.5"),
            "severity": top.severity,
            "category": top.category,
            "controls": [c.key for c in controls],
            "cis": cis,
            "msThreatMatrix": ms,
            "mitre": mitre,
        },
    }


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
    where = context.locate(f.source, f.field)
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
                "control": c.key,
                "category": c.category,
                "severity": c.severity,
                "cis": list(c.cis),
                "msThreatMatrix": list(c.ms_threat_matrix),
                "mitre": list(c.mitre),
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
                        "rules": [_rule(rule, fs) for rule, fs in by_rule.items()],
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
    return orjson.dumps(to_sarif(result, context), option=orjson.OPT_INDENT_2).decode() + "\n"
