"""Gatekeeper mutators (`mutations.gatekeeper.sh/v1` Assign, AssignMetadata, ModifySet) for the
fields a PodSecurityPolicy fills in. Unproved: no engine here runs Gatekeeper's mutation.

Where they fall short of PSP, said per mutator and in the result's notes:
* a mutator changes every pod it matches: PSP applied a policy's defaults only when no policy
  the requester may use admitted the pod unchanged, and only for the policy it then selected;
  when several policies default one field differently, Gatekeeper reports the conflict and
  applies none of them;
* container fields are tested on the container only: PSP left a container alone when the pod's
  securityContext set the field (runAsUser, runAsGroup, runAsNonRoot);
* `defaultAddCapabilities` is not emitted: ModifySet adds the capability even where the
  container drops it (PSP does not), the wrong equivalence Gatekeeper's PSP library has;
* AppArmor defaults are per-container annotations whose key holds the container's name, which
  AssignMetadata cannot name: not emitted."""

from __future__ import annotations

from typing import Any

from podgate.export.model import Outcome, Verdict, annotate
from podgate.export.strategies import Strategies
from podgate.k8s import Obj, mapping
from podgate.k8s.objects import CONTAINER_LISTS
from podgate.k8s.prepare import seccomp_field_for_annotation
from podgate.psp.policy import BuildError
from podgate.psp.strategies import (
    run_as_user,
    seccomp,
)

