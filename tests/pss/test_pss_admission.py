"""Request routing, exemptions, updates, workloads and the namespace flow (spec §6.3, §7-§9 and
the errata), with exact strings."""

from __future__ import annotations

import pytest

from podgate.pss import LATEST, Level, LevelVersion, evaluate, parse_version
from podgate.pss.admission import (
    IGNORED_POD_SUBRESOURCES,
    LIST_PODS_FAILED,
    AdmissionRequest,
    Cause,
    ClusterReadError,
    GroupVersionKind,
    MetricEvent,
    MetricKind,
    Operation,
    Status,
    admit,
    evaluate_pods_in_namespace,
    exempt_namespace_warning,
    extract_pod_template,
    is_significant_pod_update,
    pod_check_timeout,
    request_for,
)
from podgate.pss.config import Exemptions, PodSecurityConfiguration
from podgate.pss.labels import DEFAULT_POLICY, Mode, Policy

K = "pod-security.kubernetes.io/"
CREATE, UPDATE = Operation.CREATE, Operation.UPDATE

PRIV = 'privileged (container "app" must not set securityContext.privileged=true)'
RESTRICTED_APP = (
    'allowPrivilegeEscalation != false (container "app" must set '
    "securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "
    '"app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or '
    'container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or '
    'container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or '
    '"Localhost")'
)


def lv(text: str) -> LevelVersion:
    level, version = text.split(":")
    return LevelVersion(Level(level), parse_version(version))


def namespace(name: str, **labels: str) -> dict:
    meta: dict = {"name": name}
    if labels:
        meta["labels"] = {K + k.replace("_", "-"): v for k, v in labels.items()}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def pod(name: str = "web", ns: str = "shop", *, privileged: bool = False, **spec) -> dict:
    sc = {"securityContext": {"privileged": True}} if privileged else {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"containers": [{"name": "app", "image": "app:1", **sc}], **spec},
    }


def deployment(*, privileged: bool = False, ns: str = "shop") -> dict:
    template = pod(privileged=privileged)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": ns},
        "spec": {"template": {"metadata": {"labels": {"app": "api"}}, "spec": template["spec"]}},
    }


def getter(*namespaces: dict):
    known = {n["metadata"]["name"]: n for n in namespaces}

    def get(name: str) -> dict:
        if name not in known:
            raise ClusterReadError(f'namespaces "{name}" not found')
        return known[name]

    return get


def run(request: AdmissionRequest, *namespaces: dict, **kw):
    return admit(request, get_namespace=getter(*namespaces), **kw)


# -- pods ---------------------------------------------------------------------------------------


def test_enforce_denial_is_a_forbidden_status_without_warnings():
    ns = namespace("shop", enforce="baseline", audit="baseline", warn="restricted")
    got = run(request_for(pod(privileged=True)), ns)
    assert not got.allowed
    assert got.status == Status(
        403,
        "Forbidden",
        f'pods "web" is forbidden: violates PodSecurity "baseline:latest": {PRIV}',
        kind="pods",
        name="web",
    )
    assert got.warnings == ()  # no warnings on a denied request
    assert got.audit_annotations == {
        "enforce-policy": "baseline:latest",
        "audit-violations": f'would violate PodSecurity "baseline:latest": {PRIV}',
    }
    assert got.metrics == (
        MetricEvent(MetricKind.EVALUATION, "deny", lv("baseline:latest"), Mode.ENFORCE),
        MetricEvent(MetricKind.EVALUATION, "deny", lv("baseline:latest"), Mode.AUDIT),
    )


def test_allowed_pod_gets_one_warning_with_requested_version():
    ns = namespace("shop", enforce="baseline", warn="restricted", warn_version="v1.99")
    got = run(request_for(pod()), ns)
    assert got.allowed
    assert got.status is None
    assert got.message == ""
    assert got.warnings == (f'would violate PodSecurity "restricted:v1.99": {RESTRICTED_APP}',)
    assert got.audit_annotations == {"enforce-policy": "baseline:latest"}


def test_denial_without_a_name():
    request = request_for({**pod(privileged=True), "metadata": {"generateName": "web-"}})
    got = admit(request, get_namespace=getter(namespace("", enforce="baseline")))
    assert got.message == f'pods is forbidden: violates PodSecurity "baseline:latest": {PRIV}'


