"""One PodSecurityPolicy's defaulting (PSP's mutating phase for that policy) as the CEL of a
MutatingAdmissionPolicy JSONPatch mutation: a list of `JSONPatch{op: "add", ...}` operations
that fill in exactly the fields the policy's strategies fill in, each only when the pod leaves
it unset, in the order PSP writes them (pod-level fields, then each container of
initContainers, containers and ephemeralContainers).

Only what Kubernetes' CEL environment offers is used: the standard library, `has()`, and the
Kubernetes list library's `indexOf` (a container's index, for its JSON pointer). Annotation
keys are escaped here (RFC 6901), so `jsonpatch.escapeKey` is not needed: container names
are DNS labels and hold neither `/` nor `~`.

Where the result can differ from PSP's in form only: PSP rewrites a container's capability
lists as sorted sets; the patch appends the missing entries to the container's own lists (the
same sets, in another order). PSP's own `kubernetes.io/psp` annotation is not written. The
copy of a seccomp profile field into the annotation that PSP made for every policy is left
out: the exports read the fields. PSP's default seccomp profile is written as the field too
(PSP wrote the annotation, which the API servers of its time copied into the field; kubelets
read only the field from 1.25, and from 1.27 the API server no longer copies it)."""

from __future__ import annotations

from typing import Any

from podgate.export.psp_cel import (
    POD_SC,
    annotation,
    c_set,
    eff_set,
    lit,
    lit_list,
    p_set,
    seccomp_field,
)
from podgate.export.strategies import Strategies
from podgate.k8s import Obj
from podgate.k8s.objects import CONTAINER_LISTS
from podgate.k8s.prepare import seccomp_field_for_annotation
from podgate.psp.patch import pointer_token
from podgate.psp.policy import BuildError
from podgate.psp.strategies import (
    apparmor,
    run_as_user,
    seccomp,
)

ANNOTATIONS = "/metadata/annotations"


