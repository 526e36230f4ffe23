"""Field paths are steps, rendered as upstream's field.Path prints them only at output."""

from __future__ import annotations

import dataclasses

import pytest

from podgate.k8s.field import FieldError, forbidden, invalid, render


def test_names_join_with_dots_and_indexes_go_in_brackets() -> None:
    path = ("spec", "containers", 0, "securityContext", "privileged")
    assert render(path) == "spec.containers[0].securityContext.privileged"


def test_a_key_of_a_map_valued_field_goes_in_brackets_whatever_it_holds() -> None:
    key = "container.seccomp.security.alpha.kubernetes.io/a.b"
    assert render(("metadata", "annotations", key)) == f"metadata.annotations[{key}]"
    assert render(("metadata", "labels", "app")) == "metadata.labels[app]"
    assert render(("spec", "nodeSelector", "x.y/z")) == "spec.nodeSelector[x.y/z]"


def test_consecutive_indexes_and_a_lone_step() -> None:
    assert render(("spec", "volumes", 10, "hostPath", "pathPrefix")) == (
        "spec.volumes[10].hostPath.pathPrefix"
    )
    assert render(("pod", "spec", "securityContext", "sysctls", 2)) == (
        "pod.spec.securityContext.sysctls[2]"
    )
    assert render(("spec",)) == "spec"
    assert render(()) == ""


def test_a_path_given_as_text_is_one_step_and_prints_back_unchanged() -> None:
    err = invalid("spec.allowedHostPaths[0].pathPrefix", "", "must not be empty")
    assert err.path == ("spec.allowedHostPaths[0].pathPrefix",)
    assert err.field == "spec.allowedHostPaths[0].pathPrefix"


def test_an_error_keeps_its_steps_and_prints_upstreams_text() -> None:
    err = invalid(("spec", "securityContext", "hostNetwork"), True, "Host network is not allowed")
    assert err.path == ("spec", "securityContext", "hostNetwork")
    assert str(err) == (
        "spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed"
    )
    key = "container.apparmor.security.beta.kubernetes.io/web"
    denied = forbidden(("pod", "metadata", "annotations", key), "AppArmor profile must be set")
    assert str(denied) == (
        f"pod.metadata.annotations[{key}]: Forbidden: AppArmor profile must be set"
    )
    assert denied == FieldError("Forbidden", ("pod", "metadata", "annotations", key), None,
                                "AppArmor profile must be set")  # fmt: skip


def test_an_error_holds_each_argument_in_its_own_field_and_stays_frozen() -> None:
    # FieldError sets its fields through the slot descriptors, not the dataclass' __init__
    e = FieldError("Invalid value", ("spec", "x"), '"v"', "bad")
    assert [getattr(e, f.name) for f in dataclasses.fields(FieldError)] == [
        "Invalid value", ("spec", "x"), '"v"', "bad"
    ]  # fmt: skip
    assert e == FieldError(type="Invalid value", path=("spec", "x"), value='"v"', detail="bad")
    assert hash(e) == hash(FieldError("Invalid value", ("spec", "x"), '"v"', "bad"))
    assert FieldError("Forbidden", ("a",), None).detail == ""
    assert repr(e) == (
        "FieldError(type='Invalid value', path=('spec', 'x'), value='\"v\"', detail='bad')"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.detail = "other"  # type: ignore[misc]
