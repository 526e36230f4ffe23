"""The webhook's decisions without HTTP: review.decide on AdmissionReviews as kube-apiserver
sends them, and the ASGI app driven directly (deadlines, body limits)."""

from __future__ import annotations

import asyncio
import base64
import copy
import threading
import time
from pathlib import Path
from typing import Any

import jsonpatch
import orjson
import pytest

from podgate.io.policies import load_policies
from podgate.k8s.identity import UserInfo, pod_service_account
from podgate.k8s.prepare import prepare_for_create
from podgate.pss import LATEST, Level, LevelVersion, evaluate, forbidden_message, parse_version
from podgate.pss.config import Exemptions, PodSecurityConfiguration
from podgate.webhook.app import MAX_BODY_BYTES, Runtime, WebhookApp, parse_go_duration
from podgate.webhook.files import (
    FileNamespaceSource,
    FilePolicySource,
    FileRbacAuthorizer,
    compile_policies,
)
from podgate.webhook.logs import JsonLogger
from podgate.webhook.metrics import Metrics
from podgate.webhook.review import (
    MUTATE,
    VALIDATE,
    Settings,
    Sources,
    decide,
    sanitize_warnings,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RS_CONTROLLER = "system:serviceaccount:kube-system:replicaset-controller"


def load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def sources() -> Sources:
    policies = FilePolicySource([str(EXAMPLES / "policies")], max_bytes=1 << 20)
    policies.load()
    rbac = FileRbacAuthorizer([str(EXAMPLES / "rbac")], max_bytes=1 << 20)
    rbac.load()
    namespaces = FileNamespaceSource(
        [str(EXAMPLES / "cluster" / "namespaces.yaml")], max_bytes=1 << 20
    )
    namespaces.load()
    return Sources(policies, rbac, namespaces)


PSP_AND_PSS = Settings(psp=True, pss=True)


def review(
    obj: dict[str, Any] | None,
    *,
    operation: str = "CREATE",
    namespace: str = "shop",
    old: dict[str, Any] | None = None,
    subresource: str = "",
    user: str = RS_CONTROLLER,
    groups: tuple[str, ...] = ("system:serviceaccounts", "system:authenticated"),
    resource: tuple[str, str, str] = ("", "v1", "pods"),
    kind: str = "Pod",
    dry_run: bool = False,
    uid: str = "705ab4f5-6393-11e8-b7cc-42010a800002",
) -> dict[str, Any]:
    group, version, plural = resource
    name = (obj or old or {}).get("metadata", {}).get("name", "")
    options_kind = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions"}.get(operation)
    request: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": plural},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": plural},
        "name": name,
        "namespace": namespace,
        "operation": operation,
        "userInfo": {
            "username": user,
            "uid": "b2f1c9d0-user",
            "groups": list(groups),
            "extra": {"authentication.kubernetes.io/credential-id": ["JTI=abc"]},
        },
        "object": obj,
        "oldObject": old,
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": options_kind} if options_kind else None,
    }
    if subresource:
        request["subResource"] = subresource
        request["requestSubResource"] = subresource
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def web_pod() -> dict[str, Any]:
    return load_yaml(EXAMPLES / "pods" / "web.yaml")


def debug_pod() -> dict[str, Any]:
    return load_yaml(EXAMPLES / "pods" / "debug.yaml")