def literal(value: Any) -> str:
    """A CEL literal of a JSON value (strings, integers, booleans, lists, string-keyed maps)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return lit(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{lit(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no CEL literal for {value!r}")


def add(path: str, value: str) -> str:
    """A JSONPatch add; `path` and `value` are CEL expressions."""
    return f'JSONPatch{{op: "add", path: {path}, value: {value}}}'


def _when(cond: str, ops: list[str]) -> str:
    return f"(({cond}) ? [{', '.join(ops)}] : [])"


def _pod_ops(st: Strategies) -> tuple[list[str], list[str]]:
    """(operations on the pod's securityContext and spec, operations on its annotations),
    each a conditional CEL list, in PSP's order of pod mutators."""
    sc_ops: list[tuple[str, str]] = []  # (condition, op)
    sup = st.supplemental_groups
    if sup is not None and sup.must:
        value = literal([sup.ranges[0].low])
        sc_ops.append(
            (f"!({p_set('supplementalGroups')})", _pod_sc_add("supplementalGroups", value))
        )
    fs = st.fs_group
    if fs is not None and fs.must:
        sc_ops.append((f"!({p_set('fsGroup')})", _pod_sc_add("fsGroup", str(fs.ranges[0].low))))
    se = st.selinux
    if se is not None:
        opts = literal(dict(se.options))
        sc_ops.append((f"!({p_set('seLinuxOptions')})", _pod_sc_add("seLinuxOptions", opts)))
    default_field = seccomp_field_for_annotation(st.seccomp.default)
    if default_field is not None:
        # the field of the default profile (PSP wrote the annotation, which its API servers
        # copied into the field; kubelets read only the field from 1.25): only where the pod
        # has neither, as PSP wrote the annotation only then
        pod_ann = annotation(lit(seccomp.POD_KEY))
        sc_ops.append(
            (
                f'!({p_set("seccompProfile")}) && {pod_ann} == ""',
                _pod_sc_add("seccompProfile", literal(default_field)),
            )
        )
    out: list[str] = []
    if sc_ops:
        any_needed = " || ".join(f"({c})" for c, _ in sc_ops)
        out.append(
            _when(f"!has({POD_SC}) && ({any_needed})", [add('"/spec/securityContext"', "{}")])
        )
        out.extend(_when(c, [op]) for c, op in sc_ops)
    annotation_ops: list[str] = []
    sc = st.seccomp
    if sc.default:
        pod_ann = annotation(lit(seccomp.POD_KEY))
        profile = f"(({p_set('seccompProfile')}) ? {seccomp_field(POD_SC)} : {lit(sc.default)})"
        key = lit(f"{ANNOTATIONS}/{pointer_token(seccomp.POD_KEY)}")
        annotation_ops.append(_when(f'{pod_ann} == "" && {profile} != ""', [add(key, profile)]))
    rc = st.runtime_class
    if rc is not None and rc.default is not None:
        out.append(
            _when(
                "!has(object.spec.runtimeClassName)",
                [add('"/spec/runtimeClassName"', lit(rc.default))],
            )
        )
    return out, annotation_ops


def _pod_sc_add(key: str, value: str) -> str:
    return add(lit(f"/spec/securityContext/{key}"), value)


def _container_needs(st: Strategies) -> list[tuple[str, str, str]]:
    """(condition on container `c`, key under its securityContext, value) for every field
    the policy fills in on a container, in PSP's order of container mutators."""
    out: list[tuple[str, str, str]] = []
    user = st.run_as_user
    if isinstance(user, run_as_user.MustRunAs):
        out.append((f"!({eff_set('runAsUser')})", "runAsUser", str(user.ranges[0].low)))
    elif isinstance(user, run_as_user.MustRunAsNonRoot):
        cond = f"!({eff_set('runAsNonRoot')}) && !({eff_set('runAsUser')})"
        out.append((cond, "runAsNonRoot", "true"))
    group = st.run_as_group
    if group is not None and group.must:
        out.append((f"!({eff_set('runAsGroup')})", "runAsGroup", str(group.ranges[0].low)))
    # seLinux: the pod-level default above is every container's effective value
    caps = st.capabilities
    if caps.default_add or caps.required_drop:
        base = "c.securityContext.capabilities"
        present = f"has(c.securityContext) && has({base})"
        own_add = f"(({present} && has({base}.add)) ? {base}.add : [])"
        own_drop = f"(({present} && has({base}.drop)) ? {base}.drop : [])"
        if caps.default_add:
            missing = (
                f"{lit_list(caps.default_add)}.filter(d, !(d in {own_drop}) && !(d in {own_add}))"
            )
            out.append((f"size({missing}) > 0", "capabilities/add", f"{own_add} + {missing}"))
        if caps.required_drop_set:
            missing = f"{lit_list(caps.required_drop_set)}.filter(d, !(d in {own_drop}))"
            out.append((f"size({missing}) > 0", "capabilities/drop", f"{own_drop} + {missing}"))
    if st.read_only_root is not None:
        key = "readOnlyRootFilesystem"
        out.append((f"!({c_set(key)})", key, "true"))
    ape = st.privilege_escalation
    if ape is not None and (ape.default is not None or not ape.allow):
        key = "allowPrivilegeEscalation"
        value = ape.default if ape.default is not None else False
        out.append((f"!({c_set(key)})", key, literal(value)))
    return out


def _container_ops(lst: str, needs: list[tuple[str, str, str]], aa_default: str) -> list[str]:
    """The operations on every container of list `lst` (`object.spec.<lst>`)."""
    items = f"object.spec.{lst}"
    at = f'"/spec/{lst}/" + string({items}.map(x, x.name).indexOf(c.name))'
    out: list[str] = []

    def each(cond: str, path: str, value: str) -> str:
        return f"{items}.filter(c, {cond}).map(c, {add(path, value)})"

    if needs:
        any_needed = " || ".join(f"({c})" for c, _, _ in needs)
        out.append(
            each(f"!has(c.securityContext) && ({any_needed})", f'{at} + "/securityContext"', "{}")
        )
        cap_conds = [c for c, key, _ in needs if key.startswith("capabilities/")]
        if cap_conds:
            missing = "!(has(c.securityContext) && has(c.securityContext.capabilities))"
            either = " || ".join(f"({c})" for c in cap_conds)
            out.append(
                each(f"{missing} && ({either})", f'{at} + "/securityContext/capabilities"', "{}")
            )
        for cond, key, value in needs:
            out.append(each(cond, f'{at} + "/securityContext/{key}"', value))
    if aa_default:
        prefix = lit(f"{ANNOTATIONS}/{pointer_token(apparmor.CONTAINER_PREFIX)}")
        profile = annotation(f"{lit(apparmor.CONTAINER_PREFIX)} + c.name")
        out.append(each(f'{profile} == ""', f"{prefix} + c.name", lit(aa_default)))
    if not out:
        return []
    return [f"(has({items}) ? {' + '.join(out)} : [])"]


def defaults_patch(policy: Obj) -> str | None:
    """The CEL of the JSONPatch operations that fill in the policy's defaults (see the
    module's docstring); None when the policy fills in nothing or cannot be built."""
    try:
        st = Strategies.of(policy)
    except BuildError:
        return None
    pod_ops, annotation_ops = _pod_ops(st)
    needs = _container_needs(st)
    aa = st.apparmor
    aa_default = aa.default if aa is not None else ""
    container_ops = [op for lst in CONTAINER_LISTS for op in _container_ops(lst, needs, aa_default)]
    if not (pod_ops or annotation_ops or container_ops):
        return None
    parts = list(pod_ops)
    if annotation_ops or aa_default:
        # the annotations map first, when an annotation will be written and there is none
        wanted = _annotation_wanted(st, aa_default)
        parts.append(
            _when(f"!has(object.metadata.annotations) && ({wanted})", [add(lit(ANNOTATIONS), "{}")])
        )
    parts.extend(annotation_ops)
    parts.extend(container_ops)
    return " + ".join(parts)


def _annotation_wanted(st: Strategies, aa_default: str) -> str:
    terms = []
    sc = st.seccomp
    if sc.default:
        profile = f"(({p_set('seccompProfile')}) ? {seccomp_field(POD_SC)} : {lit(sc.default)})"
        terms.append(f'{annotation(lit(seccomp.POD_KEY))} == "" && {profile} != ""')
    if aa_default:
        profile = annotation(f"{lit(apparmor.CONTAINER_PREFIX)} + c.name")
        terms.extend(
            f'(has(object.spec.{lst}) && object.spec.{lst}.exists(c, {profile} == ""))'
            for lst in CONTAINER_LISTS
        )
    return " || ".join(f"({t})" for t in terms) or "false"
