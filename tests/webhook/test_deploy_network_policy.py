"""deploy/network-policy: ingress to podgate's pods on the webhook port only, from any source
(the API server's address differs by distribution), part of both installs."""

from __future__ import annotations

from tests.webhook.test_webhook_kube_deploy import DEPLOY, docs, one


def test_only_the_webhook_port_is_admitted_to_podgates_pods() -> None:
    policy = one("NetworkPolicy", "podgate-webhook")
    deployment = one("Deployment", "podgate")
    assert policy["metadata"]["namespace"] == deployment["metadata"]["namespace"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress"]  # egress: the API server, anywhere
    (rule,) = policy["spec"]["ingress"]
    assert "from" not in rule  # any source: no selector names the API server portably
    assert rule["ports"] == [{"port": "https", "protocol": "TCP"}]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (port,) = container["ports"]
    assert (port["name"], port["containerPort"]) == ("https", 9443)
    assert f"--listen=0.0.0.0:{port['containerPort']}" in container["args"]
    # everything the cluster calls podgate on goes through that one port
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] == "https"
    assert one("Service", "podgate-webhook")["spec"]["ports"][0]["targetPort"] == "https"


def test_both_installs_include_the_component() -> None:
    component = docs(DEPLOY / "network-policy" / "kustomization.yaml")[0]
    assert component["kind"] == "Component"
    assert component["resources"] == ["networkpolicy.yaml"]
    assert "network-policy" in docs(DEPLOY / "kustomization.yaml")[0]["components"]
    self_signed = docs(DEPLOY / "self-signed" / "kustomization.yaml")[0]
    assert "../network-policy" in self_signed["components"]
    assert docs(DEPLOY / "audit-first" / "kustomization.yaml")[0]["resources"] == [".."]
