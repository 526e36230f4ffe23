"""The UI's ASGI application, beside the webhook's and built the same way (no framework): the
guard first (`security.py`), then a dozen GET routes that render pages, downloads and CSV, and
three POST routes (the exception form, its download, and applying a change).

Every page is server-rendered and complete without JavaScript; its state (filters, sorting,
the preview's parameters) is in the URL. `ui.js` (package data, served from /static) filters
and sorts tables in place and adds nothing that the server does not do too."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from jinja2 import Environment

from podgate.errors import PolicyError
from podgate.export import DEFAULT_KUBERNETES_VERSION, ExportError
from podgate.report.templating import environment
from podgate.scan.exceptions import parse_exceptions
from podgate.scan.inventory import WorkloadRef
from podgate.ui import pages, pages_extra, pages_policy, pages_workloads
from podgate.ui.changes import Change, to_yaml
from podgate.ui.model import Model
from podgate.ui.pages import Page
from podgate.ui.security import SECURITY_HEADERS, Guard
from podgate.webhook.app import Receive, Scope, Send, _header

Applier = Callable[[Change], list[dict[str, Any]]]

MAX_FORM_BYTES = 64 * 1024
STATIC = {
    "ui.css": "text/css; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
NAV = (
    ("overview", "/", "Overview"),
    ("policies", "/policies", "Policies"),
    ("namespaces", "/namespaces", "Namespaces"),
    ("workloads", "/workloads", "Workloads"),
    ("rbac", "/rbac", "RBAC"),
    ("exceptions", "/exceptions", "Exceptions"),
    ("advisor", "/advisor", "Advisor"),
    ("exports", "/exports", "Exports"),
)
EXCEPTION_FIELDS = ("id", "justification", "owner", "expires", "ticket")
SCOPE_FIELDS = ("namespace", "serviceAccount", "workload", "container", "control", "check")


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[bytes, bytes], ...] = ()


@cache
def _environment() -> Environment:
    env = environment("podgate.ui")
    env.globals["nav"] = NAV
    env.globals["quote"] = quote
    return env


@cache
def _static(name: str) -> bytes:
    here = resources.files("podgate.ui").joinpath("static", name).read_bytes()
    if name == "ui.css":  # the HTML report's look, then the UI's own rules
        report = resources.files("podgate.report").joinpath("templates", "report.css").read_bytes()
        return report + b"\n" + here
    return here


def _text(status: int, text: str) -> Response:
    return Response(status, text.encode(), "text/plain; charset=utf-8")


class UiApp:
    def __init__(
        self,
        model: Model,
        guard: Guard,
        *,
        allow_changes: bool = False,
        applier: Applier | None = None,
        version: str = "",
        audit: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.model = model
        self.guard = guard
        self.allow_changes = allow_changes
        self.applier = applier
        self.version = version
        self.audit = audit
        self._lock = asyncio.Lock()  # one preview scan at a time (the machine's cores are few)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # served with lifespan="off"
            return
        response = await self._respond(scope, receive)
        headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(response.body)).encode()),
            *SECURITY_HEADERS,
            *response.headers,
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    async def _respond(self, scope: Scope, receive: Receive) -> Response:
        guard = self.guard
        host = _header(scope, b"host")
        if not guard.host_ok(host):
            return _text(403, f"podgate ui: Host {host!r} is not served here (DNS rebinding?)\n")
        method = scope.get("method", "GET")
        path = scope.get("path", "/")
        params = dict(parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1")))
        token = params.pop("token", "")
        if token:
            if not guard.token_ok(token):
                return _text(401, "podgate ui: wrong token\n")
            location = path + (("?" + urlencode(params)) if params else "")
            return Response(
                303,
                b"",
                headers=((b"location", location.encode()), (b"set-cookie", guard.set_cookie())),
            )
        if not guard.authenticated(_header(scope, b"cookie"), _header(scope, b"authorization")):
            return _text(401, "podgate ui: open the URL with the token that `podgate ui` printed\n")
        if method == "POST":
            if not guard.origin_ok(_header(scope, b"origin"), host):
                return _text(403, "podgate ui: refused: the request's Origin is not this server\n")
            body = await _read(receive, MAX_FORM_BYTES)
            if body is None:
                return _text(413, "podgate ui: form too large\n")
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            if not guard.csrf_ok(form.get("csrf", "")):
                return _text(403, "podgate ui: refused: missing or wrong CSRF token\n")
            async with self._lock:
                return await _guarded(self._post, path, form)
        if method not in ("GET", "HEAD"):
            return _text(405, "podgate ui: method not allowed\n")
        if path.startswith("/static/"):
            name = path[len("/static/") :]
            if name not in STATIC:
                return _text(404, "not found\n")
            return Response(200, _static(name), STATIC[name])
        async with self._lock:
            return await _guarded(self._get, path, params)

    # --- GET --------------------------------------------------------------------------------
    def _get(self, path: str, params: dict[str, str]) -> Response:
        m = self.model
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        found: Page | str | None = None
        match parts:
            case []:
                found = pages.overview(m, params)
            case ["workloads"]:
                found = pages_workloads.workloads(m, params)
            case ["workloads", ns, kind, name]:
                found = pages_workloads.workload(
                    m, params, WorkloadRef("" if ns == "-" else ns, kind, name)
                )
            case ["namespaces"]:
                found = pages.namespaces(m, params)
            case ["namespaces", name]:
                found = pages.namespace(m, params, name)
                if found is not None:
                    found.context["form"] = pages_policy.preview_defaults(m, name)
                    found.context["levels"] = pages_policy.level_choices()
            case ["namespaces", name, "preview"]:
                found = pages_policy.label_preview(m, params, name)
            case ["policies"]:
                found = pages_policy.policies(m, params)
            case ["policies", name]:
                found = pages_policy.policy(m, params, name)
            case ["policies", name, "preview"]:
                found = pages_policy.toggle_preview(m, params, name)
            case ["rbac"]:
                found = pages_policy.rbac(m, params)
            case ["rbac", "preview"]:
                found = pages_policy.binding_preview(m, params)
            case ["exceptions"]:
                found = pages.exceptions(m, params)
                found.context["form"] = {}
                found.context["form_errors"] = []
            case ["advisor"]:
                found = pages_extra.advisor(m, params)
            case ["exports"]:
                found = pages_extra.exports(m, params)
            case ["exports.yaml"]:
                version = params.get("kubernetes-version", "") or DEFAULT_KUBERNETES_VERSION
                try:
                    result = m.export_to(params.get("to", "psa"), version)
                except ExportError as e:
                    return _text(400, f"podgate ui: {e}\n")
                name = f"podgate-{result.target}-{result.kubernetes_version}.yaml"
                return _download(name, to_yaml(*result.objects))
            case ["advisor.yaml"]:
                advice, _ = m.advice
                return _download("podgate-advised-policies.yaml", to_yaml(*advice.manifests))
            case ["change"]:
                change = pages_policy.change_for(m, params)
                if isinstance(change, str):
                    return _text(400, f"podgate ui: {change}\n")
                return _download(change.filename, change.text)
            case _:
                found = None
        if found is None:
            return self._page(
                Page("error.html.j2", "Not found", ""), params, 404, message=f"Nothing at {path}."
            )
        if isinstance(found, str):
            return self._page(Page("error.html.j2", "Bad request", ""), params, 400, message=found)
        if params.get("format") == "csv":
            table = found.tables.get(params.get("table", ""))
            if table is None:
                return _text(404, "podgate ui: no such table on this page\n")
            return Response(
                200,
                table.to_csv().encode(),
                "text/csv; charset=utf-8",
                ((b"content-disposition", f'attachment; filename="{table.id}.csv"'.encode()),),
            )
        return self._page(found, params)

    def _page(
        self, page: Page, params: Mapping[str, str], status: int = 200, **extra: Any
    ) -> Response:
        params = {k: v for k, v in params.items() if k not in ("format", "table")}
        html = (
            _environment()
            .get_template(page.template)
            .render(
                page=page,
                t=page.tables,
                params=params,
                csrf=self.guard.csrf,
                allow_changes=self.allow_changes,
                live=self.applier is not None,
                model=self.model,
                result=self.model.result,
                version=self.version,
                **page.context,
                **extra,
            )
        )
        return Response(status, html.encode())

    # --- POST -------------------------------------------------------------------------------
    def _post(self, path: str, form: dict[str, str]) -> Response:
        if path == "/exceptions/new":
            return self._new_exception(form)
        if path == "/apply":
            return self._apply(form)
        return _text(404, "not found\n")

    def _new_exception(self, form: dict[str, str]) -> Response:
        item: dict[str, Any] = {
            k: form[k].strip() for k in EXCEPTION_FIELDS if form.get(k, "").strip()
        }
        scope = {k: form[k].strip() for k in SCOPE_FIELDS if form.get(k, "").strip()}
        item["scope"] = scope
        doc = {"apiVersion": "podgate.io/v1alpha1", "kind": "ExceptionList", "exceptions": [item]}
        errors: list[str] = []
        try:
            parsed = parse_exceptions(doc)
        except PolicyError as e:
            errors.append(str(e))
        page = pages.exceptions(self.model, {})
        page.context["form"] = form
        page.context["form_errors"] = errors
        if errors:
            return self._page(page, {}, 400)
        new = parsed[0]
        taken = {e.id for e in self.model.options.exceptions}
        if new.id in taken:
            page.context["form_errors"] = [f"exception id {new.id!r} is already in the file"]
            return self._page(page, {}, 400)
        text = to_yaml(item)
        if form.get("download"):
            return _download(
                f"exception-{new.id}.yaml",
                "# append to the exceptions: list\n- " + text.replace("\n", "\n  ").rstrip() + "\n",
            )
        options = replace(self.model.options, exceptions=(*self.model.options.exceptions, new))
        model = replace(self.model, options=options, _scans={})
        status = next(s for s in model.result.exceptions if s.exception.id == new.id)
        page.context["new"] = {"yaml": text, "status": status, "item": item}
        return self._page(page, {})

    def _apply(self, form: dict[str, str]) -> Response:
        if not self.allow_changes:
            return _text(
                403,
                "podgate ui: read-only; start it with --allow-changes --live to apply changes\n",
            )
        if self.applier is None:
            return _text(
                409,
                "podgate ui: not connected to a cluster (--live); download the change instead\n",
            )
        change = pages_policy.change_for(self.model, form)
        if isinstance(change, str):
            return _text(400, f"podgate ui: {change}\n")
        results = self.applier(change)
        page = Page("applied.html.j2", f"{change.title}: result", "")
        return self._page(
            page, {}, 200, change=change, results=results, when=dt.datetime.now(dt.UTC)
        )


async def _guarded(handler: Callable[[str, dict[str, str]], Response], *args: Any) -> Response:
    """A handler run in a thread; a bug answers 500 with one line on stderr, not a traceback
    in the browser."""
    try:
        return await asyncio.to_thread(handler, *args)
    except Exception as e:  # noqa: BLE001 (any bug: answer, log one line, keep serving)
        sys.stderr.write(f"podgate ui: internal error: {type(e).__name__}: {e}\n")
        return _text(500, "podgate ui: internal error (see the server's log)\n")


def _download(filename: str, text: str) -> Response:
    return Response(
        200,
        text.encode(),
        "application/yaml; charset=utf-8",
        ((b"content-disposition", f'attachment; filename="{filename}"'.encode()),),
    )


async def _read(receive: Receive, cap: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        body = message.get("body", b"")
        size += len(body)
        if size > cap:
            return None
        chunks.append(body)
        if not message.get("more_body"):
            return b"".join(chunks)
