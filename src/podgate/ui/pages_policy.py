"""The policy pages: Policies (and one policy), RBAC, the Advisor, and the previews of
disabling or enabling a policy, binding one, and relabelling a namespace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from podgate.pss import Level
from podgate.pss.labels import (
    AUDIT_LEVEL_LABEL,
    AUDIT_VERSION_LABEL,
    ENFORCE_LEVEL_LABEL,
    ENFORCE_VERSION_LABEL,
    WARN_LEVEL_LABEL,
    WARN_VERSION_LABEL,
)
from podgate.scan.preview import Comparison
from podgate.ui.changes import Change, binding_change, labels_change, to_yaml, toggle_change
from podgate.ui.model import Model
from podgate.ui.pages import Page, labels_of, where, workload_href
from podgate.ui.tables import Cell, Column, Filter, Row, Table, options

MODE_LABELS = (
    ("enforce", ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL),
    ("audit", AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL),
    ("warn", WARN_LEVEL_LABEL, WARN_VERSION_LABEL),
)


def _usable_by(model: Model, policy: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (u.namespace, u.service_account, bindings)
        for u in model.result.overview
        for p, bindings in u.policies
        if p == policy
    ]


def policies(model: Model, params: Mapping[str, str]) -> Page:
    page = Page("policies.html.j2", "Policies", "policies")
    rows = []
    for p in model.policies:
        admitted = [
            w for w in model.result.workloads if w.psp and w.psp.allowed and w.psp.policy == p.name
        ]
        changed = sum(1 for w in admitted if w.psp and w.psp.mutated)
        refused = {f.workload for f in model.result.findings if f.rule.startswith(f"psp/{p.name}/")}
        users = _usable_by(model, p.name)
        rows.append(
            Row(
                (
                    Cell(p.name, href=f"/policies/{quote(p.name, safe='')}"),
                    Cell(
                        "disabled" if p.disabled else "enabled",
                        cls="warn" if p.disabled else "good",
                    ),
                    Cell("invalid" if p.errors else "valid", cls="bad" if p.errors else "good"),
                    Cell(str(len(p.hints)), sort=len(p.hints), cls="warn" if p.hints else ""),
                    Cell(
                        str(len(users)) if model.result.readiness.rbac_from_input else "everyone",
                        sort=len(users),
                    ),
                    Cell(str(len(admitted) - changed), sort=len(admitted) - changed),
                    Cell(str(changed), sort=changed),
                    Cell(str(len(refused)), sort=len(refused)),
                    Cell(where(p.source, model), code=True),
                ),
                facets={"state": "disabled" if p.disabled else "enabled"},
            )
        )
    page.add(
        Table(
            "p",
            "PodSecurityPolicies: state, validation and lint, who may use each, and the "
            "workloads each admits unchanged, changes, or refuses (tried and denied)",
            (
                Column("name", "Policy"),
                Column("state", "State"),
                Column("valid", "Valid"),
                Column("hints", "Lint hints"),
                Column("users", "Service accounts that may use it"),
                Column("admits", "Admits unchanged"),
                Column("changes", "Admits with changes"),
                Column("refuses", "Refuses"),
                Column("file", "File"),
            ),
            tuple(rows),
            filters=(Filter("state", "State", (("enabled", "enabled"), ("disabled", "disabled"))),),
            empty="No PodSecurityPolicies in the input (--policy PATH adds some).",
        ),
        params,
    )
    return page


def policy(model: Model, params: Mapping[str, str], name: str) -> Page | None:
    p = model.policy(name)
    if p is None:
        return None
    page = Page("policy.html.j2", f"Policy {name}", "policies")
    users = _usable_by(model, name)
    page.add(
        Table(
            "u",
            f"Who may use {name}, and through which binding",
            (
                Column("namespace", "Namespace"),
                Column("sa", "Service account"),
                Column("bindings", "Through"),
            ),
            tuple(Row((Cell(ns), Cell(sa), Cell(", ".join(b), items=b))) for ns, sa, b in users),
            empty="No service account may use it."
            if model.result.readiness.rbac_from_input
            else "No RBAC in the input: everyone may use every policy.",
        ),
        params,
    )
    rows = []
    for w in model.result.workloads:
        refused = [f for f in w.findings if f.rule.startswith(f"psp/{name}/")]
        if w.psp and w.psp.allowed and w.psp.policy == name:
            what = "changes" if w.psp.mutated else "admits"
            detail = f"{len(w.psp.patch)} changes" if w.psp.mutated else "unchanged"
        elif refused:
            what, detail = "refuses", "; ".join(f.message for f in refused)
        else:
            continue
        rows.append(
            Row(
                (
                    Cell(str(w.workload.ref), href=workload_href(w.workload.ref)),
                    Cell(what, cls={"refuses": "bad", "changes": "warn"}.get(what, "good")),
                    Cell(detail, cls="msg"),
                ),
                facets={"what": what},
            )
        )
    page.add(
        Table(
            "pw",
            f"Workloads {name} admits, changes or refuses (a refusal matters only when no "
            f"other policy admits the pod)",
            (Column("workload", "Workload"), Column("what", "Outcome"), Column("detail", "Detail")),
            tuple(rows),
            filters=(
                Filter(
                    "what",
                    "Outcome",
                    (("admits", "admits"), ("changes", "changes"), ("refuses", "refuses")),
                ),
            ),
            empty="No workload reaches this policy.",
        ),
        params,
    )
    broad = [b for b in model.result.broad_bindings if name in b.policies]
    page.context.update(p=p, spec_yaml=to_yaml(p.obj), broad=broad)
    return page


# --- previews ---------------------------------------------------------------------------------


def _comparison_table(model: Model, c: Comparison, params: Mapping[str, str], page: Page) -> None:
    rows = []
    for o in c.outcomes:
        effect = (
            "breaks" if o.breaks else "fixed" if o.fixed else "changes" if o.changed else "same"
        )
        rows.append(
            Row(
                (
                    Cell(
                        str(o.ref) + (f" ({where(o.source, model)})" if o.duplicated else ""),
                        href=workload_href(o.ref),
                    ),
                    Cell(o.before + (f" by {o.policy_before}" if o.policy_before else "")),
                    Cell(
                        o.after + (f" by {o.policy_after}" if o.policy_after else ""),
                        cls="bad" if o.after == "rejected" else "",
                    ),
                    Cell(
                        effect,
                        cls={"breaks": "bad", "fixed": "good", "changes": "warn"}.get(effect, ""),
                    ),
                    Cell(o.message_after, cls="msg"),
                ),
                facets={"effect": effect},
                cls=f"effect-{effect}",
            )
        )
    page.add(
        Table(
            "c",
            "Every workload before and after (PodSecurityPolicy admission of its pods)",
            (
                Column("workload", "Workload"),
                Column("before", "Before"),
                Column("after", "After"),
                Column("effect", "Effect"),
                Column("message", "Denial after (upstream's text)"),
            ),
            tuple(rows),
            filters=(
                Filter(
                    "effect",
                    "Effect",
                    tuple((e, e) for e in ("breaks", "fixed", "changes", "same")),
                ),
            ),
        ),
        params,
    )
    page.context["c"] = c


def toggle_preview(model: Model, params: Mapping[str, str], name: str) -> Page | None:
    p = model.policy(name)
    if p is None:
        return None
    verb = "Enabling" if p.disabled else "Disabling"
    page = Page("preview.html.j2", f"{verb} {name}: preview", "policies")
    _comparison_table(model, model.preview_toggle(name), params, page)
    page.context.update(
        verb=verb,
        subject=f"policy {name}",
        change=toggle_change(p.obj, not p.disabled),
        back=f"/policies/{quote(name)}",
    )
    page.context["apply"] = {"action": "toggle", "policy": name}
    return page


def rbac(model: Model, params: Mapping[str, str]) -> Page:
    page = Page("rbac.html.j2", "RBAC", "rbac")
    rows = []
    for u in model.result.overview:
        if not u.policies:
            rows.append(
                Row((Cell(u.namespace), Cell(u.service_account), Cell("none", cls="bad"), Cell("")))
            )
        for policy_name, bindings in u.policies:
            rows.append(
                Row(
                    (
                        Cell(u.namespace),
                        Cell(u.service_account),
                        Cell(policy_name, href=f"/policies/{quote(policy_name, safe='')}"),
                        Cell(", ".join(bindings), items=bindings),
                    ),
                    facets={"namespace": u.namespace, "policy": policy_name},
                )
            )
    page.add(
        Table(
            "who",
            "Who may use which PodSecurityPolicy: every service account, each policy it may "
            "use, and the bindings that grant it",
            (
                Column("namespace", "Namespace"),
                Column("sa", "Service account"),
                Column("policy", "Policy"),
                Column("through", "Through binding"),
            ),
            tuple(rows),
            filters=(
                Filter(
                    "namespace", "Namespace", options([u.namespace for u in model.result.overview])
                ),
                Filter("policy", "Policy", options([p.name for p in model.policies])),
            ),
            empty="No RBAC in the input to decide it (every policy is usable by everyone)."
            if model.result.readiness.psp_enabled
            else "No PodSecurityPolicies in the input.",
        ),
        params,
    )
    names = [p.name for p in model.policies]
    page.add(
        Table(
            "m",
            "At a glance: which service account may use which policy (yes: through a binding)",
            (
                Column("namespace", "Namespace"),
                Column("sa", "Service account"),
                *(Column(f"p-{n}", n) for n in names),
            ),
            tuple(
                Row(
                    (
                        Cell(u.namespace),
                        Cell(u.service_account),
                        *(
                            Cell("yes", cls="good") if n in dict(u.policies) else Cell("–")
                            for n in names
                        ),
                    )
                )
                for u in model.result.overview
            ),
            empty="No RBAC in the input to decide it.",
        ),
        params,
    )
    page.add(
        Table(
            "broad",
            "Broad grants: bindings that grant use to whole groups, with their blast radius",
            (
                Column("binding", "Binding"),
                Column("role", "Role"),
                Column("subject", "Subject"),
                Column("policies", "Policies"),
                Column("radius", "Blast radius"),
            ),
            tuple(
                Row(
                    (
                        Cell(b.binding),
                        Cell(b.role),
                        Cell(b.subject),
                        Cell(", ".join(b.policies)),
                        Cell(b.blast_radius, cls="warn"),
                    )
                )
                for b in model.result.broad_bindings
            ),
            empty="No broad grants.",
        ),
        params,
    )
    sas = sorted({(u.namespace, u.service_account) for u in model.result.overview})
    page.context.update(
        policy_names=[p.name for p in model.policies],
        namespaces=list(model.namespaces),
        service_accounts=sas,
    )
    return page


def binding_preview(model: Model, params: Mapping[str, str]) -> Page | str:
    """The preview of binding a policy; a string names what is wrong with the parameters."""
    name = params.get("policy", "")
    ns = params.get("namespace", "")
    sa = params.get("serviceaccount", "").strip() or None
    if model.policy(name) is None:
        return f"no policy {name!r} in the input"
    if ns not in model.namespaces:
        return f"no namespace {ns!r} in the input"
    who = f"service account {ns}/{sa}" if sa else f"every service account of {ns}"
    page = Page("preview.html.j2", f"Binding {name} to {who}: preview", "rbac")
    _comparison_table(model, model.preview_binding(name, ns, sa), params, page)
    page.context.update(
        verb="Binding",
        subject=f"{name} to {who}",
        change=binding_change(name, ns, sa),
        back="/rbac",
    )
    page.context["apply"] = {
        "action": "bind",
        "policy": name,
        "namespace": ns,
        "serviceaccount": sa or "",
    }
    return page


def label_params(params: Mapping[str, str]) -> dict[str, str] | str:
    labels: dict[str, str] = {}
    for mode, level_key, version_key in MODE_LABELS:
        level = params.get(mode, "")
        version = params.get(f"{mode}-version", "")
        if level and level not in ("privileged", "baseline", "restricted"):
            return f"{mode}: {level!r} is not privileged, baseline or restricted"
        if level:
            labels[level_key] = level
            if version:
                labels[version_key] = version
    return labels


def label_preview(model: Model, params: Mapping[str, str], name: str) -> Page | str | None:
    obj = model.namespaces.get(name)
    if obj is None:
        return None
    labels = label_params(params)
    if isinstance(labels, str):
        return labels
    preview = model.preview_labels(name, labels)
    page = Page("label_preview.html.j2", f"Labelling {name}: preview", "namespaces")
    rows = []
    for o in preview.outcomes:
        rows.append(
            Row(
                (
                    Cell(str(o.ref), href=workload_href(o.ref)),
                    Cell(
                        "rejected" if o.rejected else "admitted",
                        cls="bad" if o.rejected else "good",
                    ),
                    Cell(o.rejected, cls="msg"),
                    Cell("; ".join(o.warnings), cls="msg warn" if o.warnings else "msg"),
                    Cell(o.audit, cls="msg"),
                ),
                facets={"enforce": "rejected" if o.rejected else "admitted"},
            )
        )
    page.add(
        Table(
            "l",
            "Every workload of the namespace under the new labels, as Pod Security Admission "
            "decides (its pods under enforce; the workload object under warn and audit)",
            (
                Column("workload", "Workload"),
                Column("enforce", "Its pods"),
                Column("rejected", "Rejected with"),
                Column("warnings", "Warnings"),
                Column("audit", "Audit annotation"),
            ),
            tuple(rows),
            filters=(
                Filter("enforce", "Its pods", (("rejected", "rejected"), ("admitted", "admitted"))),
            ),
            empty="No workloads in the input for this namespace.",
        ),
        params,
    )
    page.context.update(
        p=preview,
        before=labels_of(obj),
        change=labels_change(obj, labels),
        back=f"/namespaces/{quote(name)}",
        apply={
            "action": "label",
            "namespace": name,
            **{k: v for k, v in params.items() if k in _LABEL_PARAMS},
        },
    )
    return page


_LABEL_PARAMS = {m for m, _, _ in MODE_LABELS} | {f"{m}-version" for m, _, _ in MODE_LABELS}


def change_for(model: Model, params: Mapping[str, str]) -> Change | str:
    """The change an action's parameters describe (for download and apply)."""
    action = params.get("action", "")
    if action == "toggle":
        p = model.policy(params.get("policy", ""))
        return toggle_change(p.obj, not p.disabled) if p else "no such policy"
    if action == "bind":
        name, ns = params.get("policy", ""), params.get("namespace", "")
        if model.policy(name) is None or ns not in model.namespaces:
            return "no such policy or namespace"
        return binding_change(name, ns, params.get("serviceaccount", "").strip() or None)
    if action == "label":
        ns = params.get("namespace", "")
        obj = model.namespaces.get(ns)
        labels = label_params(params)
        if obj is None:
            return "no such namespace"
        if isinstance(labels, str):
            return labels
        return labels_change(obj, labels)
    return f"unknown action {action!r}"


def level_choices() -> list[str]:
    return [str(lv) for lv in (Level.PRIVILEGED, Level.BASELINE, Level.RESTRICTED)]


def preview_defaults(model: Model, name: str) -> dict[str, Any]:
    """The label form's current values: the namespace's labels as they are."""
    labels = labels_of(model.namespaces[name])
    out: dict[str, Any] = {}
    for mode, level_key, version_key in MODE_LABELS:
        out[mode] = labels.get(level_key, "")
        out[f"{mode}-version"] = labels.get(version_key, "")
    return out
