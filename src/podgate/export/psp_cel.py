"""One PodSecurityPolicy as a CEL expression over a Pod (`object`): true exactly when the policy
admits the pod unchanged (its validation passes and none of its defaults would apply), as
PSP's validating phase decides it; or (`admits_with_defaults`) when it admits the pod once its
own defaults are filled in, as PSP's mutating phase decides it. The strategies are built by
podgate's own strategy modules, so a policy is read here exactly as the admission engine reads
it.

The CEL is written for Kubernetes' type-checked environment: every optional field is read
behind `has()`, the three container lists are never concatenated (their element types
differ), map keys are read with `in` and index syntax, and only functions Kubernetes' CEL
offers (the standard library and the strings extension) are used. Pods are read as the API
server hands them to admission: no null fields; a seccomp profile is read from the fields, the
annotation PSP read confining nothing alone from 1.25 (the API server of PSP's time copied one
into the other)."""

from __future__ import annotations

from collections.abc import Iterable

from podgate.export.strategies import Strategies
from podgate.k8s import Obj
from podgate.psp.policy import BuildError, IdRange
from podgate.psp.strategies import (
    apparmor,
    capabilities,
    run_as_user,
    seccomp,
    selinux,
    sysctls,
    volumes,
)
from podgate.psp.strategies.volumes import SOURCES

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
POD_SC = "object.spec.securityContext"


def lit(s: str) -> str:
    """A CEL string literal."""
    out = ['"']
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def lit_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(lit(s) for s in sorted(set(items))) + "]"


def _all(terms: list[str]) -> str:
    terms = [t for t in terms if t != "true"]
    if not terms:
        return "true"
    if "false" in terms:
        return "false"
    return " && ".join(f"({t})" for t in terms)


def _any(terms: list[str]) -> str:
    return " || ".join(f"({t})" for t in terms) if terms else "false"


def in_ranges(x: str, ranges: tuple[IdRange, ...]) -> str:
    return _any([f"{x} >= {r.low} && {x} <= {r.high}" for r in ranges])


# --- securityContext fields of a container (`c`), and their pod-level fallback -----------


def c_set(key: str) -> str:
    return f"has(c.securityContext) && has(c.securityContext.{key})"


def p_set(key: str) -> str:
    return f"has({POD_SC}) && has({POD_SC}.{key})"


def eff_set(key: str) -> str:
    return f"({c_set(key)}) || ({p_set(key)})"


def eff(key: str) -> str:
    return f"(({c_set(key)}) ? c.securityContext.{key} : {POD_SC}.{key})"


def annotation(key_expr: str) -> str:
    """The annotation's value ("" when absent), `key_expr` a CEL string expression."""
    return (
        f"(has(object.metadata.annotations) && ({key_expr}) in object.metadata.annotations"
        f' ? object.metadata.annotations[{key_expr}] : "")'
    )


def seccomp_field(sc: str) -> str:
    """The annotation form of `sc.seccompProfile` ("" for an unknown type); only when set."""
    p = f"{sc}.seccompProfile"
    return (
        f'(!has({p}.type) ? "" : {p}.type == "Unconfined" ? "unconfined" : '
        f'{p}.type == "RuntimeDefault" ? "runtime/default" : '
        f'({p}.type == "Localhost" && has({p}.localhostProfile)) ? '
        f'"localhost/" + {p}.localhostProfile : "")'
    )


def _multiset_equal(a: str, b: str) -> str:
    count = "{}.filter(y, y == x).size()"
    return f"size({a}) == size({b}) && {a}.all(x, {count.format(a)} == {count.format(b)})"


# --- one policy -------------------------------------------------------------------------


def _set_then(is_set: str, check: str, after: bool) -> str:
    """A rule that requires a field and fills it in when unset: as written, the field must be
    set and pass `check`; with the policy's defaults, an unset field gets a passing value."""
    return f"!({is_set}) || ({check})" if after else f"({is_set}) && ({check})"


