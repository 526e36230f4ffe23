"""io.prepare: the one step from documents read to documents judged (shape check, defaulting),
each document keeping where it was read."""

from __future__ import annotations

from typing import Any

import pytest

from podgate.errors import LoadError
from podgate.io.loader import load_text
from podgate.io.prepare import prepare
from podgate.k8s.source import Document, Source

POD_WITHOUT_VOLUME_SOURCE = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, image: i}]
  volumes: [{name: v}]
"""


def _pod(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def test_each_prepared_document_keeps_its_source_and_says_what_was_defaulted() -> None:
    read = list(load_text(POD_WITHOUT_VOLUME_SOURCE, "in.yaml"))
    config_map, pod = prepare(read)
    assert config_map is read[0]  # nothing applies: the same document
    assert pod.source == Source("in.yaml", 1, 5)
    assert pod.obj["spec"]["volumes"] == [{"name": "v", "emptyDir": {}}]
    assert [str(d) for d in pod.defaulted] == ["spec.volumes[0].emptyDir defaulted to {}"]
    assert read[1].obj["spec"]["volumes"] == [{"name": "v"}]  # the document read is untouched


def test_without_defaults_the_objects_are_judged_as_written() -> None:
    read = list(load_text(POD_WITHOUT_VOLUME_SOURCE, "in.yaml"))
    assert prepare(read, defaults=False) == read


def test_a_policy_gets_the_policy_defaults() -> None:
    policy = {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {}}
    [doc] = prepare([Document(policy)])
    assert doc.obj["spec"]["allowPrivilegeEscalation"] is True
    assert [str(d) for d in doc.defaulted] == ["spec.allowPrivilegeEscalation defaulted to true"]


def test_a_wrong_field_type_is_refused_naming_file_document_line_and_field() -> None:
    bad = _pod(containers=[{"name": "c", "securityContext": {"runAsUser": "0"}}])
    with pytest.raises(LoadError) as e:
        prepare([Document(_pod(containers=[])), Document(bad, Source("x.yaml", 3, 12))])
    assert str(e.value) == (
        "x.yaml: document 3 (line 12): Pod 'p' is not valid: "
        "spec.containers[0].securityContext.runAsUser: expected an integer, got string '0'"
    )


def test_a_template_field_is_named_by_its_path_in_the_object() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"metadata": {"labels": {"a": 1}}, "spec": {"containers": []}}},
    }
    with pytest.raises(LoadError, match=r"Deployment 'd' is not valid: spec\.template\.metadata"):
        prepare([Document(deployment)], defaults=False)


def test_a_document_finds_its_pod_spec_also_after_a_trip_through_pickle() -> None:
    import pickle

    read = list(load_text(POD_WITHOUT_VOLUME_SOURCE, "in.yaml"))
    config_map, pod = pickle.loads(pickle.dumps(read))
    assert config_map.pod is None
    assert pod.pod is not None and pod.pod.spec is pod.obj["spec"]
    [prepared] = [d for d in prepare([config_map, pod]) if d.pod is not None]
    assert prepared.pod is not None and prepared.pod.spec is prepared.obj["spec"]