def patched(pod: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    assert response["patchType"] == "JSONPatch"
    ops = orjson.loads(base64.b64decode(response["patch"]))
    return jsonpatch.apply_patch(pod, ops)


# -- PodSecurityPolicy -----------------------------------------------------------------------------


def test_mutate_create_returns_the_patch_of_the_admitting_policy(sources: Sources) -> None:
    from podgate.psp import admit_phase

    pod = web_pod()
    out = decide(MUTATE, review(pod), PSP_AND_PSS, sources)
    r = out.response
    assert r["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
    assert r["allowed"] is True
    assert r["auditAnnotations"] == {"admit-policy": "restricted"}
    user = UserInfo(RS_CONTROLLER, ("system:serviceaccounts", "system:authenticated"))
    policies = sources.policies.current()  # type: ignore[union-attr]
    expected = admit_phase(policies, pod, "shop", user, sources.authorizer).object
    # with the field of the seccomp annotation PSP wrote, as PSP's API servers copied it
    # (tests/webhook/test_webhook_seccomp_fields.py)
    expected, _ = prepare_for_create(expected, 26)
    assert expected["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    result = patched(pod, r)
    assert result == expected
    assert result["metadata"]["annotations"]["kubernetes.io/psp"] == "restricted"
    assert pod == web_pod()  # the input is not changed
    assert "warnings" not in r  # PSS is a validating matter


def test_validate_accepts_the_mutated_pod_and_names_the_policy(sources: Sources) -> None:
    pod = web_pod()
    admitted = patched(pod, decide(MUTATE, review(pod), PSP_AND_PSS, sources).response)
    r = decide(VALIDATE, review(admitted), PSP_AND_PSS, sources).response
    assert r["allowed"] is True
    assert r["auditAnnotations"]["validate-policy"] == "restricted"
    assert r["auditAnnotations"]["enforce-policy"] == "baseline:v1.30"
    assert "patch" not in r and "patchType" not in r  # a validating webhook never patches


def test_validate_judges_the_pod_as_received(sources: Sources) -> None:
    # without the mutating phase nothing admits the pod unchanged: upstream's validate text
    r = decide(VALIDATE, review(web_pod()), PSP_AND_PSS, sources).response
    assert r["allowed"] is False
    assert r["status"]["code"] == 403
    assert r["status"]["reason"] == "Forbidden"
    assert r["status"]["message"] == (
        'pods "web-7d9c8b6f5-x2k4q" is forbidden: PodSecurityPolicy: unable to validate pod: []'
    )


def test_mutate_denial_is_upstreams_message(sources: Sources) -> None:
    from podgate.psp import admit_phase

    pod = debug_pod()
    r = decide(MUTATE, review(pod, user="alice", groups=("devs",)), PSP_AND_PSS, sources).response
    assert r["allowed"] is False
    authorizer = sources.authorizer
    policies = sources.policies.current()  # type: ignore[union-attr]
    decision = admit_phase(policies, pod, "shop", UserInfo("alice", ("devs",)), authorizer)
    assert r["status"]["message"] == f'pods "debug-shell" is forbidden: {decision.message}'
    assert decision.message is not None
    assert decision.message.startswith("PodSecurityPolicy: unable to admit pod: [")


def test_the_service_account_is_authorized_without_system_authenticated(sources: Sources) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.calls: list[UserInfo] = []

        def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
            self.calls.append(user)
            return False

    recorder = Recorder()
    decide(
        MUTATE, review(web_pod(), user="alice"), PSP_AND_PSS, Sources(sources.policies, recorder)
    )
    sa_calls = [c for c in recorder.calls if c.name.startswith("system:serviceaccount:")]
    user_calls = [c for c in recorder.calls if c.name == "alice"]
    assert sa_calls[0] == UserInfo(
        "system:serviceaccount:shop:web",
        ("system:serviceaccounts", "system:serviceaccounts:shop"),
    )
    requester = user_calls[0]  # the AdmissionReview's userInfo, uid and extra included
    assert requester.uid == "b2f1c9d0-user"
    assert requester.extra == (("authentication.kubernetes.io/credential-id", ("JTI=abc",)),)


def test_update_is_validated_with_the_hint_and_never_mutated(sources: Sources) -> None:
    pod = web_pod()
    admitted = patched(pod, decide(MUTATE, review(pod), PSP_AND_PSS, sources).response)
    new = copy.deepcopy(admitted)
    new["metadata"]["labels"]["tier"] = "front"
    r = decide(MUTATE, review(new, operation="UPDATE", old=admitted), PSP_AND_PSS, sources)
    assert r.response == {"uid": r.uid, "allowed": True}
    v = decide(VALIDATE, review(new, operation="UPDATE", old=admitted), PSP_AND_PSS, sources)
    assert v.response["allowed"] is True
    assert v.response["auditAnnotations"]["validate-policy"] == "restricted"


def test_garbage_collector_updates_are_not_checked(sources: Sources) -> None:
    old = web_pod()  # not admissible unchanged by any policy
    new = copy.deepcopy(old)
    new["metadata"]["finalizers"] = ["example.com/cleanup"]
    r = decide(VALIDATE, review(new, operation="UPDATE", old=old), Settings(), sources)
    assert r.response["allowed"] is True
    assert "auditAnnotations" not in r.response
    assert r.note == "only garbage-collector fields changed"


def test_psp_and_pss_both_evaluate_ephemeral_containers(sources: Sources) -> None:
    old = web_pod()
    old["metadata"]["namespace"] = "batch"
    new = copy.deepcopy(old)
    new["spec"]["ephemeralContainers"] = [
        {"name": "dbg", "image": "busybox", "securityContext": {"privileged": True}}
    ]
    req = review(
        new, operation="UPDATE", old=old, subresource="ephemeralcontainers", namespace="batch"
    )
    only_psp = decide(VALIDATE, req, Settings(), sources).response
    assert only_psp["allowed"] is False
    assert (
        "spec.ephemeralContainers[0].securityContext.privileged" in (only_psp["status"]["message"])
    )
    both = decide(VALIDATE, req, PSP_AND_PSS, sources).response
    assert both["allowed"] is False
    assert both["status"]["message"].startswith(
        'pods "web-7d9c8b6f5-x2k4q" is forbidden: violates PodSecurity "restricted:latest": '
        'privileged (container "dbg" must not set securityContext.privileged=true)'
    )
    assert "warnings" not in both  # PSA adds no warnings to a request it denies
    status_like = decide(
        VALIDATE,
        review(new, operation="UPDATE", old=old, subresource="status", namespace="batch"),
        PSP_AND_PSS,
        sources,
    )
    assert status_like.response["allowed"] is True


# -- Pod Security Standards ------------------------------------------------------------------------


def test_pss_enforce_denial_text(sources: Sources) -> None:
    pod = debug_pod()
    r = decide(VALIDATE, review(pod), Settings(psp=False, pss=True), sources).response
    lv = LevelVersion(Level.BASELINE, parse_version("v1.30"))
    found = evaluate(lv.level, lv.version, pod["metadata"], pod["spec"])
    assert r["allowed"] is False
    assert r["status"]["code"] == 403
    assert r["status"]["message"] == forbidden_message("debug-shell", lv, found)
    assert r["status"]["message"].startswith(
        'pods "debug-shell" is forbidden: violates PodSecurity "baseline:v1.30": '
    )
    assert r["status"]["details"] == {"name": "debug-shell", "kind": "pods"}
    assert r["auditAnnotations"] == {"enforce-policy": "baseline:v1.30"}


def test_pss_warn_and_audit_for_a_workload_never_deny(sources: Sources) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "batch"},
        "spec": {"template": {"metadata": {}, "spec": debug_pod()["spec"]}},
    }
    req = review(
        deployment, namespace="batch", resource=("apps", "v1", "deployments"), kind="Deployment"
    )
    r = decide(VALIDATE, req, PSP_AND_PSS, sources).response
    assert r["allowed"] is True
    [warning] = r["warnings"]
    assert warning.startswith('would violate PodSecurity "restricted:latest": host namespaces')
    assert "auditAnnotations" not in r  # batch has no audit label
    assert decide(MUTATE, req, PSP_AND_PSS, sources).response == {
        "uid": req["request"]["uid"],
        "allowed": True,
    }


def test_pss_audit_annotation_and_config_exemptions() -> None:
    class Labels:
        def labels(self, namespace: str) -> dict[str, str]:
            return {"pod-security.kubernetes.io/audit": "restricted"}

        def other_labels(self, namespace: str) -> tuple[dict[str, str], ...]:
            return ()

        def ready(self) -> bool:
            return True

    settings = Settings(
        psp=False,
        pss=True,
        pss_config=PodSecurityConfiguration(exemptions=Exemptions(usernames=("ci-bot",))),
    )
    r = decide(VALIDATE, review(web_pod()), settings, Sources(namespaces=Labels())).response
    assert r["allowed"] is True
    assert r["auditAnnotations"]["audit-violations"].startswith(
        'would violate PodSecurity "restricted:latest": '
    )
    exempt = decide(
        VALIDATE, review(web_pod(), user="ci-bot"), settings, Sources(namespaces=Labels())
    )
    assert exempt.response["auditAnnotations"] == {"exempt": "user"}


def test_unknown_namespace_fails_closed_as_psa(sources: Sources) -> None:
    r = decide(VALIDATE, review(web_pod(), namespace="nowhere"), PSP_AND_PSS, sources).response
    assert r["allowed"] is False
    assert r["status"]["code"] == 500
    assert r["status"]["message"] == 'Internal error occurred: failed to lookup namespace "nowhere"'


# -- exemptions, audit mode, failures --------------------------------------------------------------


def test_exempt_namespaces_are_never_evaluated(sources: Sources) -> None:
    out = decide(MUTATE, review(debug_pod(), namespace="kube-system"), PSP_AND_PSS, sources)
    assert out.response == {
        "uid": out.uid,
        "allowed": True,
        "auditAnnotations": {"exempt": "namespace"},
    }
    assert out.exemption == "namespace"


def test_audit_mode_never_denies_and_records(sources: Sources) -> None:
    settings = Settings(mode="audit", psp=True, pss=True)
    v = decide(VALIDATE, review(debug_pod()), settings, sources)
    assert v.response["allowed"] is True
    assert v.would_deny.startswith('pods "debug-shell" is forbidden: violates PodSecurity')
    assert v.response["auditAnnotations"]["would-deny"] == v.would_deny
    assert v.response["warnings"][0].startswith("podgate audit mode: would deny: pods")
    m = decide(MUTATE, review(web_pod()), settings, sources).response
    assert m["allowed"] is True and "patch" not in m  # audit mode changes nothing
    # a CREATE is judged as both phases would: the web pod would be admitted after mutation
    assert decide(VALIDATE, review(web_pod()), Settings(mode="audit"), sources).response[
        "auditAnnotations"
    ] == {"validate-policy": "restricted"}


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ([], "the body is not a JSON object"),
        (
            {"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"},
            "expected apiVersion",
        ),
        ({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}, "request: missing"),
        (
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {}},
            "request.uid: missing",
        ),
    ],
)
def test_bad_reviews_get_the_failure_behaviour(doc: Any, fragment: str, sources: Sources) -> None:
    r = decide(VALIDATE, doc, Settings(), sources).response
    assert r["uid"] == "" and r["allowed"] is False
    assert r["status"]["code"] == 400 and fragment in r["status"]["message"]
    opened = decide(VALIDATE, doc, Settings(on_error="allow"), sources).response
    assert opened["allowed"] is True and fragment in opened["auditAnnotations"]["error"]