def _container_terms(st: Strategies, after: bool = False) -> list[str]:
    """Conditions on one container `c` (its securityContext `c.securityContext`); `after`: on
    the container once the policy's defaults are filled in."""
    out: list[str] = []
    user = st.run_as_user
    if isinstance(user, run_as_user.MustRunAs):
        out.append(_set_then(eff_set("runAsUser"), in_ranges(eff("runAsUser"), user.ranges), after))
    elif isinstance(user, run_as_user.MustRunAsNonRoot):
        given = f"(({eff_set('runAsNonRoot')}) || ({eff_set('runAsUser')})) && "
        out.append(
            ("" if after else given)
            + f"(!({eff_set('runAsNonRoot')}) || {eff('runAsNonRoot')} == true)"
            f" && (!({eff_set('runAsUser')}) || {eff('runAsUser')} != 0)"
        )
    group = st.run_as_group
    if group is not None:
        check = in_ranges(eff("runAsGroup"), group.ranges)
        out.append(_set_then(eff_set("runAsGroup"), check, after or not group.must))
    se = st.selinux
    if se is not None:
        # has() takes a field selection only: match each source, not the `?:` of the two
        own = _selinux_match("c.securityContext.seLinuxOptions", se)
        pods = _selinux_match(f"{POD_SC}.seLinuxOptions", se)
        match = f"(({c_set('seLinuxOptions')}) ? ({own}) : ({pods}))"
        out.append(_set_then(eff_set("seLinuxOptions"), match, after))
    aa = st.apparmor
    if aa is not None:
        profile = annotation(f"{lit(apparmor.CONTAINER_PREFIX)} + c.name")
        if aa.default and not after:
            out.append(f'{profile} != ""')
        if aa.allowed is not None:
            # an unset profile passes only when the policy allows none; with the defaults,
            # an unset profile is the default
            unset_ok = aa.default in aa.allowed if after and aa.default else not aa.allowed
            out.append(
                f'{profile} == "" ? {str(unset_ok).lower()} : {profile} in {lit_list(aa.allowed)}'
            )
    sc = st.seccomp
    if not sc.allow_any:
        out.append(_seccomp_check(_container_seccomp(sc.default if after else ""), sc))
    if st.privileged is not None:
        out.append(
            "!has(c.securityContext) || !has(c.securityContext.privileged)"
            " || c.securityContext.privileged == false"
        )
    proc = st.proc_mount
    out.append(
        f'(({c_set("procMount")}) ? c.securityContext.procMount : "Default")'
        f" in {lit_list(proc.allowed)}"
    )
    caps = st.capabilities
    out.append(_capabilities(caps, after))
    ports = st.host_ports
    out.append(
        "!has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort <= 0 || "
        f"({in_ranges('p.hostPort', ports.ranges)}))"
    )
    if st.read_only_root is not None:
        key = "readOnlyRootFilesystem"
        out.append(_set_then(c_set(key), f"c.securityContext.{key} == true", after))
    ape = st.privilege_escalation
    if ape is not None:
        key = "allowPrivilegeEscalation"
        if not after:
            out.append(
                f"({c_set(key)})"
                if ape.allow
                else f"({c_set(key)}) && c.securityContext.{key} == false"
            )
        elif not ape.allow:
            # unset: PSP writes the default, or false
            unset_ok = ape.default is not True
            out.append(
                f"({c_set(key)}) ? c.securityContext.{key} == false : {str(unset_ok).lower()}"
            )
    return [t for t in out if t and t != "true"]


def _selinux_match(opts: str, se: selinux.MustRunAs) -> str:
    def text(key: str) -> str:
        return f'(has({opts}.{key}) ? {opts}.{key} : "")'

    want = se.options
    terms = []
    for key in ("role", "type", "user"):
        value = want.get(key)
        terms.append(f"{text(key)} == {lit(value if isinstance(value, str) else '')}")
    level = want.get("level")
    level = level if isinstance(level, str) else ""
    got = text("level")
    level_terms = [f"{got} == {lit(level)}"]
    if ":" in level:
        sens, cats = level.split(":", 1)
        after = f'{got}.substring({got}.indexOf(":") + 1).split(",")'
        want_cats = "[" + ", ".join(lit(c) for c in cats.split(",")) + "]"
        level_terms.append(
            f'{got}.indexOf(":") >= 0 && {got}.substring(0, {got}.indexOf(":")) == {lit(sens)}'
            f" && ({_multiset_equal(after, want_cats)})"
        )
    terms.append(_any(level_terms))
    return _all(terms)


