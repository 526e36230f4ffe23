"""PodSecurityPolicy's validating phase in Rego v1 (for Gatekeeper, `source.version: v1`):
a pod is admitted when some policy in `input.parameters.policies` admits it unchanged and
the requesting user or the pod's service account may use that policy according to
`input.parameters.grants` (a snapshot of the RBAC that granted `use`). The policies are
podgate's compiled strategies as data (`policy_parameters`), so this module is fixed text
and a policy is read exactly as podgate's admission engine reads it."""

from __future__ import annotations

from typing import Any

from podgate.export.strategies import Strategies
from podgate.k8s import Obj, mapping
from podgate.psp.policy import BuildError, IdRange
from podgate.psp.strategies import (
    run_as_user,
    sysctls,
)
from podgate.psp.strategies.volumes import SOURCES


def _ranges(rs: tuple[IdRange, ...]) -> list[list[int]]:
    return [[r.low, r.high] for r in rs]


def _id_rule(rule: Any) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {"rule": "MustRunAs" if rule.must else "MayRunAs", "ranges": _ranges(rule.ranges)}


def policy_parameters(policy: Obj) -> dict[str, Any]:
    """One policy's strategies as the Rego reads them; `buildable: false` for a policy PSP
    admission skips."""
    name = mapping(policy.get("metadata")).get("name")
    try:
        st = Strategies.of(policy)
    except BuildError:
        return {"name": name, "buildable": False}
    user = st.run_as_user
    se = st.selinux
    aa = st.apparmor
    sc = st.seccomp
    caps = st.capabilities
    ape = st.privilege_escalation
    hostns = st.host_namespaces
    sys = st.sysctls
    vol = st.volumes
    rc = st.runtime_class
    out: dict[str, Any] = {
        "name": name,
        "buildable": True,
        "runAsUser": (
            {"rule": "MustRunAs", "ranges": _ranges(user.ranges)}
            if isinstance(user, run_as_user.MustRunAs)
            else {"rule": "MustRunAsNonRoot"}
            if isinstance(user, run_as_user.MustRunAsNonRoot)
            else {"rule": "RunAsAny"}
        ),
        "runAsGroup": _id_rule(st.run_as_group),
        "fsGroup": _id_rule(st.fs_group),
        "supplementalGroups": _id_rule(st.supplemental_groups),
        "seLinux": None,
        "apparmor": None
        if aa is None
        else {
            "default": aa.default,
            "allowed": None if aa.allowed is None else sorted(aa.allowed),
        },
        "seccomp": {
            "default": sc.default,
            "allowed": None if sc.allowed is None else sorted(sc.allowed),
            "allowAny": sc.allow_any,
        },
        "privileged": st.privileged is None,
        "procMount": sorted(st.proc_mount.allowed),
        "capabilities": {
            "defaultAdd": sorted(caps.default_add),
            "requiredDrop": sorted(caps.required_drop_set),
            "allowed": sorted(caps.allowed | caps.default_add),
            "allowAll": caps.allow_all,
        },
        "hostPorts": _ranges(st.host_ports.ranges),
        "readOnlyRootFilesystem": st.read_only_root is not None,
        "allowPrivilegeEscalation": None
        if ape is None
        else {"allow": ape.allow, "default": ape.default},
        "hostNamespaces": [] if hostns is None else [k for k, _ in hostns.forbidden],
        "sysctls": {
            "canFail": sys.can_fail,
            "forbidden": sorted(sys.forbidden.exact),
            "forbiddenPrefixes": sorted(set(sys.forbidden.prefixes)),
            "allowed": sorted(sys.allowed_unsafe.exact | sysctls.SAFE_SYSCTLS),
            "allowedPrefixes": sorted(set(sys.allowed_unsafe.prefixes)),
        },
        "volumes": {
            "allowAll": vol.allow_all,
            "allowed": sorted(vol.allowed),
            "hostPaths": [{"prefix": h.prefix, "readOnly": h.read_only} for h in vol.host_paths],
            "flexDrivers": sorted(vol.flex_drivers),
            "csiDrivers": sorted(vol.csi_drivers),
        },
        "runtimeClass": None
        if rc is None
        else {"allowed": sorted(rc.allowed), "allowAny": rc.allow_any, "default": rc.default},
    }
    if se is not None:
        level = se.options.get("level")
        level = level if isinstance(level, str) else ""
        sens, cats = level.split(":", 1) if ":" in level else (None, "")
        out["seLinux"] = {
            **{
                k: v if isinstance(v := se.options.get(k), str) else ""
                for k in ("role", "type", "user")
            },
            "level": level,
            "sensitivity": sens,
            "categories": cats.split(","),
        }
    return out


