"""A Pod UPDATE that changes only a seccomp annotation is significant, as upstream's
`isSignificantPodUpdate` makes it (the pod's annotation, and each container's, keyed by the new
container's name): the baseline seccomp check reads those annotations, so an UPDATE setting one
to `unconfined` must be evaluated, not allowed untouched (the annotations count at a
namespace pinned below v1.19)."""

from __future__ import annotations

import pytest

from podgate.pss.admission import is_significant_pod_update, request_for
from tests.pss.test_pss_admission import UPDATE, namespace, pod, run

POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
APP_KEY = "container.seccomp.security.alpha.kubernetes.io/app"


def _annotated(obj: dict, **annotations: str) -> dict:
    return {**obj, "metadata": {**obj["metadata"], "annotations": annotations}}


@pytest.mark.parametrize("key", [POD_KEY, APP_KEY])
def test_an_update_setting_only_a_seccomp_annotation_to_unconfined_is_denied(key: str) -> None:
    old = pod()
    new = _annotated(old, **{key: "unconfined"})
    assert is_significant_pod_update(new, old)
    got = run(
        request_for(new, operation=UPDATE, old_object=old),
        namespace("shop", enforce="baseline", enforce_version="v1.18"),
    )
    assert not got.allowed
    assert "seccompProfile" in (got.message or "")


@pytest.mark.parametrize(
    ("old_notes", "new_notes", "significant"),
    [
        ({}, {"other": "x"}, False),
        ({POD_KEY: ""}, {}, False),  # an empty annotation is an absent one to Go's map
        ({POD_KEY: "runtime/default"}, {POD_KEY: "runtime/default"}, False),
        ({POD_KEY: "runtime/default"}, {}, True),
        ({}, {"container.seccomp.security.alpha.kubernetes.io/gone": "unconfined"}, False),
        ({}, {"container.seccomp.security.alpha.kubernetes.io/dbg": "unconfined"}, True),
    ],
)
def test_which_seccomp_annotation_changes_count(
    old_notes: dict, new_notes: dict, significant: bool
) -> None:
    old = pod(ephemeralContainers=[{"name": "dbg", "image": "busybox"}])
    assert (
        is_significant_pod_update(_annotated(old, **new_notes), _annotated(old, **old_notes))
        is significant
    )
