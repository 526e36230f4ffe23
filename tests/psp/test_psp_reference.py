"""The fast admission path against a plain reference: every shortcut `compute` takes
(first-error evaluation, checks run before mutation and shared between policies, stopping
when every policy must mutate) must give exactly what evaluating every policy in full does."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podgate.k8s.identity import UserInfo
from podgate.psp import PolicySet
from podgate.psp.admission import Computed, compute
from tests.psp.test_psp_properties import _builtin, pods
from tests.psp_helpers import policy

POOL = [
    _builtin("privileged"),
    _builtin("baseline"),
    _builtin("restricted"),
    policy(
        "a-nonroot",
        runAsUser={"rule": "MustRunAsNonRoot"},
        volumes=["*"],
        annotations={"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*"},
    ),
    policy(
        "b-caps",
        allowedCapabilities=["NET_ADMIN", "CHOWN"],
        volumes=["configMap", "emptyDir"],
        requiredDropCapabilities=["NET_RAW"],
    ),
    policy(
        "c-hostnet",
        hostNetwork=True,
        hostPorts=[{"min": 8000, "max": 9000}],
        volumes=["*"],
        annotations={
            "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
            "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
        },
    ),
    policy(
        "d-ro",
        readOnlyRootFilesystem=True,
        allowPrivilegeEscalation=False,
        volumes=["*"],
        fsGroup={"rule": "MustRunAs", "ranges": [{"min": 1, "max": 100}]},
    ),
    policy(
        "e-hostpath",
        volumes=["hostPath", "secret"],
        allowedHostPaths=[{"pathPrefix": "/var/log", "readOnly": True}],
    ),
]


def reference(
    policies: PolicySet,
    pod: dict[str, Any],
    ns: str,
    user: UserInfo | None,
    authorizer: Any,
    mutation_allowed: bool,
    hint: str,
) -> tuple[str | None, bool, Any, tuple[Any, ...]]:
    sa_name = pod["spec"].get("serviceAccountName")
    sa = (
        UserInfo(
            f"system:serviceaccount:{ns}:{sa_name}",
            ("system:serviceaccounts", f"system:serviceaccounts:{ns}"),
        )
        if sa_name
        else None
    )

    def authorized(name: str) -> bool:
        if authorizer is None:
            return True
        return bool(
            (sa and authorizer.can_use(sa, ns, name))
            or (user and authorizer.can_use(user, ns, name))
        )

    order = list(policies.providers)
    if not mutation_allowed and hint:
        order.sort(key=lambda p: p.name != hint)
    failed: dict[str, Any] = {}
    chosen = None
    for p in order:
        result = p.evaluate(pod)
        if result.errors:
            failed[p.name] = result.errors
            continue
        if result.mutated and not mutation_allowed:
            continue
        if not authorized(p.name):
            continue
        if not result.mutated:
            return p.name, False, result.pod, ()
        if chosen is None:
            chosen = (p.name, result.pod)
    if chosen is not None:
        return chosen[0], True, chosen[1], ()
    errors = tuple(
        (n, e) for n in sorted(failed, key=str.encode) if authorized(n) for e in failed[n]
    )
    return None, False, None, errors


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pods(),
    st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=6, unique=True),
    st.booleans(),
    st.sets(st.sampled_from([p["metadata"]["name"] for p in POOL])),
    st.booleans(),
    st.sampled_from(["", "restricted", "c-hostnet"]),
)
def test_compute_matches_the_reference(
    pod: dict[str, Any],
    chosen: list[int],
    with_rbac: bool,
    grants: set[str],
    mutation_allowed: bool,
    hint: str,
) -> None:
    pod["spec"]["serviceAccountName"] = "app"
    policies = PolicySet.compile([POOL[i] for i in chosen])

    class Grants:
        def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
            return policy in grants

    rbac = Grants() if with_rbac else None
    user = UserInfo("alice")
    got: Computed = compute(
        policies, pod, "ns", user, rbac, mutation_allowed=mutation_allowed, hint=hint
    )
    want = reference(policies, pod, "ns", user, rbac, mutation_allowed, hint)
    assert (got.policy, got.mutated, got.errors) == (want[0], want[1], want[3])
    if want[0] is not None:
        assert got.pod == want[2]