SOURCES_REGO = "[" + ", ".join(f'["{k}", "{v}"]' for k, v in SOURCES) + "]"

REGO = (
    """package podgate.psp

# PodSecurityPolicy's validating phase, exported by podgate (Rego v1).

violation contains {"msg": msg} if {
	not admitted
	names := [p.name | some p in input.parameters.policies]
	msg := sprintf(
		"no PodSecurityPolicy that the requesting user or the pod's service account %v (%v)",
		["may use admits this pod unchanged", concat(",", names)],
	)
}

admitted if {
	some p in input.parameters.policies
	p.buildable == true
	admits(p)
	may_use(p.name)
}

# each policy's own answer (read by podgate's verifier; handy when debugging a denial)
decisions[p.name] := {"admits": admits_bool(p), "mayUse": may_use_bool(p.name)} if {
	some p in input.parameters.policies
}

admits_bool(p) := true if {
	p.buildable == true
	admits(p)
} else := false

may_use_bool(name) := true if may_use(name) else := false

pod := input.review.object

spec := val(pod, "spec", {})

psc := val(spec, "securityContext", {})

annotations := val(val(pod, "metadata", {}), "annotations", {})

namespace := ns if {
	ns := input.review.namespace
	is_string(ns)
	ns != ""
} else := val(val(pod, "metadata", {}), "namespace", "")

lists := ["initContainers", "containers", "ephemeralContainers"]

containers := [c | some l in lists; some c in val(spec, l, [])]

val(o, k, d) := v if {
	is_object(o)
	v := o[k]
	v != null
} else := d

ann(k) := v if {
	v := annotations[k]
	is_string(v)
} else := ""

csc(c) := val(c, "securityContext", {})

eff(c, k) := v if {
	v := csc(c)[k]
	v != null
} else := v if {
	v := psc[k]
	v != null
}

eff_set(c, k) if eff(c, k) != null

in_ranges(x, rs) if {
	is_number(x)
	some r in rs
	x >= r[0]
	x <= r[1]
}

admits(p) if {
	pod_ok(p)
	every c in containers {
		container_ok(p, c)
	}
}

# --- pod level -------------------------------------------------------------

pod_ok(p) if {
	group_ok(p.fsGroup, val(psc, "fsGroup", null))
	supplemental_ok(p.supplementalGroups)
	selinux_pod_ok(p.seLinux)
	seccomp_pod_ok(p.seccomp)
	every k in p.hostNamespaces {
		val(spec, k, false) == false
	}
	sysctls_ok(p.sysctls)
	every v in val(spec, "volumes", []) {
		volume_ok(p.volumes, v)
	}
	runtime_class_ok(p.runtimeClass)
}

group_ok(s, _) if s == null

group_ok(s, v) if {
	s != null
	v != null
	in_ranges(v, s.ranges)
}

group_ok(s, v) if {
	s.rule == "MayRunAs"
	v == null
}

supplemental_ok(s) if s == null

supplemental_ok(s) if {
	s.rule == "MayRunAs"
	val(psc, "supplementalGroups", null) == null
}

supplemental_ok(s) if {
	s != null
	gs := val(psc, "supplementalGroups", null)
	is_array(gs)
	count(gs) > 0
	every g in gs {
		in_ranges(g, s.ranges)
	}
}

supplemental_ok(s) if {
	s.rule == "MayRunAs"
	gs := val(psc, "supplementalGroups", null)
	is_array(gs)
	count(gs) == 0
}

selinux_pod_ok(s) if s == null

selinux_pod_ok(s) if {
	s != null
	o := val(psc, "seLinuxOptions", null)
	o != null
	selinux_match(s, o)
}

text(o, k) := v if {
	v := o[k]
	is_string(v)
} else := ""

selinux_match(w, o) if {
	text(o, "role") == w.role
	text(o, "type") == w.type
	text(o, "user") == w.user
	level_ok(w, text(o, "level"))
}

level_ok(w, got) if got == w.level

level_ok(w, got) if {
	w.sensitivity != null
	i := indexof(got, ":")
	i >= 0
	substring(got, 0, i) == w.sensitivity
	same_multiset(split(substring(got, i + 1, -1), ","), w.categories)
}

same_multiset(a, b) if {
	count(a) == count(b)
	every x in a {
		count([y | some y in a; y == x]) == count([y | some y in b; y == x])
	}
}

field_profile(sp) := "unconfined" if {
	sp.type == "Unconfined"
} else := "runtime/default" if {
	sp.type == "RuntimeDefault"
} else := concat("", ["localhost/", sp.localhostProfile]) if {
	sp.type == "Localhost"
	is_string(sp.localhostProfile)
} else := ""

pod_profile := v if {
	v := ann("seccomp.security.alpha.kubernetes.io/pod")
	v != ""
} else := v if {
	sp := val(psc, "seccompProfile", null)
	sp != null
	v := field_profile(sp)
} else := ""

seccomp_allows(s, _) if s.allowAny == true

seccomp_allows(s, profile) if {
	s.allowAny == false
	s.allowed == null
	profile == ""
}

seccomp_allows(s, profile) if {
	s.allowAny == false
	s.allowed != null
	profile in s.allowed
}

seccomp_pod_ok(s) if {
	seccomp_default_present(s)
	seccomp_allows(s, pod_profile)
}

seccomp_default_present(s) if s.default == ""

seccomp_default_present(_) if pod_profile != ""

sysctls_ok(s) if s.canFail == false

sysctls_ok(s) if {
	s.canFail == true
	every x in val(psc, "sysctls", []) {
		sysctl_ok(s, val(x, "name", ""))
	}
}

sysctl_matches(name, exact, _) if name in exact

sysctl_matches(name, _, prefixes) if {
	some p in prefixes
	startswith(name, p)
}

sysctl_ok(s, name) if {
	not sysctl_matches(name, s.forbidden, s.forbiddenPrefixes)
	sysctl_matches(name, s.allowed, s.allowedPrefixes)
}

sources := """
    + SOURCES_REGO
    + """

volume_kinds(v) := [kind | some pair in sources; val(v, pair[0], null) != null; kind := pair[1]]

volume_ok(s, v) if {
	kinds := volume_kinds(v)
	count(kinds) > 0
	kind := kinds[0]
	volume_type_ok(s, kind)
	host_path_ok(s, kind, v)
	driver_ok(kind, "flexVolume", s.flexDrivers, v)
	driver_ok(kind, "csi", s.csiDrivers, v)
}

volume_type_ok(s, _) if s.allowAll == true

volume_type_ok(s, kind) if kind in s.allowed

driver_ok(kind, source, _, _) if kind != source

driver_ok(_, _, drivers, _) if count(drivers) == 0

driver_ok(kind, source, drivers, v) if {
	kind == source
	val(val(v, source, {}), "driver", "") in drivers
}

host_path_ok(_, kind, _) if kind != "hostPath"

host_path_ok(s, _, _) if count(s.hostPaths) == 0

host_path_ok(s, "hostPath", v) if {
	some h in s.hostPaths
	h.readOnly == false
	prefix_matches(h.prefix, trimmed_path(v))
}

host_path_ok(s, "hostPath", v) if {
	some h in s.hostPaths
	h.readOnly == true
	prefix_matches(h.prefix, trimmed_path(v))
	mounted_read_only(val(v, "name", ""))
}

trimmed_path(v) := p if {
	raw := val(val(v, "hostPath", {}), "path", "")
	endswith(raw, "/")
	p := substring(raw, 0, count(raw) - 1)
} else := val(val(v, "hostPath", {}), "path", "")

prefix_matches(prefix, path) if path == prefix

prefix_matches(prefix, path) if startswith(path, concat("", [prefix, "/"]))

mounted_read_only(name) if {
	every c in containers {
		every m in val(c, "volumeMounts", []) {
			mount_read_only(m, name)
		}
	}
}

mount_read_only(m, name) if val(m, "name", "") != name

mount_read_only(m, _) if val(m, "readOnly", false) == true

runtime_class_ok(s) if s == null

runtime_class_ok(s) if {
	s != null
	runtime_default_ok(s)
	runtime_allowed(s)
}

runtime_default_ok(s) if s.default == null

runtime_default_ok(_) if val(spec, "runtimeClassName", null) != null

runtime_allowed(s) if s.allowAny == true

runtime_allowed(_) if val(spec, "runtimeClassName", null) == null

runtime_allowed(s) if val(spec, "runtimeClassName", null) in s.allowed

# --- per container ---------------------------------------------------------

container_ok(p, c) if {
	run_as_user_ok(p.runAsUser, c)
	run_as_group_ok(p.runAsGroup, c)
	selinux_container_ok(p.seLinux, c)
	apparmor_ok(p.apparmor, c)
	seccomp_allows(p.seccomp, container_profile(c))
	privileged_ok(p.privileged, c)
	val(csc(c), "procMount", "Default") in p.procMount
	capabilities_ok(p.capabilities, c)
	every port in val(c, "ports", []) {
		host_port_ok(p.hostPorts, val(port, "hostPort", 0))
	}
	read_only_root_ok(p.readOnlyRootFilesystem, c)
	privilege_escalation_ok(p.allowPrivilegeEscalation, c)
}

run_as_user_ok(s, _) if s.rule == "RunAsAny"

run_as_user_ok(s, c) if {
	s.rule == "MustRunAs"
	in_ranges(eff(c, "runAsUser"), s.ranges)
}

run_as_user_ok(s, c) if {
	s.rule == "MustRunAsNonRoot"
	non_root_given(c)
	not non_root_false(c)
	not root_uid(c)
}

non_root_given(c) if eff_set(c, "runAsNonRoot")

non_root_given(c) if eff_set(c, "runAsUser")

non_root_false(c) if eff(c, "runAsNonRoot") != true

root_uid(c) if eff(c, "runAsUser") == 0

run_as_group_ok(s, _) if s == null

run_as_group_ok(s, c) if {
	s != null
	in_ranges(eff(c, "runAsGroup"), s.ranges)
}

run_as_group_ok(s, c) if {
	s.rule == "MayRunAs"
	not eff_set(c, "runAsGroup")
}

selinux_container_ok(s, _) if s == null

selinux_container_ok(s, c) if {
	s != null
	selinux_match(s, eff(c, "seLinuxOptions"))
}

apparmor_ok(a, _) if a == null

apparmor_ok(a, c) if {
	a != null
	prefix := "container.apparmor.security.beta.kubernetes.io/"
	profile := ann(concat("", [prefix, val(c, "name", "")]))
	apparmor_default_ok(a, profile)
	apparmor_allowed(a, profile)
}

apparmor_default_ok(a, _) if a.default == ""

apparmor_default_ok(_, profile) if profile != ""

apparmor_allowed(a, _) if a.allowed == null

apparmor_allowed(a, profile) if {
	a.allowed != null
	profile != ""
	profile in a.allowed
}

container_profile(c) := v if {
	sp := val(csc(c), "seccompProfile", null)
	sp != null
	v := field_profile(sp)
} else := v if {
	key := concat("", ["container.seccomp.security.alpha.kubernetes.io/", val(c, "name", "")])
	is_object(annotations)
	some k, raw in annotations
	k == key
	v := string_or_empty(raw)
} else := v if {
	sp := val(psc, "seccompProfile", null)
	sp != null
	v := field_profile(sp)
} else := ann("seccomp.security.alpha.kubernetes.io/pod")

string_or_empty(x) := x if {
	is_string(x)
} else := ""

privileged_ok(allowed, _) if allowed == true

privileged_ok(_, c) if val(csc(c), "privileged", false) == false

capabilities_ok(s, c) if {
	caps_present_if_needed(s, c)
	every x in s.defaultAdd {
		x in array.concat(own(c, "drop"), own(c, "add"))
	}
	every x in s.requiredDrop {
		x in own(c, "drop")
	}
	added_allowed(s, c)
}

own(c, k) := val(val(csc(c), "capabilities", {}), k, [])

caps_present_if_needed(s, _) if {
	count(s.defaultAdd) == 0
	count(s.requiredDrop) == 0
}

caps_present_if_needed(_, c) if val(csc(c), "capabilities", null) != null

added_allowed(s, _) if s.allowAll == true

added_allowed(s, c) if {
	s.allowAll == false
	every x in own(c, "add") {
		x in s.allowed
	}
}

host_port_ok(_, hp) if hp <= 0

host_port_ok(rs, hp) if in_ranges(hp, rs)

read_only_root_ok(required, _) if required == false

read_only_root_ok(_, c) if val(csc(c), "readOnlyRootFilesystem", null) == true

privilege_escalation_ok(s, _) if s == null

privilege_escalation_ok(s, c) if {
	s != null
	v := val(csc(c), "allowPrivilegeEscalation", null)
	v != null
	escalation_allowed(s, v)
}

escalation_allowed(s, _) if s.allow == true

escalation_allowed(_, v) if v == false

# --- who may use which policy (a snapshot of the RBAC that granted `use`) ----

may_use(_) if input.parameters.rbac == false

# the API server's authorizer allows system:masters everything before RBAC is asked
may_use(_) if "system:masters" in val(input.review.userInfo, "groups", [])

may_use(name) if {
	some g in object.get(input.parameters.grants, name, [])
	g.namespace in {"", namespace}
	some who in identities
	subject_matches(g, who)
}

identities contains who if {
	who := {
		"username": val(input.review.userInfo, "username", ""),
		"groups": val(input.review.userInfo, "groups", []),
	}
}

identities contains who if {
	sa := val(spec, "serviceAccountName", "")
	sa != ""
	who := {
		"username": concat(":", ["system:serviceaccount", namespace, sa]),
		"groups": ["system:serviceaccounts", concat(":", ["system:serviceaccounts", namespace])],
	}
}

subject_matches(g, who) if {
	g.kind == "Group"
	g.name in who.groups
}

subject_matches(g, who) if {
	g.kind != "Group"
	g.name == who.username
}
"""
)
