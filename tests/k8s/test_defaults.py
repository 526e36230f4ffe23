"""Offline API-server defaulting: only where it changes a verdict, never in place."""

from __future__ import annotations

import copy

from podgate.k8s.defaults import default_object, default_policy


def test_volume_without_source_becomes_empty_dir() -> None:
    pod = {
        "kind": "Pod",
        "spec": {"containers": [], "volumes": [{"name": "v"}, {"name": "s", "secret": {}}]},
    }
    before = copy.deepcopy(pod)
    out, done = default_object(pod)
    assert pod == before
    assert out["spec"]["volumes"][0] == {"name": "v", "emptyDir": {}}
    assert [str(d) for d in done] == ["spec.volumes[0].emptyDir defaulted to {}"]


def test_host_network_ports_on_pods_only() -> None:
    spec = {
        "hostNetwork": True,
        "containers": [
            {"name": "c", "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 9}]}
        ],
        "initContainers": [{"name": "i", "ports": [{"containerPort": 5}]}],
    }
    out, done = default_object({"kind": "Pod", "spec": spec})
    assert [str(d) for d in done] == [
        "spec.initContainers[0].ports[0].hostPort defaulted to 5",
        "spec.containers[0].ports[0].hostPort defaulted to 80",
    ]
    assert out["spec"]["containers"][0]["ports"][1]["hostPort"] == 9
    deploy = {"kind": "Deployment", "spec": {"template": {"spec": spec}}}
    assert default_object(deploy) == (deploy, ())


def test_template_volumes_are_defaulted_at_their_path() -> None:
    cron = {
        "kind": "CronJob",
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"volumes": [{"name": "v"}]}}}}},
    }
    _, done = default_object(cron)
    assert [d.field for d in done] == ["spec.jobTemplate.spec.template.spec.volumes[0].emptyDir"]


def test_policy_allow_privilege_escalation() -> None:
    policy = {"kind": "PodSecurityPolicy", "spec": {}}
    out, done = default_policy(policy)
    assert out["spec"]["allowPrivilegeEscalation"] is True
    assert policy == {"kind": "PodSecurityPolicy", "spec": {}}
    assert default_policy(out) == (out, ())
    assert [str(d) for d in done] == ["spec.allowPrivilegeEscalation defaulted to true"]
