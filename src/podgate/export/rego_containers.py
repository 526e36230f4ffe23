"""The Rego program's per-container rules and who may use which policy (PodSecurityPolicy's
validating phase, exported for Gatekeeper by `psp_rego`): text, assembled there."""

CONTAINERS = """# --- per container ---------------------------------------------------------

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
} else := pod_profile

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

"""

MAY_USE = """# --- who may use which policy (a snapshot of the RBAC that granted `use`) ----

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
