"""Where upstream's PSP field paths point in the pod, read from their steps."""

from __future__ import annotations

from podgate.psp.location import annotated_container, container_index, pod_location


def test_host_namespaces_reported_under_the_pod_security_context_are_spec_fields() -> None:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert pod_location(("spec", "securityContext", key)) == ("spec", key)
    assert pod_location(("spec", "securityContext", "fsGroup")) == (
        "spec",
        "securityContext",
        "fsGroup",
    )


def test_a_leading_pod_step_is_dropped() -> None:
    key = "seccomp.security.alpha.kubernetes.io/pod"
    assert pod_location(("pod", "metadata", "annotations", key)) == ("metadata", "annotations", key)
    assert pod_location(("pod", "spec", "securityContext", "sysctls", 0)) == (
        "spec",
        "securityContext",
        "sysctls",
        0,
    )


def test_the_container_of_a_path_is_its_list_and_index() -> None:
    assert container_index(("spec", "initContainers", 10, "securityContext")) == (
        "initContainers",
        10,
    )
    assert container_index(("spec", "containers")) is None
    assert container_index(("spec", "volumes", 0)) is None


def test_a_profile_annotation_names_its_container_by_key() -> None:
    key = "container.seccomp.security.alpha.kubernetes.io/web]"
    assert annotated_container(("metadata", "annotations", key)) == "web]"
    apparmor = "container.apparmor.security.beta.kubernetes.io/db"
    assert annotated_container(("metadata", "annotations", apparmor)) == "db"
    pod_key = "seccomp.security.alpha.kubernetes.io/pod"
    assert annotated_container(("metadata", "annotations", pod_key)) is None
