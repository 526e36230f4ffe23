"""`--to psa`: Pod Security Admission labels per namespace, pinned to the cluster's version,
proved with podgate's own PSS engine against PSP's decisions.

Per namespace: `enforce` is the strictest level every workload PSP admitted meets as written
(PSA does not mutate, so a workload that met a level only after PSP filled fields in is held
to what its manifest says); in a namespace without workloads, the strictest level every pod
PSP would admit there meets (generated pods near every policy's boundary, requested by a
controller for each service account of the namespace, and by a user too where the policies a
user may use differ from the controller's). `audit` and `warn` are the strictest
level the workloads meet as PSP admitted them (what they reach once PSP's changes are written
into their manifests), never looser than enforce. Then PSA's enforce decision is compared with PSP's
on every one of those pods: each disagreement is a gap, looser (PSA admits what PSP denied) or
stricter (PSA denies what PSP admitted), with the workloads it affects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from podgate.export.cluster import Cluster, requester
from podgate.export.model import Direction, Gap, Outcome, annotate, verdict_of
from podgate.export.probes import Probe, minimal_pod, probes, restricted_pod
from podgate.export.tried import CONTROLLER, PROBE_USER
from podgate.k8s import Obj, mapping
from podgate.k8s.identity import UserInfo, pod_service_account
from podgate.psp.patch import json_patch
from podgate.pss import Level, Version, evaluate, highest_level

LABEL = "pod-security.kubernetes.io"
ENGINE = "podgate PSS engine (Pod Security Admission's checks, {version})"
_ORDER = (Level.PRIVILEGED, Level.BASELINE, Level.RESTRICTED)


def _min(levels: Iterable[Level], default: Level) -> Level:
    found = list(levels)
    return min(found, key=lambda lv: lv.strictness) if found else default


def _meta_spec(pod: Obj) -> tuple[Obj, Obj]:
    return mapping(pod.get("metadata")), mapping(pod.get("spec"))


def export_psa(cluster: Cluster, version: Version, *, boundary: bool = True) -> dict[str, Any]:
    """Labels, commands, objects and outcomes per namespace (see the module's docstring)."""
    by_ns: dict[str, list[Any]] = defaultdict(list)
    for w in cluster.workloads:
        by_ns[w.ref.namespace or "default"].append(w)
    namespaces = sorted(set(cluster.namespaces) | set(by_ns))
    outcomes: list[Outcome] = []
    objects: list[dict[str, Any]] = []
    commands: list[str] = []
    privileged_namespaces: list[str] = []
    for ns in namespaces:
        outcome, labels = _namespace(cluster, ns, by_ns.get(ns, []), version, boundary)
        outcomes.append(outcome)
        if labels[f"{LABEL}/enforce"] == Level.PRIVILEGED.value:
            privileged_namespaces.append(ns)
        objects.append(
            annotate(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": ns, "labels": labels},
                },
                ",".join(cluster.usable_in(ns)) or "(none)",
                outcome.verdict,
            )
        )
        pairs = " ".join(f"{k}={v}" for k, v in labels.items())
        commands.append(f"kubectl label --dry-run=server --overwrite ns {ns} {pairs}")
    if privileged_namespaces:
        objects.append(_admission_configuration(version, privileged_namespaces))
    return {"objects": objects, "namespaces": outcomes, "commands": commands}


def _admission_configuration(version: Version, exempt: list[str]) -> dict[str, Any]:
    """Cluster defaults of baseline (audit and warn restricted) with the namespaces that need
    privileged exempted: what to give the API server's --admission-control-config-file."""
    v = str(version)
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                "name": "PodSecurity",
                "configuration": {
                    "apiVersion": "pod-security.admission.config.k8s.io/v1",
                    "kind": "PodSecurityConfiguration",
                    "defaults": {
                        "enforce": "baseline",
                        "enforce-version": v,
                        "audit": "restricted",
                        "audit-version": v,
                        "warn": "restricted",
                        "warn-version": v,
                    },
                    "exemptions": {"usernames": [], "runtimeClasses": [], "namespaces": exempt},
                },
            }
        ],
    }