API_VERSION = "mutations.gatekeeper.sh/v1"
APPLY_TO = [{"groups": [""], "kinds": ["Pod"], "versions": ["v1"]}]
MATCH = {"scope": "Namespaced", "kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]}
UNPROVED = "unproved: no engine here runs Gatekeeper's mutation"
SHORT_OF_PSP = (
    "applies to every pod it matches, not only where PSP would select this policy (PSP "
    "filled in a policy's defaults only when no usable policy admitted the pod unchanged)"
)


def _assign(name: str, location: str, value: Any, must_not_exist: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Assign",
        "metadata": {"name": name},
        "spec": {
            "applyTo": APPLY_TO,
            "match": MATCH,
            "location": location,
            "parameters": {
                "pathTests": [{"subPath": p, "condition": "MustNotExist"} for p in must_not_exist],
                "assign": {"value": value},
            },
        },
    }


def _fields(st: Strategies) -> list[tuple[str, str, Any, str]]:
    """(kind, location or annotation key, value, how it differs from PSP) per default."""
    out: list[tuple[str, str, Any, str]] = []
    pod_sc = "spec.securityContext"
    sup = st.supplemental_groups
    if sup is not None and sup.must:
        out.append(("pod", f"{pod_sc}.supplementalGroups", [sup.ranges[0].low], ""))
    fs = st.fs_group
    if fs is not None and fs.must:
        out.append(("pod", f"{pod_sc}.fsGroup", fs.ranges[0].low, ""))
    se = st.selinux
    if se is not None:
        out.append(("pod", f"{pod_sc}.seLinuxOptions", dict(se.options), ""))
    sc = st.seccomp
    if sc.default:
        note = "PSP wrote the pod's seccompProfile field here when it had one, not the default"
        out.append(("annotation", seccomp.POD_KEY, sc.default, note))
        field = seccomp_field_for_annotation(sc.default)
        if field is not None:
            # what confines the pod: kubelets read only the field from 1.25, and from 1.27 the
            # API server no longer copies the annotation into it (PSP's API servers did)
            note = "the field of the annotation above, as PSP's API servers copied it"
            out.append(("pod", f"{pod_sc}.seccompProfile", field, note))
    rc = st.runtime_class
    if rc is not None and rc.default is not None:
        out.append(("pod", "spec.runtimeClassName", rc.default, ""))
    pod_level = "PSP left a container alone when the pod's securityContext set {}"
    user = st.run_as_user
    if isinstance(user, run_as_user.MustRunAs):
        out.append(("container", "runAsUser", user.ranges[0].low, pod_level.format("runAsUser")))
    elif isinstance(user, run_as_user.MustRunAsNonRoot):
        why = pod_level.format("runAsNonRoot or runAsUser") + "; and so when it set runAsUser"
        out.append(("container", "runAsNonRoot", True, why))
    group = st.run_as_group
    if group is not None and group.must:
        out.append(("container", "runAsGroup", group.ranges[0].low, pod_level.format("runAsGroup")))
    caps = st.capabilities
    if caps.required_drop_set:
        out.append(("drop", "capabilities.drop", sorted(caps.required_drop_set), ""))
    if st.read_only_root is not None:
        out.append(("container", "readOnlyRootFilesystem", True, ""))
    ape = st.privilege_escalation
    if ape is not None and (ape.default is not None or not ape.allow):
        value = ape.default if ape.default is not None else False
        out.append(("container", "allowPrivilegeEscalation", value, ""))
    return out


def mutators(policy: Obj) -> tuple[list[dict[str, Any]], list[str]]:
    """(the mutators for `policy`'s defaults, the defaults left out with why)."""
    name = str(mapping(policy.get("metadata")).get("name") or "")
    try:
        st = Strategies.of(policy)
    except BuildError:
        return [], []
    fields = _fields(st)
    caps = st.capabilities
    aa = st.apparmor
    left_out = []
    if caps.default_add:
        left_out.append(
            f"{name}: defaultAddCapabilities {sorted(caps.default_add)} (ModifySet would add "
            "them even where the container drops them; PSP does not)"
        )
    if aa is not None and aa.default:
        left_out.append(
            f"{name}: the AppArmor default {aa.default} (a per-container annotation AssignMetadata "
            "cannot name)"
        )
    out: list[dict[str, Any]] = []
    for kind, where, value, differs in fields:
        slug = where.rsplit(".", 1)[-1].rsplit("/", 1)[-1].lower()
        why = "; ".join(x for x in (SHORT_OF_PSP, differs) if x)
        if kind == "annotation":
            obj = {
                "apiVersion": API_VERSION,
                "kind": "AssignMetadata",
                "metadata": {"name": f"podgate-{name}-{slug}"},
                "spec": {
                    "match": MATCH,
                    "location": f'metadata.annotations."{where}"',
                    "parameters": {"assign": {"value": value}},
                },
            }
            out.append(_described(obj, name, why))
        elif kind == "pod":
            obj = _assign(f"podgate-{name}-{slug}", where, value, [where])
            out.append(_described(obj, name, why))
        else:
            for lst in CONTAINER_LISTS:
                at = f"spec.{lst}[name:*].securityContext"
                mutator_name = f"podgate-{name}-{lst.lower()}-{slug}"
                if kind == "drop":
                    obj = {
                        "apiVersion": API_VERSION,
                        "kind": "ModifySet",
                        "metadata": {"name": mutator_name},
                        "spec": {
                            "applyTo": APPLY_TO,
                            "match": MATCH,
                            "location": f"{at}.{where}",
                            "parameters": {"operation": "merge", "values": {"fromList": value}},
                        },
                    }
                else:
                    tests = [f"{at}.{where}"]
                    if where == "runAsNonRoot":
                        tests.append(f"{at}.runAsUser")
                    obj = _assign(mutator_name, f"{at}.{where}", value, tests)
                out.append(_described(obj, name, why))
    return out, left_out


def _described(obj: dict[str, Any], policy: str, why: str) -> dict[str, Any]:
    obj["metadata"]["annotations"] = {"podgate.io/differs-from-psp": why}
    return annotate(obj, policy, Verdict.UNPROVED)


def outcome(obj: dict[str, Any]) -> Outcome:
    """A mutator's verdict: unproved, with what it is and how it differs from PSP."""
    meta = obj["metadata"]
    return Outcome(
        meta["name"],
        Verdict.UNPROVED,
        "",
        details={
            "kind": obj["kind"],
            "sourcePolicy": meta["annotations"]["podgate.io/source-policy"],
            "location": obj["spec"]["location"],
            "differsFromPsp": meta["annotations"]["podgate.io/differs-from-psp"],
            "why": UNPROVED,
        },
    )