def _seccomp_check(profile: str, sc: seccomp.Seccomp) -> str:
    if sc.allowed is None:
        return f'{profile} == ""'
    return f"{profile} in {lit_list(sc.allowed)}"


def pod_seccomp(default: str = "") -> str:
    """The pod's seccomp profile: its field, else `default` (the policy's default profile,
    once PSP's defaults are filled in). Its annotation alone confines nothing: kubelets ignore
    it from 1.25, and from 1.27 the API server no longer copies it into the field (before, the
    field is set wherever the annotation is by the time validating admission reads the pod)."""
    field = seccomp_field(POD_SC)
    return f"(({p_set('seccompProfile')}) ? {field} : {lit(default)})"


def _container_seccomp(default: str = "") -> str:
    """A container's seccomp profile: its field, else the pod's, else `default` (annotations
    alone confine nothing, as for the pod's)."""
    return (
        f"(({c_set('seccompProfile')}) ? {seccomp_field('c.securityContext')} : "
        f"({p_set('seccompProfile')}) ? {seccomp_field(POD_SC)} : "
        f"{lit(default)})"
    )


def _capabilities(caps: capabilities.Capabilities, after: bool = False) -> str:
    has_caps = "has(c.securityContext) && has(c.securityContext.capabilities)"
    add = "c.securityContext.capabilities.add"
    drop = "c.securityContext.capabilities.drop"
    own_add = f"(has({add}) ? {add} : [])"
    own_drop = f"(has({drop}) ? {drop} : [])"
    terms = []
    if (caps.default_add or caps.required_drop) and not after:
        terms.append(has_caps)
        # defaults that would be added, drops that would be required: none may be missing
        for cap in sorted(caps.default_add):
            terms.append(f"{lit(cap)} in {own_drop} || {lit(cap)} in {own_add}")
        for cap in sorted(caps.required_drop_set):
            terms.append(f"{lit(cap)} in {own_drop}")
    if not caps.allow_all:
        allowed = lit_list(caps.allowed | caps.default_add)
        terms.append(f"!({has_caps}) || !has({add}) || {add}.all(x, x in {allowed})")
    return _all(terms)


def _pod_terms(st: Strategies, after: bool = False) -> list[str]:
    """Conditions on the pod; `after`: once the policy's defaults are filled in."""
    out: list[str] = []
    fs = st.fs_group
    if fs is not None:
        check = in_ranges(f"{POD_SC}.fsGroup", fs.ranges)
        out.append(_set_then(p_set("fsGroup"), check, after or not fs.must))
    sup = st.supplemental_groups
    if sup is not None:
        sg = f"{POD_SC}.supplementalGroups"
        check = f"{sg}.all(g, {in_ranges('g', sup.ranges)})"
        if sup.must:
            check = f"size({sg}) > 0 && {check}"
        out.append(_set_then(p_set("supplementalGroups"), check, after or not sup.must))
    se = st.selinux
    if se is not None:
        match = _selinux_match(POD_SC + ".seLinuxOptions", se)
        out.append(_set_then(p_set("seLinuxOptions"), match, after))
    sc = st.seccomp
    if sc.default and not after:
        out.append(f'{pod_seccomp()} != ""')
    if not sc.allow_any:
        out.append(_seccomp_check(pod_seccomp(sc.default if after else ""), sc))
    hostns = st.host_namespaces
    if hostns is not None:
        for key, _ in hostns.forbidden:
            out.append(f"!has(object.spec.{key}) || object.spec.{key} == false")
    sys = st.sysctls
    if sys.can_fail:
        name = "s.name"

        def matches(p: sysctls.Patterns) -> str:
            terms = [f"{name} in {lit_list(p.exact)}"] if p.exact else []
            terms.extend(f"{name}.startsWith({lit(x)})" for x in sorted(set(p.prefixes)))
            return _any(terms)

        safe = lit_list(sysctls.SAFE_SYSCTLS)
        ok = f"!({matches(sys.forbidden)}) && ({name} in {safe} || ({matches(sys.allowed_unsafe)}))"
        out.append(f"!({p_set('sysctls')}) || {POD_SC}.sysctls.all(s, {ok})")
    out.append(_volumes(st.volumes))
    rc = st.runtime_class
    if rc is not None:
        if rc.default is not None and not after:
            out.append("has(object.spec.runtimeClassName)")
        if not rc.allow_any:
            unset_ok = rc.default is None or rc.default in rc.allowed or not after
            out.append(
                f"!has(object.spec.runtimeClassName) ? {str(unset_ok).lower()}"
                f" : object.spec.runtimeClassName in {lit_list(rc.allowed)}"
            )
    return [t for t in out if t and t != "true"]