def test_a_pod_with_wrong_types_is_refused_not_misread(sources: Sources) -> None:
    pod = web_pod()
    pod["spec"]["containers"][0]["securityContext"]["runAsUser"] = "0"
    r = decide(MUTATE, review(pod), Settings(), sources).response
    assert r["allowed"] is False and r["status"]["code"] == 400
    assert "runAsUser: expected an integer" in r["status"]["message"]


def test_internal_errors_deny_unless_configured_to_allow(sources: Sources) -> None:
    class Broken:
        def current(self) -> Any:
            raise RuntimeError("boom")

    r = decide(MUTATE, review(web_pod()), Settings(), Sources(Broken())).response
    assert r["allowed"] is False and r["status"]["code"] == 500
    assert r["status"]["message"] == "podgate: internal error: RuntimeError: boom"
    assert r["auditAnnotations"] == {"error": "podgate: internal error: RuntimeError: boom"}
    opened = decide(MUTATE, review(web_pod()), Settings(on_error="allow"), Sources(Broken()))
    assert opened.response["allowed"] is True
    assert opened.response["warnings"] == [
        "podgate failed open: podgate: internal error: RuntimeError: boom"
    ]


def test_dry_run_gets_the_same_answer(sources: Sources) -> None:
    a = decide(VALIDATE, review(debug_pod()), PSP_AND_PSS, sources)
    b = decide(VALIDATE, review(debug_pod(), dry_run=True), PSP_AND_PSS, sources)
    assert a.response == b.response and b.dry_run


