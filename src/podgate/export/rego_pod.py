"""The Rego program's head and its pod-level rules (PodSecurityPolicy's validating phase,
exported for Gatekeeper by `psp_rego`): text, assembled there."""

from __future__ import annotations

from podgate.psp.strategies.volumes import SOURCES

SOURCES_REGO = "[" + ", ".join(f'["{k}", "{v}"]' for k, v in SOURCES) + "]"

POD_LEVEL = (
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

"""
)