def test_each_level_version_is_evaluated_once():
    calls = []

    def counting(level, version, meta, spec):
        calls.append((level, version))
        return evaluate(level, version, meta, spec)

    ns = namespace("shop", enforce="baseline", audit="baseline", warn="baseline")
    run(request_for(pod()), ns, evaluator=counting)
    assert calls == [(Level.BASELINE, LATEST)]
    calls.clear()
    ns = namespace("shop", enforce="baseline", audit="restricted", warn="restricted")
    run(request_for(pod()), ns, evaluator=counting)
    assert calls == [(Level.BASELINE, LATEST), (Level.RESTRICTED, LATEST)]


def test_fully_privileged_short_cut_ignores_version_labels():
    ns = namespace("shop", enforce="privileged", enforce_version="v1.2")
    got = run(request_for(pod(privileged=True)), ns)
    assert got.allowed
    assert got.audit_annotations == {"enforce-policy": "privileged:latest"}
    assert got.metrics == (
        MetricEvent(MetricKind.EVALUATION, "allow", lv("privileged:v1.2"), Mode.ENFORCE),
    )


def test_label_errors_skip_the_short_cut_and_are_annotated():
    ns = namespace("shop", enforce="privileged", audit="Baseline")
    got = run(request_for(pod(privileged=True)), ns)
    assert got.allowed
    assert got.audit_annotations == {
        "error": "Failed to parse policy: metadata.labels[pod-security.kubernetes.io/audit]: "
        'Invalid value: "Baseline": must be one of privileged, baseline, restricted',
        "enforce-policy": "privileged:latest",
    }
    assert MetricEvent(MetricKind.ERROR, fatal=False) in got.metrics


def test_invalid_enforce_label_fails_closed():
    got = run(request_for(pod()), namespace("shop", enforce="strict"))
    assert not got.allowed
    assert got.message == (
        f'pods "web" is forbidden: violates PodSecurity "restricted:latest": {RESTRICTED_APP}'
    )
    assert got.audit_annotations["error"].startswith("Failed to parse policy: metadata.labels[")


@pytest.mark.parametrize("subresource", sorted(IGNORED_POD_SUBRESOURCES))
def test_ignored_pod_subresources(subresource):
    request = request_for(pod(privileged=True), subresource=subresource)
    got = run(request, namespace("shop", enforce="restricted"))
    assert (got.allowed, got.audit_annotations, got.metrics) == (True, {}, ())


@pytest.mark.parametrize("subresource", ["ephemeralcontainers", "resize", "future"])
def test_other_pod_subresources_are_evaluated(subresource):
    old = pod()
    new = pod()
    new["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox"}]
    request = request_for(new, operation=UPDATE, old_object=old, subresource=subresource)
    got = run(request, namespace("shop", enforce="baseline", warn="restricted"))
    assert got.allowed
    assert got.warnings[0].startswith('would violate PodSecurity "restricted:latest": ')
    assert 'containers "app", "debug" must set' in got.warnings[0]


def test_ephemeral_container_denied_because_of_the_whole_pod():
    old = pod(privileged=True)
    new = pod(privileged=True)
    new["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox"}]
    request = request_for(new, operation=UPDATE, old_object=old, subresource="ephemeralcontainers")
    got = run(request, namespace("shop", enforce="baseline"))
    assert got.message == f'pods "web" is forbidden: violates PodSecurity "baseline:latest": {PRIV}'


@pytest.mark.parametrize(
    ("config", "username", "spec", "reason"),
    [
        (Exemptions(namespaces=("shop",)), "", {}, "namespace"),
        (Exemptions(usernames=("ci",)), "ci", {}, "user"),
        (Exemptions(runtime_classes=("kata",)), "", {"runtimeClassName": "kata"}, "runtimeClass"),
    ],
)
def test_exemptions(config, username, spec, reason):
    cfg = PodSecurityConfiguration(exemptions=config)
    ns = namespace("shop", enforce="restricted", audit="restricted")
    workload = deployment(privileged=True)
    workload["spec"]["template"]["spec"].update(spec)
    for obj in (pod(privileged=True, **spec), workload):
        got = admit(request_for(obj, username=username), config=cfg, get_namespace=getter(ns))
        assert got.allowed
        assert got.audit_annotations == {"exempt": reason}
        assert got.metrics == (MetricEvent(MetricKind.EXEMPTION),)


