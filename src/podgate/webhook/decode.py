"""An AdmissionReview request, checked and decoded once into the value both engines read
(`ReviewRequest`): every field a decision uses has its type checked here, or the review is a
`BadReview` (answered 400 with the failure behaviour)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podgate.errors import PodgateError
from podgate.io.gojson import GoNumbers, beyond_range
from podgate.k8s import mapping
from podgate.k8s.gotext import go_quote
from podgate.k8s.identity import UserInfo
from podgate.k8s.shape import pod_shape_errors
from podgate.pss.admission import AdmissionRequest, GroupVersionKind, Operation
from podgate.webhook.reviews import ADMISSION_VERSION

__all__ = ["BadReview", "ReviewRequest", "parse", "pod_problem", "uid_of", "undecodable"]

_OPERATIONS = tuple(o.value for o in Operation)


_INFINITY = "number is infinity when parsed as double"  # orjson's words for `1e400`


def undecodable(body: bytes, reason: str) -> str:
    """Why a body orjson refused (`reason`) cannot be read: JSON holding a number beyond a
    64-bit float's range, named with its field (the API server's decoder refuses such a
    number, so it never sends one), or no JSON."""
    if reason.startswith(_INFINITY):
        decoder = GoNumbers()
        try:
            found = beyond_range(decoder, decoder.decode(body.decode("utf-8")))
        except (ValueError, RecursionError):
            found = None
        if found is not None:
            return f"podgate: the body is JSON, but {found.message('the API server')}"
    return f"podgate: the body is not JSON: {reason}"


class BadReview(PodgateError, ValueError):
    """An AdmissionReview podgate cannot understand."""


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """The fields of one AdmissionReview request that decisions read, checked. `pss` is the same
    request as Pod Security Admission routes it (built once, here)."""

    uid: str
    operation: Operation
    group: str
    resource: str
    subresource: str  # the subresource acted on (PSP's view)
    request_subresource: str  # the requested one (PSA's routing)
    kind: GroupVersionKind
    namespace: str
    name: str
    requester: UserInfo | None  # request.userInfo, verbatim
    object: Any
    old_object: Any
    dry_run: bool
    pss: AdmissionRequest

    @property
    def is_pod(self) -> bool:
        return self.group == "" and self.resource == "pods"

    @property
    def group_resource(self) -> str:
        """`group/resource`, or the resource alone in the core group (for logs and metrics)."""
        return f"{self.group}/{self.resource}" if self.group else self.resource

    @property
    def username(self) -> str:
        return self.requester.name if self.requester else ""

    @property
    def pod_name(self) -> str:
        """The request's name, else the object's `metadata.name` or `generateName`."""
        if self.name:
            return self.name
        meta = mapping(mapping(self.object).get("metadata"))
        name = meta.get("name") or meta.get("generateName")
        return name if isinstance(name, str) else ""


def _str(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadReview(f"{where}: expected a string")
    return value


def _map(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadReview(f"{where}: expected an object")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadReview(f"{where}: expected a list of strings")
    return tuple(value)


def uid_of(doc: Any) -> str:
    """The request's uid when there is one, else "" (for answering what cannot be parsed)."""
    if isinstance(doc, Mapping):
        request = doc.get("request")
        if isinstance(request, Mapping):
            uid = request.get("uid")
            if isinstance(uid, str):
                return uid
    return ""


def _requester(request: Mapping[str, Any]) -> UserInfo | None:
    user = _map(request.get("userInfo"), "request.userInfo")
    extra = _map(user.get("extra"), "request.userInfo.extra")
    requester = UserInfo(
        _str(user.get("username"), "request.userInfo.username"),
        _strings(user.get("groups"), "request.userInfo.groups"),
        _str(user.get("uid"), "request.userInfo.uid"),
        tuple((k, _strings(v, f"request.userInfo.extra[{k}]")) for k, v in extra.items()),
    )
    return requester if requester.name else None


def parse(doc: Any) -> ReviewRequest:
    """The request of an AdmissionReview (`reviews.Review`), checked; BadReview otherwise."""
    if not isinstance(doc, Mapping):
        raise BadReview("the body is not a JSON object")
    if doc.get("apiVersion") != ADMISSION_VERSION or doc.get("kind") != "AdmissionReview":
        api, got_kind = go_quote(str(doc.get("apiVersion"))), go_quote(str(doc.get("kind")))
        got = f"apiVersion {api} kind {got_kind}"
        raise BadReview(f"expected apiVersion {ADMISSION_VERSION} kind AdmissionReview, got {got}")
    request = doc.get("request")
    if not isinstance(request, Mapping):
        raise BadReview("request: missing")
    uid = _str(request.get("uid"), "request.uid")
    if not uid:
        raise BadReview("request.uid: missing")
    given = _str(request.get("operation"), "request.operation")
    if given not in _OPERATIONS:
        raise BadReview(f"request.operation: expected one of {', '.join(_OPERATIONS)}")
    operation = Operation(given)
    resource = _map(request.get("resource"), "request.resource")
    kind = _map(request.get("kind"), "request.kind")
    requester = _requester(request)
    subresource = _str(request.get("subResource"), "request.subResource")
    requested = request.get("requestSubResource")
    dry_run = request.get("dryRun")
    if dry_run is not None and not isinstance(dry_run, bool):
        raise BadReview("request.dryRun: expected a boolean")
    group = _str(resource.get("group"), "request.resource.group")
    resource_name = _str(resource.get("resource"), "request.resource.resource")
    request_subresource = (
        _str(requested, "request.requestSubResource") if requested is not None else subresource
    )
    gvk = GroupVersionKind(
        _str(kind.get("group"), "request.kind.group"),
        _str(kind.get("version"), "request.kind.version"),
        _str(kind.get("kind"), "request.kind.kind"),
    )
    namespace = _str(request.get("namespace"), "request.namespace")
    name = _str(request.get("name"), "request.name")
    obj, old = request.get("object"), request.get("oldObject")
    return ReviewRequest(
        uid=uid,
        operation=operation,
        group=group,
        resource=resource_name,
        subresource=subresource,
        request_subresource=request_subresource,
        kind=gvk,
        namespace=namespace,
        name=name,
        requester=requester,
        object=obj,
        old_object=old,
        dry_run=bool(dry_run),
        pss=AdmissionRequest(
            operation=operation,
            resource=resource_name,
            group=group,
            kind=gvk,
            subresource=request_subresource,
            namespace=namespace,
            name=name,
            username=requester.name if requester else "",
            groups=requester.groups if requester else (),
            object=obj if isinstance(obj, Mapping) else None,
            old_object=old if isinstance(old, Mapping) else None,
            dry_run=bool(dry_run),
        ),
    )


def pod_problem(request: ReviewRequest) -> str:
    """Why the request's pod (and old pod) cannot be evaluated; "" when they can."""
    for label, obj in (("object", request.object), ("oldObject", request.old_object)):
        if obj is None:
            if label == "object":
                return "failed to decode pod: request.object is missing"
            continue
        if not isinstance(obj, Mapping) or obj.get("kind") not in (None, "Pod"):
            return f"failed to decode pod: request.{label} is not a Pod"
        errors = pod_shape_errors(obj)
        if errors:
            return f"failed to decode pod: request.{label}.{errors[0]}"
    return ""
