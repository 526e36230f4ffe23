"""The apiVersion, kind and metadata of a policy: what was never served, a name that is not a DNS
subdomain, a namespace on a cluster-scoped object, annotations PSP does not read."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from podgate.k8s.gotext import go_quote
from podgate.k8s.objects import Obj
from podgate.psp.lint.hint import Hint, closest
from podgate.psp.policy import WEBHOOK_API_VERSION
from podgate.psp.validation.formats import dns1123_subdomain_errors
from podgate.psp.validation.metadata import (
    APPARMOR_ALLOWED,
    APPARMOR_DEFAULT,
    SECCOMP_ALLOWED,
    SECCOMP_DEFAULT,
)

_PSP_ANNOTATIONS = (APPARMOR_DEFAULT, APPARMOR_ALLOWED, SECCOMP_DEFAULT, SECCOMP_ALLOWED)


def type_and_kind_hints(policy: Obj) -> Iterator[Hint]:
    api = policy.get("apiVersion")
    kind = policy.get("kind")
    if kind != "PodSecurityPolicy":
        if isinstance(kind, str) and kind.lower() in ("podsecuritypolicy", "podsecuritypolicies"):
            yield Hint(
                "kind",
                f"kind {go_quote(kind)} is not a kind the API server knows",
                "PodSecurityPolicy",
            )
        elif kind is None:
            yield Hint("kind", "kind is missing", "kind: PodSecurityPolicy")
    if api == "extensions/v1beta1":
        yield Hint(
            "apiVersion",
            "extensions/v1beta1 served PodSecurityPolicy only up to Kubernetes 1.15; 1.16-1.24 "
            "serve it as policy/v1beta1 only (RBAC still checks `use` in both groups)",
            "apiVersion: policy/v1beta1",
        )
    elif api is None:
        yield Hint("apiVersion", "apiVersion is missing", "apiVersion: policy/v1beta1")
    elif api not in ("policy/v1beta1", WEBHOOK_API_VERSION):  # podgate's webhook serves it
        yield Hint(
            "apiVersion",
            f"PodSecurityPolicy was never served as {go_quote(str(api))}: only policy/v1beta1 (and "
            "extensions/v1beta1 up to 1.15); it was removed in 1.25",
            "apiVersion: policy/v1beta1",
        )


def metadata_hints(meta: Obj) -> Iterator[Hint]:
    ns = meta.get("namespace")
    if isinstance(ns, str) and ns:
        yield Hint(
            "metadata.namespace",
            "PodSecurityPolicy is cluster-scoped: the namespace is ignored, and the policy "
            "applies in every namespace where a Role or ClusterRole grants `use` on it",
            None,
        )
    name = meta.get("name")
    if isinstance(name, str) and name and dns1123_subdomain_errors(name):
        fixed = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.")
        yield Hint(
            "metadata.name",
            "a name must be a DNS subdomain: lowercase letters, digits, '-' and '.', "
            "starting and ending with a letter or digit, at most 253 characters",
            fixed[:253] or None,
        )
    annotations = meta.get("annotations")
    if not isinstance(annotations, Mapping):
        return
    for key, value in annotations.items():
        if not isinstance(key, str):
            continue
        at = f"metadata.annotations[{key}]"
        if key not in _PSP_ANNOTATIONS and key.startswith(("seccomp.", "apparmor.")):
            guess = closest(key, _PSP_ANNOTATIONS)
            msg = "not an annotation PodSecurityPolicy reads, so it has no effect"
            yield Hint(at, msg, guess)
        if key in _PSP_ANNOTATIONS and isinstance(value, str) and ", " in value:
            yield Hint(
                at,
                "the list is split on ',' without trimming spaces, so ' x' is not 'x'",
                ",".join(p.strip() for p in value.split(",")),
            )
        if key == APPARMOR_ALLOWED and isinstance(value, str) and "*" in value.split(","):
            yield Hint(at, "AppArmor has no wildcard: '*' is not a profile name", None)