def test_runtime_class_exemption_precedes_label_errors():
    cfg = PodSecurityConfiguration(exemptions=Exemptions(runtime_classes=("kata",)))
    got = admit(
        request_for(pod(runtimeClassName="kata")),
        config=cfg,
        get_namespace=getter(namespace("shop", enforce="bad")),
    )
    assert got.audit_annotations == {"exempt": "runtimeClass"}


def test_defaults_apply_to_unlabelled_namespaces():
    cfg = PodSecurityConfiguration(defaults=Policy(lv("baseline:v1.20"), lv("restricted:latest")))
    got = admit(request_for(pod()), config=cfg, get_namespace=getter(namespace("shop")))
    assert got.allowed
    assert got.audit_annotations == {
        "enforce-policy": "baseline:v1.20",
        "audit-violations": f'would violate PodSecurity "restricted:latest": {RESTRICTED_APP}',
    }


def test_pod_namespace_lookup_failure_is_an_internal_error():
    got = admit(request_for(pod()), get_namespace=getter())
    assert got.status == Status(
        500,
        "InternalError",
        'Internal error occurred: failed to lookup namespace "shop"',
        causes=(Cause(message='failed to lookup namespace "shop"'),),
    )
    assert got.audit_annotations == {
        "error": 'Internal error occurred: failed to lookup namespace "shop": '
        'namespaces "shop" not found'
    }
    assert got.metrics == (MetricEvent(MetricKind.ERROR, fatal=True),)


@pytest.mark.parametrize(
    ("changes", "message", "annotation"),
    [
        (
            {"object": None, "object_error": "bad json"},
            "failed to decode object",
            "failed to decode object: bad json",
        ),
        ({"object": {"kind": "Binding"}}, "failed to decode pod", "failed to decode pod"),
        ({"object": None}, "failed to decode pod", "failed to decode pod"),
        (
            {"operation": UPDATE, "old_object_error": "eof"},
            "failed to decode old object",
            "failed to decode old object: eof",
        ),
        ({"operation": UPDATE}, "failed to decode old pod", "failed to decode old pod"),
    ],
)
def test_pod_decode_failures(changes, message, annotation):
    base = request_for(pod())
    fields = {f: getattr(base, f) for f in base.__slots__} | changes
    got = run(AdmissionRequest(**fields), namespace("shop", enforce="baseline"))
    assert got.status == Status(400, "BadRequest", message)
    assert got.audit_annotations == {"error": annotation}
    assert got.metrics == (MetricEvent(MetricKind.ERROR, fatal=True),)


def _with(obj: dict, **spec) -> dict:
    return {**obj, "spec": {**obj["spec"], **spec}}


@pytest.mark.parametrize(
    ("old_spec", "new_spec", "significant"),
    [
        ({}, {}, False),
        ({}, {"activeDeadlineSeconds": 5, "tolerations": [{"key": "x"}]}, False),
        ({}, {"containers": [{"name": "app", "image": "app:2"}]}, True),
        ({}, {"containers": [{"name": "renamed", "image": "app:1"}]}, False),
        ({}, {"containers": [{"name": "app", "image": "app:1"}, {"name": "b"}]}, True),
        ({"initContainers": [{"name": "i", "image": "a"}]}, {}, True),
        (
            {"initContainers": [{"name": "i", "image": "a"}]},
            {"initContainers": [{"name": "i", "image": "b"}]},
            True,
        ),
        ({}, {"ephemeralContainers": [{"name": "d", "image": "busybox"}]}, True),
        (
            {"ephemeralContainers": [{"name": "d", "image": "busybox"}]},
            {"ephemeralContainers": [{"name": "d", "image": "busybox"}]},
            False,
        ),
        (
            {"ephemeralContainers": [{"name": "d", "image": "busybox"}]},
            {"ephemeralContainers": [{"name": "d", "image": "alpine"}]},
            True,
        ),
        ({"ephemeralContainers": [{"name": "d", "image": "busybox"}]}, {}, False),
    ],
)
def test_significant_updates(old_spec, new_spec, significant):
    old, new = _with(pod(), **old_spec), _with(pod(), **new_spec)
    assert is_significant_pod_update(new, old) is significant


