"""Lint for PodSecurityPolicies: the mistakes people really make, with a did-you-mean.

`lint_policy(policy)` returns hints about a policy as written (before defaulting). A hint never
makes a policy valid or invalid; only `psp.validation.validate_policy` decides that. Hints cover:

* apiVersion and kind (PodSecurityPolicy was served as policy/v1beta1; extensions/v1beta1 only
  up to 1.15);
* unknown fields anywhere in the object, which the API server of 1.21-1.24 dropped silently,
  with the closest known name (`allowedCapabilites`, `RunAsUser`, a rule such as
  `MustRunAsNonRoot: true` written as a field, OpenShift SCC fields);
* values of the wrong type that people write by habit (`privileged: "false"`, `volumes: secret`);
* missing required strategies (seLinux, runAsUser, supplementalGroups, fsGroup);
* `volumes: [none]` and other unknown volume types, and an empty or missing `volumes` list;
* policies the admission plugin cannot build a provider for (MustRunAs without ranges, seLinux
  MustRunAs without seLinuxOptions), which it then skips without a word;
* allowPrivilegeEscalation left out (the API server defaults it to true) and similar traps.

The package: `schema` (unknown fields and wrong types), `metadata` (apiVersion, kind,
metadata), `spec` (the spec's traps), `hint` (the finding).
"""

from __future__ import annotations

from collections.abc import Mapping

from podgate.k8s.objects import Obj, json_kind
from podgate.psp.lint.hint import Hint
from podgate.psp.lint.metadata import metadata_hints, type_and_kind_hints
from podgate.psp.lint.schema import TOP, walk
from podgate.psp.lint.spec import spec_hints

__all__ = ["Hint", "lint_policy"]


def lint_policy(policy: Obj) -> list[Hint]:
    """Hints about a PodSecurityPolicy as written (before defaulting). Pure; never raises on
    malformed input. Hints do not affect validity."""
    raw: object = policy
    if not isinstance(raw, Mapping):
        return [Hint("<object>", f"a policy must be an object, not {json_kind(raw)}")]
    hints = list(type_and_kind_hints(policy))
    hints.extend(walk(policy, TOP, ""))
    meta = policy.get("metadata")
    if isinstance(meta, Mapping):
        hints.extend(metadata_hints(meta))
    spec = policy.get("spec")
    if spec is None:
        hints.append(Hint("spec", "spec is missing: the policy has no strategies", None))
        return hints
    if not isinstance(spec, Mapping):
        return hints
    hints.extend(spec_hints(spec))
    return hints
