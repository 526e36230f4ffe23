"""The advice and its report as plain JSON-ready values (the CLI prints them as YAML, JSON or
text; the HTML section renders the report's)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from podgate.advisor.model import Advice
from podgate.advisor.report import Report


def manifest_list(advice: Advice) -> dict[str, Any]:
    """A v1 List, as `kubectl apply -f` takes it."""
    return {"apiVersion": "v1", "kind": "List", "items": advice.manifests}


def policies_json(advice: Advice) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "groups": [g.label for g in p.groups],
            "serviceAccounts": [f"{ns}/{n}" for ns, n in p.service_accounts],
            "workloads": [str(w) for g in p.groups for w in g.workloads],
            "notes": list(p.notes),
        }
        for p in advice.policies
    ]


def report_json(advice: Advice, report: Report) -> dict[str, Any]:
    by_key: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for u in report.uses:
        by_key[u.key][u.value].append(
            {
                "workload": str(u.workload),
                "namespace": u.workload.namespace,
                "serviceAccount": u.service_account,
                "container": u.container,
            }
        )
    return {
        "groupBy": advice.options.group_by.value,
        "workloads": len(advice.observed),
        "podsObserved": advice.observed_pods,
        "podsChecked": advice.checked,
        "policies": policies_json(advice),
        "uses": [
            {"key": key, "values": [{"value": v, "usedBy": who} for v, who in sorted(vals.items())]}
            for key, vals in sorted(by_key.items())
        ],
        "exceptions": [
            {
                "namespace": e.namespace,
                "key": e.key,
                "value": e.value,
                "severity": e.severity,
                "serviceAccounts": list(e.service_accounts),
                "workloads": list(e.workloads),
                "policies": list(e.policies),
                "sharedWith": list(e.shared_with),
            }
            for e in report.exceptions
        ],
        "namespaces": [
            {
                "namespace": n.namespace,
                "level": n.level.value,
                "version": str(n.version),
                "workloads": n.workloads,
                "limitedBy": [{"workload": w, "level": lv} for w, lv in n.blocking],
                "command": n.command,
                "manifest": n.manifest,
            }
            for n in report.namespaces
        ],
        "existingPolicies": {
            "policies": list(report.existing_policies),
            "rbacFromInput": report.rbac_from_input,
            "mutatedOrDenied": [
                {
                    "workload": str(x.workload),
                    "requester": x.requester,
                    "allowed": x.allowed,
                    "policy": x.policy,
                    "mutated": x.mutated,
                    "patch": list(x.patch),
                    "message": x.message,
                }
                for x in report.existing
            ],
        },
        "notes": list(report.notes),
        "manifests": manifest_list(advice),
    }