def test_insignificant_update_passes_untouched_unless_short_cut_or_exempt():
    old = pod(privileged=True)
    new = {**old, "metadata": {**old["metadata"], "labels": {"x": "y"}}}
    request = request_for(new, operation=UPDATE, old_object=old)
    got = run(request, namespace("shop", enforce="restricted"))
    assert (got.allowed, got.audit_annotations, got.metrics) == (True, {}, ())
    # the exemptions and the privileged short cut come first (errata D4)
    got = run(request, namespace("shop"))
    assert got.audit_annotations == {"enforce-policy": "privileged:latest"}
    cfg = PodSecurityConfiguration(exemptions=Exemptions(namespaces=("shop",)))
    got = admit(request, config=cfg, get_namespace=getter(namespace("shop")))
    assert got.audit_annotations == {"exempt": "namespace"}


def test_significant_update_evaluates_the_whole_pod():
    old = pod(privileged=True)
    new = _with(
        old, containers=[{"name": "app", "image": "app:2", "securityContext": {"privileged": True}}]
    )
    request = request_for(new, operation=UPDATE, old_object=old)
    got = run(request, namespace("shop", enforce="baseline"))
    assert got.message == f'pods "web" is forbidden: violates PodSecurity "baseline:latest": {PRIV}'


@pytest.mark.parametrize("operation", [Operation.DELETE, Operation.CONNECT])
def test_other_operations_are_allowed_untouched(operation):
    request = request_for(pod(privileged=True), operation=operation)
    got = run(request, namespace("shop", enforce="restricted"))
    assert (got.allowed, got.audit_annotations, got.warnings) == (True, {}, ())


# -- workloads ------------------------------------------------------------------------------------


def test_workloads_are_warned_and_audited_never_denied():
    ns = namespace("shop", enforce="baseline", audit="restricted")
    got = run(request_for(deployment(privileged=True)), ns)
    assert got.allowed
    assert got.status is None
    # warn inherits enforce (baseline) from the label
    assert got.warnings == (f'would violate PodSecurity "baseline:latest": {PRIV}',)
    assert got.audit_annotations == {
        "audit-violations": 'would violate PodSecurity "restricted:latest": '
        + PRIV
        + ", "
        + RESTRICTED_APP
    }
    assert got.metrics == (
        MetricEvent(MetricKind.EVALUATION, "deny", lv("restricted:latest"), Mode.AUDIT),
        MetricEvent(MetricKind.EVALUATION, "deny", lv("baseline:latest"), Mode.WARN),
    )


def test_workload_short_cut_when_audit_and_warn_are_privileged():
    ns = namespace("shop", enforce="restricted", warn="privileged")
    got = run(request_for(deployment(privileged=True)), ns)
    assert (got.allowed, got.warnings, got.audit_annotations, got.metrics) == (True, (), {}, ())


def test_workload_subresource_is_allowed():
    request = request_for(deployment(privileged=True), subresource="scale")
    got = run(request, namespace("shop", enforce="restricted"))
    assert (got.allowed, got.warnings) == (True, ())


def test_cronjob_template():
    job = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "shop"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": pod(privileged=True)["spec"]}}}},
    }
    request = request_for(job)
    assert (request.group, request.resource) == ("batch", "cronjobs")
    got = run(request, namespace("shop", warn="baseline"))
    assert got.warnings == (f'would violate PodSecurity "baseline:latest": {PRIV}',)


def test_workload_lookup_and_decode_failures_are_allowed_with_an_error():
    got = admit(request_for(deployment()), get_namespace=getter())
    assert got.allowed
    assert got.audit_annotations == {
        "error": 'failed to lookup namespace "shop": namespaces "shop" not found'
    }
    ns = namespace("shop", warn="baseline")
    base = request_for(deployment())
    fields = {f: getattr(base, f) for f in base.__slots__}
    got = run(AdmissionRequest(**{**fields, "object": None, "object_error": "boom"}), ns)
    assert got.audit_annotations == {"error": "failed to decode object: boom"}
    assert got.metrics == (MetricEvent(MetricKind.ERROR, fatal=True),)