def test_non_pod_kinds_are_allowed_with_a_note(sources: Sources) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    out = decide(
        VALIDATE,
        review(cm, resource=("", "v1", "configmaps"), kind="ConfigMap"),
        PSP_AND_PSS,
        sources,
    )
    assert out.response == {"uid": out.uid, "allowed": True}
    assert out.note.startswith("not a pod (configmaps)")


def test_warnings_within_the_api_servers_limits() -> None:
    assert sanitize_warnings(["a\nb", "a\nb", "", "c\x1b[31m"]) == ["a b", "c [31m"]
    many = [f"{i:04d}" + "x" * 300 for i in range(30)]
    out = sanitize_warnings(many)
    assert all(len(w) <= 256 for w in out)
    assert sum(len(w) for w in out) <= 4096


def test_go_durations() -> None:
    assert parse_go_duration("10s") == 10
    assert parse_go_duration("1m30s") == 90
    assert parse_go_duration("500ms") == 0.5
    assert parse_go_duration("1.5h") == 5400
    for bad in ("", "10", "s", "10x", "-1s", "10s "):
        assert parse_go_duration(bad) is None


def test_invalid_policies_keep_the_last_good_set(tmp_path: Path) -> None:
    good = tmp_path / "p.yaml"
    good.write_text((EXAMPLES / "policies" / "restricted.yaml").read_text())
    errors: list[str] = []
    source = FilePolicySource(
        [str(tmp_path)], max_bytes=1 << 20, on_reload=lambda s, ok, e: errors.append(e)
    )
    source.load()
    first = source.current()
    assert first is not None and first.names == ("restricted",)
    good.write_text(
        "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: x}\nspec: {}\n"
    )
    assert source.poll() is False
    assert source.current() is first
    assert "PodSecurityPolicy 'x' is not valid" in errors[0]
    policies = compile_policies(load_policies(["builtin:baseline"], max_bytes=1 << 20))
    assert policies.names == ("baseline",)


