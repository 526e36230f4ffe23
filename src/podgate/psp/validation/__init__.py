"""PodSecurityPolicy object validation, as the API server's ValidatePodSecurityPolicy (1.21-1.24).

`validate_policy(policy)` returns the field errors the API server gives when the policy is
created: the object metadata (name, generateName, generation, labels, annotations), the PSP
annotations for AppArmor and seccomp, then the spec in upstream's order (runAsUser, runAsGroup,
seLinux, supplementalGroups, fsGroup, volumes, capabilities, privilege escalation, proc mount,
allowed host paths, flex volumes, CSI drivers, sysctls and their overlap, runtimeClass), with
upstream's paths, including its quirks (`requiredDropCapabilities` and `defaultAddCapabilities`
without `spec.`, `spec.allowedFlexVolumes.allowedFlexVolumes[i].driver`,
`spec.allowedCSIDrivers.allowedCSIDriver[i].name`).

Input is decoded JSON or YAML and may be anything. Where a value has the wrong type (a string
where a boolean belongs, a list where an object belongs, a number out of range) the API server
cannot decode the object and rejects it before validating; podgate reports each such value as
`<path>: Invalid value: <value>: must be <type>, not <type>`, first, and then validates the rest
as if the bad values were absent, leaving out errors at or under a badly typed path. Unknown
fields are ignored, as the API server of these releases ignored them (see `psp.lint`).

Differences from upstream, all deliberate: labels and annotations are checked in key order (Go
iterates a map at random); a name made from `generateName` is random upstream, so only
`generateName` itself is checked; ownerReferences, finalizers and managedFields are not checked;
`metadata.namespace` is not an error (the API server clears it on cluster-scoped objects).

The package: `decode` (typed reading, type errors), `metadata` (object metadata and the PSP
annotations), `spec` (the spec checks), `formats` (apimachinery name rules, Go renderings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from podgate.k8s.field import FieldError
from podgate.k8s.objects import Obj
from podgate.psp.validation.decode import Decoder, decode_spec
from podgate.psp.validation.formats import dns1123_subdomain_errors
from podgate.psp.validation.metadata import validate_annotations, validate_meta
from podgate.psp.validation.spec import FS_TYPES, SUPPORTED_VOLUMES, validate_spec

__all__ = [
    "FS_TYPES",
    "SUPPORTED_VOLUMES",
    "dns1123_subdomain_errors",
    "validate_policy",
]

# A spec-level type error hides errors reported at these upstream paths (which lack `spec.`).
_PATH_ALIASES = {
    "spec.requiredDropCapabilities": "requiredDropCapabilities",
    "spec.defaultAddCapabilities": "defaultAddCapabilities",
    "spec.allowedCapabilities": "allowedCapabilities",
    "spec.allowedFlexVolumes": "spec.allowedFlexVolumes.allowedFlexVolumes",
    "spec.allowedCSIDrivers": "spec.allowedCSIDrivers.allowedCSIDriver",
}


def _under(path: str, bad: Sequence[str]) -> bool:
    for b in bad:
        for root in (b, _PATH_ALIASES.get(b, b)):
            if path == root or path.startswith((root + ".", root + "[")):
                return True
    return False


def validate_policy(policy: Obj) -> list[FieldError]:
    """The field errors the API server gives for this PodSecurityPolicy, in upstream's order;
    an empty list when the policy is valid. Wrongly typed values come first (see the module
    docstring). Pure: the input is not changed."""
    d = Decoder()
    raw: object = policy  # decoded input may be anything, whatever the signature says
    if not isinstance(raw, Mapping):
        d.wrong("<object>", raw, "an object")
        return d.errors
    meta = d.obj(policy, "metadata", "metadata") or {}
    spec = d.obj(policy, "spec", "spec") or {}
    meta_errors, annotations = validate_meta(d, meta)
    decoded = decode_spec(d, spec)
    found = [*meta_errors, *validate_annotations(annotations or {}), *validate_spec(decoded)]
    return [*d.errors, *(e for e in found if not _under(e.field, d.bad))]