def test_unknown_kind_fails_extraction_rc_without_template_is_skipped():
    ns = namespace("shop", warn="baseline")
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "shop"},
        "spec": {},
    }
    got = run(request_for(widget), ns)
    assert got.allowed
    assert got.audit_annotations == {
        "error": "failed to extract pod template: unexpected object type: "
        "example.com/v1, Kind=Widget"
    }
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "r", "namespace": "shop"},
        "spec": {},
    }
    got = run(request_for(rc), ns)
    assert (got.allowed, got.audit_annotations, got.warnings) == (True, {}, ())


def test_extract_pod_template():
    assert extract_pod_template("Deployment", {}) == ({}, {})  # a typed zero template
    assert extract_pod_template("ReplicationController", {"spec": {}}) is None
    assert extract_pod_template("PodTemplate", {"template": {"spec": {"a": 1}}}) == ({}, {"a": 1})
    with pytest.raises(ValueError, match="unexpected object type: Widget"):
        extract_pod_template("Widget", {})


def test_request_for():
    r = request_for(deployment())
    assert (r.group, r.resource, r.kind, r.namespace, r.name) == (
        "apps",
        "deployments",
        GroupVersionKind("apps", "v1", "Deployment"),
        "shop",
        "api",
    )
    n = request_for(namespace("team"))
    assert (n.resource, n.namespace, str(n.kind)) == ("namespaces", "team", "/v1, Kind=Namespace")


# -- namespaces -----------------------------------------------------------------------------------


def ns_request(new: dict, old: dict | None = None) -> AdmissionRequest:
    return request_for(new, operation=UPDATE if old else CREATE, old_object=old)


def test_namespace_create_with_invalid_labels_is_invalid():
    got = admit(ns_request(namespace("team", enforce="strict", warn_version="1.2")))
    e1 = (
        'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": '
        "must be one of privileged, baseline, restricted"
    )
    e2 = (
        'metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.2": '
        'must be "latest" or "v1.x"'
    )
    assert got.status == Status(
        422,
        "Invalid",
        f'Namespace "team" is invalid: [{e1}, {e2}]',
        kind="Namespace",
        name="team",
        causes=(
            Cause(
                "FieldValueInvalid",
                'Invalid value: "strict": must be one of privileged, baseline, restricted',
                "metadata.labels[pod-security.kubernetes.io/enforce]",
            ),
            Cause(
                "FieldValueInvalid",
                'Invalid value: "1.2": must be "latest" or "v1.x"',
                "metadata.labels[pod-security.kubernetes.io/warn-version]",
            ),
        ),
    )
    assert admit(ns_request(namespace("team", enforce="baseline"))).allowed


EXEMPT = PodSecurityConfiguration(exemptions=Exemptions(namespaces=("team",)))


@pytest.mark.parametrize(
    ("labels", "defaults", "warning"),
    [
        (
            {
                "enforce": "restricted",
                "enforce_version": "v1.0",
                "audit": "restricted",
                "warn": "baseline",
            },
            DEFAULT_POLICY,
            'namespace "team" is exempt from Pod Security, and the policy (enforce=restricted:'
            "v1.0, audit=restricted:latest, warn=baseline:latest) will be ignored",
        ),
        (
            # warn is inherited, not labelled: not listed
            {"enforce": "baseline"},
            DEFAULT_POLICY,
            'namespace "team" is exempt from Pod Security, and the policy '
            "(enforce=baseline:latest) will be ignored",
        ),
        ({"enforce": "privileged", "enforce_version": "v1.3"}, DEFAULT_POLICY, ""),
        ({}, DEFAULT_POLICY, ""),
        ({"enforce": "baseline"}, Policy(lv("baseline:latest"), warn=lv("baseline:latest")), ""),
        (
            # differs from the defaults only through a privileged mode: empty list (errata C4)
            {"enforce": "privileged"},
            Policy(lv("restricted:latest"), lv("baseline:latest")),
            'namespace "team" is exempt from Pod Security, and the policy () will be ignored',
        ),
    ],
)
def test_exempt_namespace_create_warning(labels, defaults, warning):
    cfg = PodSecurityConfiguration(defaults, EXEMPT.exemptions)
    got = admit(ns_request(namespace("team", **labels)), config=cfg)
    assert got.allowed
    assert got.warnings == ((warning,) if warning else ())


def test_exempt_namespace_warning_function():
    policy = Policy(lv("baseline:latest"))
    assert exempt_namespace_warning("x", policy, {}, DEFAULT_POLICY) == (
        'namespace "x" is exempt from Pod Security, and the policy () will be ignored'
    )