# -- the ASGI app without a socket -----------------------------------------------------------------


class SlowAuthorizer:
    """Answers only when released (or after 10 s), far past any deadline a test sets."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def can_use(self, *args: Any, **kwargs: Any) -> bool:
        self.released.wait(10.0)
        return True


def call_app(
    app: WebhookApp,
    path: str,
    body: bytes,
    *,
    query: bytes = b"",
    chunks: int = 1,
    content_type: bytes = b"application/json",
) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []
    size = max(1, len(body) // chunks)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]

    async def run() -> None:
        queue = list(parts)

        async def receive() -> dict[str, Any]:
            if queue:
                chunk = queue.pop(0)
                return {"type": "http.request", "body": chunk, "more_body": bool(queue)}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append({**message, "at": time.monotonic()})

        scope = {
            "type": "http", "method": "POST", "path": path, "query_string": query,
            "headers": [(b"content-type", content_type)],
        }  # fmt: skip
        await app(scope, receive, send)

    asyncio.run(run())
    start, body_msg = sent
    headers = dict(start["headers"])
    headers[b"x-sent-at"] = str(body_msg["at"]).encode()
    return start["status"], headers, body_msg["body"]


def runtime(sources: Sources, **kw: Any) -> Runtime:
    class Sink:
        def write(self, s: str) -> int:
            return len(s)

        def flush(self) -> None:
            pass

    return Runtime(Settings(**kw), sources, Metrics(), JsonLogger(Sink()))  # type: ignore[arg-type]


def test_a_decision_past_its_deadline_gets_the_failure_behaviour(sources: Sources) -> None:
    slow = SlowAuthorizer()
    rt = runtime(Sources(sources.policies, slow))
    rt.blocking_sources = True
    started = time.monotonic()
    try:
        status, headers, body = call_app(
            WebhookApp(rt), "/mutate", orjson.dumps(review(web_pod())), query=b"timeout=1s"
        )
    finally:
        slow.released.set()
    # answered at the deadline, not when the authorizer answers (it never does before release)
    assert float(headers[b"x-sent-at"]) - started < 5.0
    assert status == 200
    response = orjson.loads(body)["response"]
    assert response["allowed"] is False
    assert response["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
    assert (
        response["status"]["message"] == "podgate: no decision within the request's deadline (0.9s)"
    )


def test_audit_mode_counts_what_it_would_have_denied(sources: Sources) -> None:
    rt = runtime(sources, mode="audit", psp=True, pss=True)
    status, _, body = call_app(WebhookApp(rt), "/validate", orjson.dumps(review(debug_pod())))
    assert status == 200 and orjson.loads(body)["response"]["allowed"] is True
    text = rt.metrics.render().decode()
    assert (
        'podgate_audit_mode_would_deny_total{operation="create",resource="pods",webhook="validate"} 1.0'
        in text
    )


def test_the_body_cap_is_applied_while_streaming(sources: Sources) -> None:
    app = WebhookApp(runtime(sources))
    status, headers, body = call_app(app, "/validate", b"x" * (MAX_BODY_BYTES + 1), chunks=40)
    assert status == 413 and headers[b"connection"] == b"close"
    assert body == b"request entity is too large; limit is 3145728 bytes\n"
    status, _, body = call_app(app, "/validate", b"{}", content_type=b"text/plain")
    assert status == 400 and body.startswith(b"Content-Type must be application/json")


def test_reloaded_rbac_is_used_by_the_next_decision(tmp_path: Path) -> None:
    rbac_dir = tmp_path / "rbac"
    rbac_dir.mkdir()
    (rbac_dir / "roles.yaml").write_text((EXAMPLES / "rbac" / "psp-roles.yaml").read_text())
    rbac = FileRbacAuthorizer([str(rbac_dir)], max_bytes=1 << 20)
    rbac.load()
    assert not rbac.can_use(UserInfo("alice"), "shop", "restricted")
    (rbac_dir / "bindings.yaml").write_text((EXAMPLES / "rbac" / "psp-bindings.yaml").read_text())
    assert rbac.poll()
    assert rbac.can_use(pod_service_account("shop", "web"), "shop", "restricted")


def test_the_logger_is_thread_safe_json_lines() -> None:
    import io

    out = io.StringIO()
    logger = JsonLogger(out)
    threads = [
        threading.Thread(target=lambda: [logger.log("Allowed pod", uid=str(i)) for i in range(50)])
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = out.getvalue().splitlines()
    assert len(lines) == 200
    assert all(orjson.loads(line)["msg"] == "Allowed pod" for line in lines)


def test_latest_is_what_unlabelled_defaults_mean() -> None:
    assert str(LevelVersion(Level.PRIVILEGED, LATEST)) == "privileged:latest"
