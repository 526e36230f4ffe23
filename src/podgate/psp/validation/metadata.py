"""The object metadata (name, generateName, generation, labels, annotations) and the PSP
annotations for AppArmor and seccomp, as ValidatePodSecurityPolicy checks them."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from podgate.k8s.field import FieldError, invalid, required, too_long
from podgate.k8s.gotext import go_quote
from podgate.k8s.objects import Obj
from podgate.psp.validation.decode import INT64, Decoder
from podgate.psp.validation.formats import (
    blen,
    dns1123_subdomain_errors,
    label_value_errors,
    mask_trailing_dash,
    qualified_name_errors,
)

APPARMOR_DEFAULT = "apparmor.security.beta.kubernetes.io/defaultProfileName"
APPARMOR_ALLOWED = "apparmor.security.beta.kubernetes.io/allowedProfileNames"
SECCOMP_DEFAULT = "seccomp.security.alpha.kubernetes.io/defaultProfileName"
SECCOMP_ALLOWED = "seccomp.security.alpha.kubernetes.io/allowedProfileNames"

_ANNOTATIONS_LIMIT = 256 * 1024


def validate_meta(d: Decoder, meta: Obj) -> tuple[list[FieldError], dict[str, str] | None]:
    errs: list[FieldError] = []
    name = d.string(meta, "name", "metadata.name") or ""
    generate_name = d.string(meta, "generateName", "metadata.generateName") or ""
    d.string(meta, "namespace", "metadata.namespace")
    generation = d.integer(meta, "generation", "metadata.generation", INT64)
    labels = d.string_map(meta, "labels", "metadata.labels")
    annotations = d.string_map(meta, "annotations", "metadata.annotations")
    if generate_name:
        masked = mask_trailing_dash(generate_name)
        errs.extend(
            invalid("metadata.generateName", generate_name, m)
            for m in dns1123_subdomain_errors(masked)
        )
    if name:
        errs.extend(invalid("metadata.name", name, m) for m in dns1123_subdomain_errors(name))
    elif not generate_name:
        errs.append(required("metadata.name", "name or generateName is required"))
    if generation is not None and generation < 0:
        errs.append(
            invalid("metadata.generation", generation, "must be greater than or equal to 0")
        )
    for key, value in sorted((labels or {}).items()):
        errs.extend(invalid("metadata.labels", key, m) for m in qualified_name_errors(key))
        errs.extend(invalid("metadata.labels", value, m) for m in label_value_errors(value))
    if annotations is not None:
        for key in sorted(annotations):
            errs.extend(
                invalid("metadata.annotations", key, m) for m in qualified_name_errors(key.lower())
            )
        size = sum(blen(k) + blen(v) for k, v in annotations.items())
        if size > _ANNOTATIONS_LIMIT:
            errs.append(too_long("metadata.annotations", _ANNOTATIONS_LIMIT))
    return errs, annotations


def _apparmor_format_error(profile: str) -> str | None:
    if profile in ("", "runtime/default", "unconfined") or profile.startswith("localhost/"):
        return None
    return f"invalid AppArmor profile name: {go_quote(profile)}"


def _seccomp_errors(profile: str, path: str) -> list[FieldError]:
    if profile in ("runtime/default", "docker/default", "unconfined"):
        return []
    if profile.startswith("localhost/"):
        rel = profile[len("localhost/") :]
        errs: list[FieldError] = []
        if posixpath.isabs(rel):
            errs.append(invalid(path, rel, "must be a relative path"))
        if ".." in rel.split("/"):
            errs.append(invalid(path, rel, "must not contain '..'"))
        return errs
    return [invalid(path, profile, "must be a valid seccomp profile")]


def validate_annotations(annotations: Mapping[str, str]) -> list[FieldError]:
    errs: list[FieldError] = []
    at = "metadata.annotations"
    profile = annotations.get(APPARMOR_DEFAULT, "")
    if profile:
        msg = _apparmor_format_error(profile)
        if msg:
            errs.append(invalid(f"{at}[{APPARMOR_DEFAULT}]", profile, msg))
    allowed = annotations.get(APPARMOR_ALLOWED, "")
    if allowed:
        for p in allowed.split(","):
            msg = _apparmor_format_error(p)
            if msg:
                errs.append(invalid(f"{at}[{APPARMOR_ALLOWED}]", allowed, msg))
    profile = annotations.get(SECCOMP_DEFAULT, "")
    if profile:
        errs.extend(_seccomp_errors(profile, f"{at}[{SECCOMP_DEFAULT}]"))
    allowed = annotations.get(SECCOMP_ALLOWED, "")
    if allowed:
        for p in allowed.split(","):
            if p != "*":
                errs.extend(_seccomp_errors(p, f"{at}[{SECCOMP_ALLOWED}]"))
    return errs
