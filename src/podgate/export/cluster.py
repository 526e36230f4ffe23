"""The input an exporter reads: the policies, the offline RBAC, the workloads with the identity
that requests each one's pods, and PSP's decision for any pod as any identity (the reference
every export is compared with)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from podgate.k8s import Obj, mapping
from podgate.k8s.identity import UserInfo, controller_user, pod_service_account
from podgate.k8s.prepare import unsynced_seccomp_annotations_dropped
from podgate.k8s.source import documents
from podgate.psp import Decision, PolicySet, Request, review
from podgate.psp.admission import compute
from podgate.rbac import Attributes, Authorizer
from podgate.rbac.authorizer import USE_GROUPS
from podgate.scan.inventory import Workload, find_workloads

# the API groups `use` is asked in, by the one offline authorizer and by every export:
# PSP admission asked `policy` and `extensions`; podgate's policy CRD is `podgate.io`
PSP_GROUPS = USE_GROUPS


@dataclass(frozen=True, slots=True)
class Cluster:
    """Policies, RBAC and workloads of one input, compiled once."""

    policies: tuple[Obj, ...]
    policy_set: PolicySet
    authz: Authorizer | None  # None: no RBAC in the input, every policy usable by everyone
    workloads: tuple[Workload, ...]
    namespaces: tuple[str, ...]  # every namespace named by the input, sorted
    service_accounts: tuple[tuple[str, str], ...]  # (namespace, name), sorted
    binding_namespaces: tuple[str, ...] = ()  # namespaces that hold RoleBindings

    @classmethod
    def from_objects(cls, objs: Sequence[Obj]) -> Cluster:
        policies = tuple(o for o in objs if o.get("kind") == "PodSecurityPolicy")
        rbac = [
            o
            for o in objs
            if o.get("kind") in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
        ]
        workloads = tuple(w for w in find_workloads(documents(objs)))
        namespaces: set[str] = {w.ref.namespace for w in workloads if w.ref.namespace}
        sas: set[tuple[str, str]] = {(w.ref.namespace, w.service_account) for w in workloads}
        for o in objs:
            meta = mapping(o.get("metadata"))
            name, ns = meta.get("name"), meta.get("namespace")
            if o.get("kind") == "Namespace" and isinstance(name, str) and name:
                namespaces.add(name)
            elif o.get("kind") == "ServiceAccount" and isinstance(name, str):
                ns = ns if isinstance(ns, str) and ns else "default"
                sas.add((ns, name))
                namespaces.add(ns)
        return cls(
            policies=policies,
            policy_set=PolicySet.compile(policies),
            authz=Authorizer.from_objects(rbac, default_namespace="default") if rbac else None,
            workloads=workloads,
            namespaces=tuple(sorted(namespaces)),
            service_accounts=tuple(sorted(sas)),
            binding_namespaces=tuple(
                sorted(
                    {
                        ns
                        for o in rbac
                        if o.get("kind") == "RoleBinding"
                        and isinstance(ns := mapping(o.get("metadata")).get("namespace"), str)
                    }
                )
            ),
        )

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        """May `user` use `policy` in `namespace`: the input's RBAC (`Authorizer.can_use`), or
        yes when the input has none."""
        return self.authz is None or self.authz.can_use(user, namespace, policy)

    def decide(self, pod: Obj, namespace: str, user: UserInfo | None) -> Decision:
        """PSP's decision on creating `pod` in `namespace`, requested by `user`."""
        return review(self.policy_set, Request("CREATE", pod, namespace, user), self.authz)

    def admits_unchanged(self, pod: Obj, namespace: str, user: UserInfo | None) -> str | None:
        """The policy that admits `pod` as it is (PSP's validating phase, no mutation), or
        None: what a validating-only export must decide."""
        computed = compute(
            self.policy_set, pod, namespace, user, self.authz, mutation_allowed=False
        )
        return computed.policy if computed.pod is not None else None

    def representative_service_accounts(self, namespace: str) -> list[str]:
        """One service account of `namespace` for each distinct set of policies they may use
        there (the others decide alike, for PSP and for any export that asks RBAC the same
        question); "default" when the namespace names none."""
        sas = sorted({n for ns, n in self.service_accounts if ns == namespace} or {"default"})
        seen: dict[tuple[bool, ...], str] = {}
        for sa in sas:
            who = pod_service_account(namespace, sa)
            key = tuple(self.can_use(who, namespace, p) for p in self.policy_set.names)
            seen.setdefault(key, sa)
        return sorted(seen.values())

    def use_grants(self, policy: str) -> list[dict[str, str]]:
        """Who may `use` `policy` where: {namespace ("" everywhere), kind, name (a user name,
        for a service account its `system:serviceaccount:` name, or a group)}, sorted. A
        snapshot of the RBAC, for engines that cannot ask it (Gatekeeper); members of
        `PRIVILEGED_GROUP` may use every policy without a grant (the engine says so itself)."""
        if self.authz is None:
            return []
        found: set[tuple[str, str, str]] = set()
        for ns in sorted({*self.namespaces, *self.binding_namespaces, "default"}):
            for group in PSP_GROUPS:
                attrs = Attributes("use", group, "podsecuritypolicies", ns, policy)
                for g in self.authz.who_can(attrs):
                    name = g.subject.username or g.subject.name
                    kind = "Group" if g.subject.username is None else "User"
                    found.add((g.binding.namespace, kind, name))
        return [{"namespace": n, "kind": k, "name": m} for n, k, m in sorted(found)]

    def input_notes(self, *, mutating: bool = False) -> list[str]:
        """The notes every export owes about its input: no RBAC, and the workloads PSP
        admitted only by filling fields in (`mutating`: the export fills them in too)."""
        notes = []
        if self.authz is None:
            notes.append("no RBAC in the input: every policy is exported as usable by everyone")
        needs = self.needs_defaults_note(mutating=mutating)
        if needs:
            notes.append(needs)
        annotated = self.seccomp_annotations_note()
        if annotated:
            notes.append(annotated)
        return notes

    def seccomp_annotations_note(self) -> str | None:
        """Which of the input's workloads give a seccomp profile only as an annotation: the
        exports read the fields (an annotation alone confines nothing on today's clusters),
        so where a policy needs a profile they deny what PSP admitted."""
        names = []
        for w in self.workloads:
            pod = w.as_pod()
            if unsynced_seccomp_annotations_dropped(pod) is not pod:
                names.append(str(w.ref))
        if not names:
            return None
        shown = ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")
        return (
            f"{len(names)} of the input's workloads give a seccomp profile only as an "
            "annotation, which confines nothing from Kubernetes 1.25 (kubelets ignore it; from "
            "1.27 the API server no longer copies it into the field, as PSP's did): the export "
            "reads the fields, so where a policy needs a profile it denies them until their "
            f"manifests set securityContext.seccompProfile: {shown}"
        )

    def needs_defaults_note(self, *, mutating: bool = False) -> str | None:
        """Which of the input's workloads PSP admitted only by filling fields in: a
        validating-only export denies them until their manifests carry them."""
        names = [
            str(w.ref)
            for w in self.workloads
            if (d := self.decide(w.as_pod(), w.ref.namespace or "default", requester(w))).allowed
            and d.mutated
        ]
        if not names:
            return None
        shown = ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")
        if mutating:
            return (
                f"{len(names)} of the input's workloads were admitted by PSP only with its "
                "defaults filled in; the mutating policy fills them in where the cluster serves "
                "it, the validating policy alone denies them until their manifests carry them "
                f"(podgate simplify lists each patch): {shown}"
            )
        return (
            f"{len(names)} of the input's workloads were admitted by PSP only with its defaults "
            "filled in; this export (like PSP's validating phase) denies them until their "
            f"manifests carry them (podgate simplify lists each patch): {shown}"
        )

    def usable_in(self, namespace: str) -> tuple[str, ...]:
        """The policies some service account of `namespace`, or a controller acting in it,
        may use there (sorted as PSP orders them)."""
        who = [pod_service_account(ns, n) for ns, n in self.service_accounts if ns == namespace]
        who.extend(controller_user(c) for c in sorted(set(CONTROLLERS)))
        return tuple(
            p for p in self.policy_set.names if any(self.can_use(i, namespace, p) for i in who)
        )


CONTROLLERS = (
    "replicaset-controller",
    "statefulset-controller",
    "daemon-set-controller",
    "job-controller",
    "replication-controller",
)


def requester(w: Workload, user: UserInfo | None = None) -> UserInfo | None:
    """Who requests the workload's pods: its controller, or `user` for a bare pod."""
    creator = w.creator
    return user if creator is None else controller_user(creator)