def listing(*pods: dict):
    seen = []

    def list_pods(ns: str):
        seen.append(ns)
        return list(pods)

    list_pods.seen = seen  # type: ignore[attr-defined]
    return list_pods


def test_namespace_update_evaluates_existing_pods():
    old = namespace("team")
    new = namespace("team", enforce="baseline", audit="restricted")
    lister = listing(
        pod("b", "team", privileged=True),
        pod("a", "team", privileged=True),
        pod("ok", "team"),
        pod("c", "team", hostNetwork=True),
    )
    got = admit(ns_request(new, old), list_pods=lister)
    assert got.allowed
    assert lister.seen == ["team"]
    assert got.warnings == (
        'existing pods in namespace "team" violate the new PodSecurity enforce level '
        '"baseline:latest"',
        "a (and 1 other pod): privileged",
        "c: host namespaces",
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            {"enforce": "baseline"},
            {"enforce": "baseline", "warn": "restricted"},
            id="enforce-unchanged",
        ),
        pytest.param({"enforce": "baseline"}, {"enforce": "privileged"}, id="to-privileged"),
        pytest.param({"enforce": "restricted"}, {"enforce": "baseline"}, id="relaxed"),
        pytest.param({}, {"audit": "restricted"}, id="audit-only"),
    ],
)
def test_namespace_update_skips(old, new):
    lister = listing(pod("p", "team", privileged=True))
    got = admit(ns_request(namespace("team", **new), namespace("team", **old)), list_pods=lister)
    assert (got.allowed, got.warnings, lister.seen) == (True, (), [])


def test_namespace_update_version_change_is_evaluated():
    lister = listing(pod("p", "team", privileged=True))
    old = namespace("team", enforce="restricted")
    new = namespace("team", enforce="baseline", enforce_version="v1.20")
    got = admit(ns_request(new, old), list_pods=lister)
    assert got.warnings == (
        'existing pods in namespace "team" violate the new PodSecurity enforce level '
        '"baseline:v1.20"',
        "p: privileged",
    )


def test_namespace_update_label_errors():
    bad = namespace("team", enforce="x")
    assert not admit(ns_request(bad, namespace("team"))).allowed
    # the same errors as before: unrelated edits pass (and the flow goes on)
    relabelled = {**bad, "metadata": {**bad["metadata"], "annotations": {"a": "b"}}}
    assert admit(ns_request(relabelled, bad)).allowed
    worse = namespace("team", enforce="x", warn="y")
    assert admit(ns_request(worse, bad)).status.reason == "Invalid"


def test_namespace_update_exempt_and_list_failure():
    old, new = namespace("team"), namespace("team", enforce="restricted")
    got = admit(ns_request(new, old), config=EXEMPT, list_pods=listing(pod("p", "team")))
    assert got.warnings == (
        'namespace "team" is exempt from Pod Security, and the policy (enforce=restricted:latest)'
        " will be ignored",
    )

    def failing(ns):
        raise ClusterReadError("timeout")

    assert admit(ns_request(new, old), list_pods=failing).warnings == (LIST_PODS_FAILED,)
    assert admit(ns_request(new, old)).warnings == (LIST_PODS_FAILED,)


@pytest.mark.parametrize(
    ("request_changes", "message", "annotation"),
    [
        (
            {"object": None, "object_error": "x"},
            "failed to decode object",
            "failed to decode object: x",
        ),
        ({"object": {"kind": "Pod"}}, "failed to decode namespace", "failed to decode namespace"),
        (
            {"operation": UPDATE, "old_object_error": "y"},
            "failed to decode  old object",
            "failed to decode  old object: y",
        ),
        (
            {"operation": UPDATE},
            "failed to decode  old namespace",
            "failed to decode  old namespace",
        ),
    ],
)
def test_namespace_decode_failures(request_changes, message, annotation):
    base = ns_request(namespace("team"))
    fields = {f: getattr(base, f) for f in base.__slots__} | request_changes
    got = admit(AdmissionRequest(**fields))
    assert got.status == Status(400, "BadRequest", message)
    assert got.audit_annotations == {"error": annotation}