def volume_kinds(v: str) -> str:
    """The FSTypes of volume `v` in PSP's order of precedence (the first is the one PSP
    reads; an empty list: no source). A flat list keeps the expression shallow."""
    items = ", ".join(f'has({v}.{key}) ? {lit(kind)} : ""' for key, kind in SOURCES)
    return f'[{items}].filter(k, k != "")'


def _volumes(vol: volumes.Volumes) -> str:
    kinds = volume_kinds("v")
    kind = f"{kinds}[0]"
    terms = [f"size({kinds}) > 0"]
    if not vol.allow_all:
        terms.append(f"{kind} in {lit_list(vol.allowed)}")
    if vol.host_paths:
        path = '(has(v.hostPath.path) ? v.hostPath.path : "")'
        trimmed = f'({path}.endsWith("/") ? {path}.substring(0, size({path}) - 1) : {path})'

        def matching(entries: list[volumes.HostPath]) -> str:
            return _any(
                [
                    f"{trimmed} == {lit(e.prefix)} || {trimmed}.startsWith({lit(e.prefix + '/')})"
                    for e in entries
                ]
            )

        rw = [e for e in vol.host_paths if not e.read_only]
        ro = [e for e in vol.host_paths if e.read_only]
        mounted_ro = _all(
            [
                f"!has(object.spec.{lst}) || object.spec.{lst}.all(k, !has(k.volumeMounts) || "
                "k.volumeMounts.all(m, m.name != v.name"
                " || (has(m.readOnly) && m.readOnly == true)))"
                for lst in CONTAINER_LISTS
            ]
        )
        ok = _any(
            ([matching(rw)] if rw else []) + ([f"({matching(ro)}) && ({mounted_ro})"] if ro else [])
        )
        terms.append(f'{kind} != "hostPath" || ({ok})')
    if vol.flex_drivers:
        terms.append(
            f'{kind} != "flexVolume" || (has(v.flexVolume.driver) ? v.flexVolume.driver : "")'
            f" in {lit_list(vol.flex_drivers)}"
        )
    if vol.csi_drivers:
        terms.append(
            f'{kind} != "csi" || (has(v.csi.driver) ? v.csi.driver : "")'
            f" in {lit_list(vol.csi_drivers)}"
        )
    return f"!has(object.spec.volumes) || object.spec.volumes.all(v, {_all(terms)})"


def admits_unchanged(policy: Obj) -> str:
    """The policy as one CEL expression (see the module's docstring); "false" for a policy
    whose strategies cannot be built (PSP admission skips it)."""
    return _admits(policy, after=False)


def admits_with_defaults(policy: Obj) -> str:
    """True when the policy admits the pod once its own defaults are filled in (PSP's
    mutating phase for this policy alone); "false" for a policy PSP cannot build."""
    return _admits(policy, after=True)


def _admits(policy: Obj, *, after: bool) -> str:
    try:
        st = Strategies.of(policy)
    except BuildError:
        return "false"
    pod = _pod_terms(st, after)
    per_container = _all(_container_terms(st, after))
    terms = list(pod)
    if per_container != "true":
        for lst in CONTAINER_LISTS:
            each = f"object.spec.{lst}.all(c, {per_container})"
            terms.append(each if lst == "containers" else f"!has(object.spec.{lst}) || {each}")
    return _all(terms)
