"""The rules of a SARIF run: a reportingDescriptor per finding rule, with its help text (what
the control means and how to fix it, in text and Markdown), severity and risk mappings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from podgate.scan.controls import SEVERITY_RANK, Control
from podgate.scan.findings import Finding

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


def descriptor(rule: str, findings: Sequence[Finding]) -> dict[str, Any]:
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