def _namespace(
    cluster: Cluster, ns: str, workloads: list[Any], version: Version, boundary: bool
) -> tuple[Outcome, dict[str, str]]:
    tried: list[tuple[str, Obj, Any, str]] = []  # (who, pod as written, PSP decision, field)
    written_levels: list[Level] = []
    admitted_levels: list[Level] = []
    probe_levels: list[Level] = []  # of every pod PSP admits here, as PSP admitted it
    mutated: list[dict[str, Any]] = []
    for w in workloads:
        pod = w.as_pod()
        decision = cluster.decide(pod, ns, requester(w))
        tried.append((str(w.ref), pod, decision, ""))
        if decision.allowed:
            written_levels.append(highest_level(version, w.meta, w.spec))
            admitted_levels.append(highest_level(version, *_meta_spec(decision.object)))
            if decision.mutated:
                patch = [
                    op
                    for op in json_patch(pod, decision.object)
                    if not op["path"].startswith("/metadata/annotations")
                ]
                mutated.append({"workload": str(w.ref), "policy": decision.policy, "patch": patch})
    if boundary:
        for sa in cluster.representative_service_accounts(ns):
            bases = [minimal_pod(ns, sa), restricted_pod(ns, sa)]
            for who in _requesters(cluster, ns, sa):
                for probe in probes(bases, cluster.policies):
                    decision = cluster.decide(probe.pod, ns, who)
                    tried.append((_probe_name(probe), probe.pod, decision, probe.field))
                    if decision.allowed:
                        probe_levels.append(highest_level(version, *_meta_spec(decision.object)))
    guaranteed = _min(probe_levels, Level.RESTRICTED)
    enforce = _min(written_levels, guaranteed)
    # audit and warn: what the workloads meet once PSP's changes are in their manifests
    audit = _min(admitted_levels, enforce)
    if audit.strictness < enforce.strictness:
        audit = enforce
    v = str(version)
    labels = {
        f"{LABEL}/enforce": enforce.value,
        f"{LABEL}/enforce-version": v,
        f"{LABEL}/audit": audit.value,
        f"{LABEL}/audit-version": v,
        f"{LABEL}/warn": audit.value,
        f"{LABEL}/warn-version": v,
    }
    gaps = _gaps(tried, enforce, version)
    gaps.extend(_service_account_gaps(cluster, ns, workloads))
    agreed = sum(
        1
        for _, pod, d, _ in tried
        if d.allowed == (not evaluate(enforce, version, *_meta_spec(pod)))
    )
    engine = ENGINE.format(version=v)
    return (
        Outcome(
            name=ns,
            verdict=verdict_of(gaps, engine),
            engine=engine,
            gaps=tuple(gaps),
            pods=len(tried),
            agreed=agreed,
            details={
                "labels": labels,
                "usablePolicies": list(cluster.usable_in(ns)),
                "mutatedByPsp": mutated,
            },
        ),
        labels,
    )


def _requesters(cluster: Cluster, ns: str, sa: str) -> list[UserInfo]:
    """Who requests the generated pods of service account `sa`: a controller, and a user
    (`PROBE_USER`) too where the policies usable with the user differ from those usable with
    the controller (the pods a user creates are then decided otherwise)."""
    pod_sa = pod_service_account(ns, sa)

    def usable(who: UserInfo) -> tuple[bool, ...]:
        return tuple(
            cluster.can_use(pod_sa, ns, p) or cluster.can_use(who, ns, p)
            for p in cluster.policy_set.names
        )

    out = [CONTROLLER]
    if usable(PROBE_USER) != usable(CONTROLLER):
        out.append(PROBE_USER)
    return out


def _probe_name(probe: Probe) -> str:
    spec = mapping(probe.pod.get("spec"))
    return f"(generated: {probe.label}, serviceAccount {spec.get('serviceAccountName')})"


def _gaps(tried: list[tuple[str, Obj, Any, str]], enforce: Level, version: Version) -> list[Gap]:
    grouped: dict[tuple[str, Direction], list[str]] = defaultdict(list)
    why: dict[tuple[str, Direction], str] = {}
    for name, pod, decision, probe_field in tried:
        violations = evaluate(enforce, version, *_meta_spec(pod))
        psa_allows = not violations
        if psa_allows == decision.allowed:
            continue
        if psa_allows:
            field = probe_field or (
                decision.violations[0][1].field if decision.violations else "(no usable policy)"
            )
            key = (field, Direction.LOOSER)
            why.setdefault(key, f"PSA {enforce.value} admits it; PSP: {decision.message}")
        else:
            field = ", ".join(v.check for v in violations)
            key = (field, Direction.STRICTER)
            reason = "; ".join(
                f"{v.reason} ({v.detail})" if v.detail else v.reason for v in violations
            )
            fix = (
                " (it passes as PSP mutated it: write PSP's changes into the manifest)"
                if decision.mutated and not evaluate(enforce, version, *_meta_spec(decision.object))
                else ""
            )
            why.setdefault(key, f"PSA {enforce.value} denies it: {reason}{fix}")
        grouped[key].append(name)
    out = []
    for (field, direction), names in sorted(grouped.items()):
        workloads = tuple(n for n in names if not n.startswith("(generated"))
        generated = len(names) - len(workloads)
        detail = why[(field, direction)]
        if generated:
            detail += f" [{generated} generated pods]"
        out.append(Gap(field, direction, detail, workloads))
    return out


def _service_account_gaps(cluster: Cluster, ns: str, workloads: list[Any]) -> list[Gap]:
    """PSP chose policies per service account; PSA has one level per namespace."""
    sas = sorted({n for s, n in cluster.service_accounts if s == ns})
    sets = {
        sa: tuple(
            p
            for p in cluster.policy_set.names
            if cluster.can_use(pod_service_account(ns, sa), ns, p)
        )
        for sa in sas
    }
    if len(set(sets.values())) <= 1:
        return []
    detail = "; ".join(f"{sa}: {', '.join(ps) or '(none)'}" for sa, ps in sets.items())
    return [
        Gap(
            "serviceAccountName",
            Direction.LOOSER,
            "service accounts of the namespace may use different policies, PSA has one "
            f"level per namespace ({detail})",
            tuple(str(w.ref) for w in workloads),
        )
    ]


__all__ = ["export_psa"]
