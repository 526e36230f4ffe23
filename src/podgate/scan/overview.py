"""Who may use which PodSecurityPolicy, and the bindings that grant it to broad groups."""

from __future__ import annotations

from collections.abc import Sequence

from podgate.k8s.identity import service_account_user
from podgate.psp import PolicySet
from podgate.rbac import Attributes, Authorizer, Grant
from podgate.rbac.authorizer import USE_GROUPS
from podgate.scan.model import BroadBinding, UsableBy

BROAD_GROUPS = {
    "system:authenticated": "every authenticated user and service account",
    "system:unauthenticated": "every anonymous request",
    "system:serviceaccounts": "every service account in every namespace",
}


def overview(
    accounts: Sequence[tuple[str, str]],
    policy_set: PolicySet | None,
    authz: Authorizer | None,
) -> tuple[tuple[UsableBy, ...], tuple[BroadBinding, ...]]:
    """Who may use which policy (per namespace and service account, through which binding), and
    the bindings that grant `use` to broad groups, with their blast radius. `accounts`:
    `scan.inventory.service_accounts` of the input."""
    if policy_set is None or authz is None:
        return (), ()
    rows = []
    for ns, sa in accounts:
        user = service_account_user(ns, sa, authenticated=False)
        usable = []
        for name in policy_set.names:
            grants: list[Grant] = authz.use_grants(user, ns, name)
            if grants:
                usable.append((name, tuple(dict.fromkeys(str(g.binding) for g in grants))))
        rows.append(UsableBy(ns, sa, tuple(usable)))
    namespaces = sorted({ns for ns, _ in accounts} | {""})
    broad: dict[tuple[str, str, str], set[str]] = {}
    for name in policy_set.names:
        for ns in namespaces:
            for group in USE_GROUPS:
                for g in authz.who_can(Attributes("use", group, "podsecuritypolicies", ns, name)):
                    subject = g.subject
                    radius = _blast_radius(subject.kind, subject.name, ns)
                    if radius:
                        broad.setdefault(
                            (str(g.binding), str(g.role), f"{subject.kind} {subject.name}"), set()
                        ).add(name)
    out = []
    for (binding, role, subject_text), names in sorted(broad.items()):
        kind, _, name = subject_text.partition(" ")
        out.append(
            BroadBinding(
                binding,
                role,
                subject_text,
                tuple(sorted(names)),
                _blast_radius(kind, name, "") or "",
            )
        )
    return tuple(rows), tuple(out)


def _blast_radius(kind: str, name: str, namespace: str) -> str | None:
    if kind != "Group":
        return None
    if name in BROAD_GROUPS:
        return BROAD_GROUPS[name]
    if name.startswith("system:serviceaccounts:"):
        return f"every service account in namespace {name.split(':', 2)[2]}"
    return None