def test_namespace_subresource_and_delete():
    req = request_for(namespace("team", enforce="bad"), subresource="status")
    assert admit(req).allowed
    req = request_for(namespace("team", enforce="bad"), operation=Operation.DELETE)
    assert admit(req).allowed


# -- the namespace flow ----------------------------------------------------------------------------

BASE = lv("baseline:latest")


def owned(name: str, uid: str, *, privileged: bool = True) -> dict:
    p = pod(name, "team", privileged=privileged)
    p["metadata"]["ownerReferences"] = [
        {"kind": "ReplicaSet", "name": "rs", "uid": "other", "controller": False},
        {"kind": "ReplicaSet", "name": "rs", "uid": uid, "controller": True},
    ]
    return p


def test_flow_plural_forms_and_sorting():
    pods = [pod(f"p{i}", "team", privileged=True) for i in (3, 1, 2)] + [
        pod("h1", "team", hostPID=True),
        pod("h0", "team", hostPID=True),
        pod("z", "team", hostIPC=True, privileged=True),
    ]
    assert evaluate_pods_in_namespace("team", BASE, pods) == (
        'existing pods in namespace "team" violate the new PodSecurity enforce level '
        '"baseline:latest"',
        "h0 (and 1 other pod): host namespaces",
        "p1 (and 2 other pods): privileged",
        "z: host namespaces, privileged",
    )
    assert evaluate_pods_in_namespace("team", BASE, [pod("ok", "team")]) == ()
    assert evaluate_pods_in_namespace("team", BASE, None) == (LIST_PODS_FAILED,)


def test_flow_limit_prioritizes_one_pod_per_controller():
    pods = [
        owned("rs-1", "u1"),
        owned("rs-2", "u1"),
        owned("rs-3", "u1"),
        pod("solo", "team", hostPID=True),
        owned("other-1", "u2", privileged=False),
    ]
    seen = []

    def spy(level, version, meta, spec):
        seen.append(meta["name"])
        return evaluate(level, version, meta, spec)

    got = evaluate_pods_in_namespace("team", BASE, pods, max_pods=3, evaluator=spy)
    assert seen == ["rs-1", "solo", "other-1"]
    assert got == (
        "new PodSecurity enforce level only checked against the first 3 of 5 existing pods",
        'existing pods in namespace "team" violate the new PodSecurity enforce level '
        '"baseline:latest"',
        "rs-1: privileged",
        "solo: host namespaces",
    )


def test_flow_runtime_class_exempt_pods_are_not_counted():
    cfg = PodSecurityConfiguration(exemptions=Exemptions(runtime_classes=("kata",)))
    pods = [pod("k", "team", privileged=True, runtimeClassName="kata"), pod("p", "team")]
    assert evaluate_pods_in_namespace("team", BASE, pods, config=cfg, max_pods=1) == ()


def test_flow_stops_when_the_deadline_passes():
    ticks = iter([False, True, True])
    pods = [pod(f"p{i}", "team", privileged=True) for i in range(5)]
    got = evaluate_pods_in_namespace("team", BASE, pods, deadline_passed=lambda: next(ticks))
    assert got == (
        "new PodSecurity enforce level only checked against the first 2 of 5 existing pods",
        'existing pods in namespace "team" violate the new PodSecurity enforce level '
        '"baseline:latest"',
        "p0 (and 1 other pod): privileged",
    )


def test_flow_deadline_in_admit():
    pods = [pod(f"p{i}", "team", privileged=True) for i in range(3)]
    got = admit(
        ns_request(namespace("team", enforce="baseline"), namespace("team")),
        list_pods=listing(*pods),
        deadline_passed=lambda: True,
    )
    assert got.warnings[0] == (
        "new PodSecurity enforce level only checked against the first 1 of 3 existing pods"
    )


@pytest.mark.parametrize(
    ("remaining", "want"), [(None, 1.0), (10.0, 1.0), (1.0, 0.5), (-2.0, -1.0)]
)
def test_pod_check_timeout(remaining, want):
    assert pod_check_timeout(remaining) == want


def test_results_are_read_only():
    got = admit(request_for(pod(), operation=Operation.DELETE))
    with pytest.raises(TypeError):
        got.audit_annotations["x"] = "y"  # type: ignore[index]
    assert admit(request_for(pod(), operation=Operation.DELETE)).audit_annotations == {}
