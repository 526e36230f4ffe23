"""Builders for PSP tests: small policies and pods as plain dicts."""

from __future__ import annotations

import copy
from typing import Any

from podgate.k8s.defaults import default_policy
from podgate.psp import PolicySet, Request, review

RUN_AS_ANY = {"rule": "RunAsAny"}


def policy(
    name: str = "p", annotations: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    """A permissive-by-rule policy (all strategies RunAsAny, no volumes) with `spec` overrides."""
    base: dict[str, Any] = {
        "runAsUser": RUN_AS_ANY,
        "seLinux": RUN_AS_ANY,
        "supplementalGroups": RUN_AS_ANY,
        "fsGroup": RUN_AS_ANY,
    }
    base.update(spec)
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    obj = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodSecurityPolicy",
        "metadata": meta,
        "spec": base,
    }
    return dict(default_policy(obj)[0])


def pod(
    *containers: dict[str, Any], annotations: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "pod", "namespace": "ns"}
    if annotations:
        meta["annotations"] = annotations
    cs = list(containers) or [{"name": "c", "image": "img"}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": cs, **spec}}


def container(name: str = "c", **sc: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "image": "img"}
    if sc:
        out["securityContext"] = sc
    return out


def errors_of(pol: dict[str, Any], p: dict[str, Any]) -> list[str]:
    """The rendered errors one policy reports for a pod (after its mutation)."""
    provider = PolicySet.compile([pol]).providers[0]
    return [str(e) for e in provider.evaluate(copy.deepcopy(p)).errors]


def admit(policies: list[dict[str, Any]], p: dict[str, Any], **request: Any) -> Any:
    req = Request(request.pop("operation", "CREATE"), p, request.pop("namespace", "ns"), **request)
    return review(PolicySet.compile(policies), req)
