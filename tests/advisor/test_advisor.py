"""The advisor, field by field: what each policy field is derived from, merging, naming, RBAC,
the self-check, and the report."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.advisor import AdviseOptions, AdvisorError, GroupBy, advise, unchanged
from podgate.advisor.derive import host_paths, ranges
from podgate.advisor.output import manifest_list, report_json
from podgate.advisor.report import build_report
from podgate.io.catalog import load_catalog
from podgate.k8s.source import documents
from podgate.psp.strategies import apparmor, seccomp
from podgate.psp.validation import validate_policy
from podgate.pss import LATEST, Level
from tests.advisor.test_advisor_helpers import container, pod


def spec_of(*pods: dict[str, Any]) -> dict[str, Any]:
    advice = advise(documents(pods))
    assert len(advice.policies) == 1
    policy = advice.policies[0].policy
    assert validate_policy(policy) == []
    spec: dict[str, Any] = policy["spec"]
    return spec


def annotations_of(*pods: dict[str, Any]) -> dict[str, str]:
    advice = advise(documents(pods))
    assert len(advice.policies) == 1
    return dict(advice.policies[0].policy["metadata"].get("annotations", {}))


def test_ranges_merge_consecutive_values() -> None:
    assert ranges([443, 80, 81, 80]) == [{"min": 80, "max": 81}, {"min": 443, "max": 443}]
    assert ranges([]) == []


def test_restricted_pod_gets_a_restricted_policy() -> None:
    c = container(
        allowPrivilegeEscalation=False,
        readOnlyRootFilesystem=True,
        capabilities={"drop": ["ALL"]},
    )
    spec = spec_of(pod(containers=[c], securityContext={"runAsNonRoot": True}))
    assert spec["privileged"] is False
    assert not any(spec[k] for k in ("hostNetwork", "hostPID", "hostIPC"))
    assert spec["volumes"] == []
    assert spec["runAsUser"] == {"rule": "MustRunAsNonRoot"}
    assert spec["requiredDropCapabilities"] == ["ALL"]
    assert spec["readOnlyRootFilesystem"] is True
    assert spec["allowPrivilegeEscalation"] is False
    assert "allowedCapabilities" not in spec
    assert "defaultAllowPrivilegeEscalation" not in spec
    assert "defaultAddCapabilities" not in spec


def test_privileged_and_host_namespaces() -> None:
    spec = spec_of(pod(containers=[container(privileged=True)], hostPID=True, hostIPC=True))
    assert spec["privileged"] is True
    assert (spec["hostNetwork"], spec["hostPID"], spec["hostIPC"]) == (False, True, True)


def test_host_ports_as_merged_ranges() -> None:
    c1 = {"name": "a", "image": "i", "ports": [{"containerPort": 1, "hostPort": 80}]}
    c2 = {
        "name": "b",
        "image": "i",
        "ports": [{"containerPort": 1, "hostPort": 81}, {"containerPort": 2, "hostPort": 9100}],
    }
    spec = spec_of(pod(containers=[c1, c2]))
    assert spec["hostPorts"] == [{"min": 80, "max": 81}, {"min": 9100, "max": 9100}]


def test_volume_types_used_never_a_wildcard() -> None:
    vols = [
        {"name": "a", "configMap": {"name": "x"}},
        {"name": "b", "emptyDir": {}},
        {"name": "c", "persistentVolumeClaim": {"claimName": "x"}},
    ]
    assert spec_of(pod(volumes=vols))["volumes"] == [
        "configMap",
        "emptyDir",
        "persistentVolumeClaim",
    ]


def _host_path_pod(name: str, path: str, *read_only: bool) -> dict[str, Any]:
    cs = [
        {
            "name": f"c{i}",
            "image": "i",
            "volumeMounts": [
                {"name": "h", "mountPath": "/h", **({"readOnly": True} if ro else {})}
            ],
        }
        for i, ro in enumerate(read_only)
    ]
    return pod(name, containers=cs, volumes=[{"name": "h", "hostPath": {"path": path}}])


def test_host_path_read_only_only_where_every_mount_is() -> None:
    ro = spec_of(_host_path_pod("a", "/var/log", True, True))
    assert ro["allowedHostPaths"] == [{"pathPrefix": "/var/log", "readOnly": True}]
    mixed = spec_of(_host_path_pod("a", "/var/log", True, False))
    assert mixed["allowedHostPaths"] == [{"pathPrefix": "/var/log"}]
    # one pod mounts it read-only, another read-write: the path stays writable
    two = spec_of(_host_path_pod("a", "/data/", True), _host_path_pod("b", "/data", False))
    assert two["allowedHostPaths"] == [{"pathPrefix": "/data"}]
    assert two["volumes"] == ["hostPath"]


def test_host_paths_covered_by_another_entry_are_left_out() -> None:
    assert host_paths({"/var": False, "/var/log": True}) == [{"pathPrefix": "/var"}]
    assert host_paths({"/var": True, "/var/log": True}) == [
        {"pathPrefix": "/var", "readOnly": True}
    ]
    assert host_paths({"/var": True, "/var/log": False}) == [
        {"pathPrefix": "/var", "readOnly": True},
        {"pathPrefix": "/var/log"},
    ]
    assert host_paths({"/var": True, "/variable": True}) == [
        {"pathPrefix": "/var", "readOnly": True},
        {"pathPrefix": "/variable", "readOnly": True},
    ]
    assert host_paths({"": True}) == [{"pathPrefix": "/", "readOnly": True}]


def test_flex_and_csi_drivers() -> None:
    vols = [
        {"name": "f", "flexVolume": {"driver": "example/lvm"}},
        {"name": "c", "csi": {"driver": "secrets-store.csi.k8s.io"}},
    ]
    spec = spec_of(pod(volumes=vols))
    assert spec["allowedFlexVolumes"] == [{"driver": "example/lvm"}]
    assert spec["allowedCSIDrivers"] == [{"name": "secrets-store.csi.k8s.io"}]


@pytest.mark.parametrize(
    ("pod_sc", "containers", "want"),
    [
        (
            {"runAsUser": 1000},
            [container()],
            {"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 1000}]},
        ),
        (
            {"runAsUser": 1000},
            [container("a"), container("b", runAsUser=0)],
            {"rule": "MustRunAs", "ranges": [{"min": 0, "max": 0}, {"min": 1000, "max": 1000}]},
        ),
        ({"runAsNonRoot": True}, [container()], {"rule": "MustRunAsNonRoot"}),
        (
            {},
            [container(runAsNonRoot=True), container("d", runAsUser=5)],
            {"rule": "MustRunAsNonRoot"},
        ),
        ({}, [container(runAsNonRoot=True), container("d")], {"rule": "RunAsAny"}),
        (
            {"runAsNonRoot": True},
            [container(runAsUser=0)],
            {"rule": "MustRunAs", "ranges": [{"min": 0, "max": 0}]},
        ),
        ({"runAsNonRoot": False}, [container()], {"rule": "RunAsAny"}),
    ],
)
def test_run_as_user(pod_sc: dict[str, Any], containers: list[dict[str, Any]], want: Any) -> None:
    assert spec_of(pod(containers=containers, securityContext=pod_sc))["runAsUser"] == want


def test_run_as_group_must_may_or_any() -> None:
    all_set = pod(containers=[container(runAsGroup=3)], securityContext={"runAsGroup": 3})
    assert spec_of(all_set)["runAsGroup"] == {"rule": "MustRunAs", "ranges": [{"min": 3, "max": 3}]}
    some = pod(containers=[container("a", runAsGroup=3), container("b")])
    assert spec_of(some)["runAsGroup"] == {"rule": "MayRunAs", "ranges": [{"min": 3, "max": 3}]}
    assert spec_of(pod())["runAsGroup"] == {"rule": "RunAsAny"}


def test_pod_groups_must_only_when_every_pod_sets_them() -> None:
    a = pod("a", securityContext={"fsGroup": 2000, "supplementalGroups": [5, 6]})
    b = pod("b", securityContext={"fsGroup": 2001})
    spec = spec_of(a)
    assert spec["fsGroup"] == {"rule": "MustRunAs", "ranges": [{"min": 2000, "max": 2000}]}
    assert spec["supplementalGroups"] == {"rule": "MustRunAs", "ranges": [{"min": 5, "max": 6}]}
    both = spec_of(a, b)
    assert both["fsGroup"] == {"rule": "MustRunAs", "ranges": [{"min": 2000, "max": 2001}]}
    assert both["supplementalGroups"] == {"rule": "MayRunAs", "ranges": [{"min": 5, "max": 6}]}
    c = pod("c")
    assert spec_of(a, c)["fsGroup"]["rule"] == "MayRunAs"


def test_selinux_must_run_as_only_when_all_equal() -> None:
    opts = {"type": "spc_t", "level": "s0:c2,c1"}
    same = pod(
        containers=[container(seLinuxOptions={"type": "spc_t", "level": "s0:c1,c2"})],
        securityContext={"seLinuxOptions": opts},
    )
    assert spec_of(same)["seLinux"] == {"rule": "MustRunAs", "seLinuxOptions": opts}
    other = pod(
        containers=[container(seLinuxOptions={"type": "x_t"})],
        securityContext={"seLinuxOptions": opts},
    )
    assert spec_of(other)["seLinux"] == {"rule": "RunAsAny"}
    container_only = pod(containers=[container(seLinuxOptions=opts)])
    assert spec_of(container_only)["seLinux"] == {"rule": "RunAsAny"}


def test_capabilities_added_allowed_and_drops_every_container_makes() -> None:
    a = container("a", capabilities={"add": ["IPC_LOCK"], "drop": ["ALL", "NET_RAW"]})
    b = container("b", capabilities={"drop": ["NET_RAW", "ALL"]})
    spec = spec_of(pod(containers=[a, b]))
    assert spec["allowedCapabilities"] == ["IPC_LOCK"]
    assert spec["requiredDropCapabilities"] == ["ALL", "NET_RAW"]
    c = container("c")  # drops nothing: requiring a drop would mutate it
    assert "requiredDropCapabilities" not in spec_of(pod(containers=[a, c]))


def test_unsafe_sysctls_proc_mount_runtime_class() -> None:
    sc = {
        "sysctls": [
            {"name": "net.core.somaxconn", "value": "1"},
            {"name": "kernel.shm_rmid_forced", "value": "1"},
        ]
    }
    p = pod(
        containers=[container(procMount="Unmasked"), container("d")],
        securityContext=sc,
        runtimeClassName="gvisor",
    )
    spec = spec_of(p)
    assert spec["allowedUnsafeSysctls"] == ["net.core.somaxconn"]
    assert spec["allowedProcMountTypes"] == ["Default", "Unmasked"]
    assert spec["runtimeClass"] == {"allowedRuntimeClassNames": ["gvisor"]}
    plain = spec_of(pod())
    assert "allowedProcMountTypes" not in plain
    assert plain["runtimeClass"] == {"allowedRuntimeClassNames": []}


def test_read_only_root_and_privilege_escalation_only_when_every_container_complies() -> None:
    good = container("a", readOnlyRootFilesystem=True, allowPrivilegeEscalation=False)
    spec = spec_of(pod(containers=[good, container("b", readOnlyRootFilesystem=False)]))
    assert spec["readOnlyRootFilesystem"] is False
    assert spec["allowPrivilegeEscalation"] is True


def test_seccomp_profiles_listed_including_fields() -> None:
    field = pod("a", securityContext={"seccompProfile": {"type": "RuntimeDefault"}})
    ann = annotations_of(field)
    assert ann == {seccomp.ALLOWED_KEY: "runtime/default"}
    local = pod(
        "b",
        containers=[container(seccompProfile={"type": "Localhost", "localhostProfile": "p.json"})],
        annotations={seccomp.POD_KEY: "docker/default"},
    )
    assert annotations_of(field, local) == {seccomp.ALLOWED_KEY: "localhost/p.json,runtime/default"}
    assert annotations_of(pod()) == {}
    # a pod without a profile beside one with: only a wildcard admits both
    assert annotations_of(field, pod("c")) == {seccomp.ALLOWED_KEY: "*"}


def test_apparmor_profiles_listed_only_when_every_container_sets_one() -> None:
    key = apparmor.CONTAINER_PREFIX
    both = pod(
        containers=[container("a"), container("b")],
        annotations={key + "a": "runtime/default", key + "b": "localhost/x"},
    )
    assert annotations_of(both)[apparmor.ALLOWED_KEY] == "localhost/x,runtime/default"
    one = pod(
        containers=[container("a"), container("b")], annotations={key + "a": "runtime/default"}
    )
    assert apparmor.ALLOWED_KEY not in annotations_of(one)


def test_identical_policies_merge_with_the_union_of_bindings() -> None:
    pods = [pod("a", sa="one"), pod("b", sa="two"), pod("c", ns="other", sa="three")]
    advice = advise(documents(pods))
    assert len(advice.policies) == 1
    p = advice.policies[0]
    assert p.name.startswith("podgate.shared-")
    assert p.service_accounts == (("app", "one"), ("app", "two"), ("other", "three"))
    kinds = [(m["kind"], m["metadata"].get("namespace")) for m in advice.manifests]
    assert kinds == [
        ("PodSecurityPolicy", None),
        ("ClusterRole", None),
        ("RoleBinding", "app"),
        ("RoleBinding", "other"),
    ]
    rb = advice.manifests[2]
    assert [s["name"] for s in rb["subjects"]] == ["one", "two"]
    role = advice.manifests[1]
    assert role["rules"] == [
        {
            "apiGroups": ["policy"],
            "resources": ["podsecuritypolicies"],
            "verbs": ["use"],
            "resourceNames": [p.name],
        }
    ]


def test_merge_within_one_namespace_is_named_for_it() -> None:
    advice = advise(documents([pod("a", sa="one"), pod("b", sa="two")]))
    assert advice.policies[0].name.startswith("podgate.app.shared-")


def test_names_per_group_and_dns_1123() -> None:
    pods = [pod("a", sa="Web_SA"), pod("b", sa="db", containers=[container(privileged=True)])]
    names = [p.name for p in advise(documents(pods)).policies]
    assert names == ["podgate.app.db", "podgate.app.web-sa"]
    ns = advise(documents(pods), AdviseOptions(group_by=GroupBy.NAMESPACE))
    assert [p.name for p in ns.policies] == ["podgate.app"]
    cluster = advise(documents(pods), AdviseOptions(group_by=GroupBy.CLUSTER))
    assert [p.name for p in cluster.policies] == ["podgate.cluster"]
    assert [m["kind"] for m in cluster.manifests] == [
        "PodSecurityPolicy",
        "ClusterRole",
        "ClusterRoleBinding",
    ]
    long = advise(documents([pod(sa="s" * 250)]))
    assert len(long.policies[0].name) <= 253
    assert validate_policy(long.policies[0].policy) == []


def test_namespace_filter_and_json_list() -> None:
    advice = advise(documents([pod("a"), pod("b", ns="other")]), AdviseOptions(namespace="other"))
    assert [str(o.workload.ref) for o in advice.observed] == ["Pod other/b"]
    data = manifest_list(advice)
    assert data["kind"] == "List"
    assert data["items"][0]["kind"] == "PodSecurityPolicy"


def test_controller_pods_are_checked_as_created_from_the_template() -> None:
    # hostNetwork: the pod the controller creates gets hostPort = containerPort
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "mon"},
        "spec": {
            "template": {
                "spec": {
                    "hostNetwork": True,
                    "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 9100}]}],
                }
            }
        },
    }
    advice = advise(documents([deploy]))
    assert advice.policies[0].policy["spec"]["hostPorts"] == [{"min": 9100, "max": 9100}]
    assert advice.checked == 1


def test_the_self_check_fails_loudly() -> None:
    # a volume of no known type is refused by every policy: the advice cannot admit it
    broken = pod(volumes=[{"name": "v"}])
    with pytest.raises(AdvisorError, match="does not admit an observed pod unchanged"):
        advise(documents([broken]))


def test_unchanged_tolerates_only_the_seccomp_field_sync() -> None:
    p = pod(securityContext={"seccompProfile": {"type": "RuntimeDefault"}})
    synced = {
        **p,
        "metadata": {
            **p["metadata"],
            "annotations": {seccomp.POD_KEY: "runtime/default", "kubernetes.io/psp": "x"},
        },
    }
    assert unchanged(p, synced)
    other = {**synced, "spec": {**p["spec"], "hostNetwork": False, "runtimeClassName": "x"}}
    assert not unchanged(p, other)
    wrong = {**p, "metadata": {**p["metadata"], "annotations": {seccomp.POD_KEY: "unconfined"}}}
    assert not unchanged(p, wrong)


def _report(objs: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    advice = advise(documents(objs), AdviseOptions(**kw))
    return report_json(advice, build_report(advice, documents(objs), load_catalog(), LATEST))


def test_report_uses_and_narrow_exceptions() -> None:
    db = pod("db", sa="db", containers=[container("postgres", capabilities={"add": ["IPC_LOCK"]})])
    web = pod("web", sa="web")
    data = _report([db, web])
    caps = next(u for u in data["uses"] if u["key"] == "allowedCapabilities")
    assert caps["values"] == [
        {
            "value": "IPC_LOCK",
            "usedBy": [
                {
                    "workload": "Pod app/db",
                    "namespace": "app",
                    "serviceAccount": "db",
                    "container": "postgres",
                }
            ],
        }
    ]
    exc = [e for e in data["exceptions"] if e["key"] == "allowedCapabilities"]
    assert exc == [
        {
            "namespace": "app",
            "key": "allowedCapabilities",
            "value": "IPC_LOCK",
            "severity": "high",
            "serviceAccounts": ["db"],
            "workloads": ["Pod app/db"],
            "policies": ["podgate.app.db"],
            "sharedWith": [],
        }
    ]
    # only the db's policy grants it
    advice = advise(documents([db, web]))
    granted = [p.name for p in advice.policies if p.policy["spec"].get("allowedCapabilities")]
    assert granted == ["podgate.app.db"]


def test_report_namespace_levels_and_labels() -> None:
    restricted = pod(
        "r",
        ns="good",
        containers=[
            container(
                allowPrivilegeEscalation=False,
                capabilities={"drop": ["ALL"]},
                runAsNonRoot=True,
                seccompProfile={"type": "RuntimeDefault"},
            )
        ],
    )
    data = _report([restricted, pod("x", ns="bad", containers=[container(privileged=True)])])
    levels = {n["namespace"]: n for n in data["namespaces"]}
    assert levels["good"]["level"] == Level.RESTRICTED.value
    assert levels["bad"]["level"] == Level.PRIVILEGED.value
    assert levels["good"]["command"] == (
        "kubectl label --overwrite ns good pod-security.kubernetes.io/enforce=restricted "
        "pod-security.kubernetes.io/enforce-version=latest"
    )
    assert levels["good"]["manifest"]["metadata"]["labels"] == {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
    }


def test_report_existing_policies_that_mutate() -> None:
    psp = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodSecurityPolicy",
        "metadata": {"name": "ro"},
        "spec": {
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": True,
            "runAsUser": {"rule": "RunAsAny"},
            "seLinux": {"rule": "RunAsAny"},
            "supplementalGroups": {"rule": "RunAsAny"},
            "fsGroup": {"rule": "RunAsAny"},
            "volumes": ["*"],
        },
    }
    data = _report([pod(), psp])
    existing = data["existingPolicies"]
    assert existing["policies"] == ["ro"]
    assert existing["rbacFromInput"] is False
    [m] = existing["mutatedOrDenied"]
    assert (m["workload"], m["policy"], m["mutated"]) == ("Pod app/p", "ro", True)
    assert m["patch"][-1]["path"] == "/spec/containers/0/securityContext"


def test_the_service_account_token_volume_is_added_as_admission_adds_it() -> None:
    spec = spec_of(pod(token=True))
    assert spec["volumes"] == ["projected"]
    advice = advise(documents([pod(token=True)]))
    [checked] = advice.observed[0].pods
    mounts = checked["spec"]["containers"][0]["volumeMounts"]
    assert mounts == [
        {
            "name": "kube-api-access-podgate",
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            "readOnly": True,
        }
    ]
    sa_off = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "sa", "namespace": "app"},
        "automountServiceAccountToken": False,
    }
    assert spec_of(pod(token=True), sa_off)["volumes"] == []
    # a pod read from a cluster has its token volume already: nothing is added twice
    mounted = pod(
        token=True,
        containers=[
            {
                "name": "c",
                "image": "i",
                "volumeMounts": [
                    {"name": "t", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
                ],
            }
        ],
        volumes=[{"name": "t", "secret": {"secretName": "sa-token"}}],
    )
    assert spec_of(mounted)["volumes"] == ["secret"]


def test_report_names_workloads_sharing_an_exception_service_account() -> None:
    db = pod("db", sa="db", containers=[container("postgres", capabilities={"add": ["IPC_LOCK"]})])
    backup = pod("backup", sa="db")
    data = _report([db, backup, pod("web", sa="web")])
    [exc] = [e for e in data["exceptions"] if e["key"] == "allowedCapabilities"]
    assert exc["sharedWith"] == ["Pod app/backup"]


def test_html_section_is_an_escaped_fragment() -> None:
    from podgate.report.advice_html import render

    evil = pod("x", sa="db", annotations={apparmor.CONTAINER_PREFIX + "c": "localhost/<b>x"})
    data = _report([evil, pod("y", sa="web", containers=[container(privileged=True)])])
    html = render(data)
    assert html.startswith('<section class="podgate-advice"')
    assert "<html" not in html and "<script" not in html
    assert "&lt;b&gt;x" in html and "<b>x" not in html
    assert "podgate.app.db" in html and "podgate.app.web" in html
    assert data["manifests"]["kind"] == "List"


def test_names_that_clash_after_dns_1123_cleaning_stay_distinct() -> None:
    pods = [pod("a", sa="web_sa"), pod("b", sa="web-sa", containers=[container(privileged=True)])]
    names = [p.name for p in advise(documents(pods)).policies]
    assert len(set(names)) == 2
    assert "podgate.app.web-sa" in names


def test_existing_policies_are_asked_as_the_controller_authenticates() -> None:
    """A controller's pods are requested with its service-account token, so a binding to
    system:authenticated lets it use a policy (as `scan` and `export` ask); a bare pod's
    service account is PSP's own identity, without that group."""
    anyone = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodSecurityPolicy",
        "metadata": {"name": "anyone"},
        "spec": {
            "allowPrivilegeEscalation": True,
            "runAsUser": {"rule": "RunAsAny"},
            "seLinux": {"rule": "RunAsAny"},
            "supplementalGroups": {"rule": "RunAsAny"},
            "fsGroup": {"rule": "RunAsAny"},
            "volumes": ["*"],
        },
    }
    g = "rbac.authorization.k8s.io"
    rbac = [
        {
            "apiVersion": f"{g}/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "use"},
            "rules": [
                {"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use"]}
            ],
        },
        {
            "apiVersion": f"{g}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "authenticated-use"},
            "roleRef": {"apiGroup": g, "kind": "ClusterRole", "name": "use"},
            "subjects": [{"kind": "Group", "apiGroup": g, "name": "system:authenticated"}],
        },
    ]
    template = pod("web")
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "app"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": template["spec"]},
        },
    }
    existing = _report([deployment, pod("bare"), anyone, *rbac])["existingPolicies"]
    assert existing["rbacFromInput"] is True
    listed = {m["workload"]: m for m in existing["mutatedOrDenied"]}
    assert "Deployment app/web" not in listed  # admitted unchanged, by its controller
    assert listed["Pod app/bare"]["allowed"] is False
