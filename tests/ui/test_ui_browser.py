"""`podgate ui` in a real browser: Playwright for Python driving Debian's Chromium
(/usr/bin/chromium; Playwright's own browser download is neither reachable nor needed). One UI
server (the real command on the bundled example) and one browser for the module; a screenshot
of each page is written to out/ui-screenshots/ and kept after the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui_server import EXAMPLE, ROOT, Server, running

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="needs the ui-test extra (pip install -e '.[ui-test]')"
)
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "out" / "ui-screenshots"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
    ),
]

PAGES = {
    "overview": "/",
    "policies": "/policies",
    "policy": "/policies/db-ipc-lock",
    "preview-disable": "/policies/db-ipc-lock/preview",
    "namespaces": "/namespaces",
    "namespace": "/namespaces/shop",
    "preview-labels": "/namespaces/shop/preview?enforce=restricted&enforce-version=latest",
    "workloads": "/workloads",
    "workload": "/workloads/shop/StatefulSet/postgres",
    "rbac": "/rbac",
    "preview-binding": "/rbac/preview?policy=db-ipc-lock&namespace=shop&serviceaccount=default",
    "exceptions": "/exceptions",
    "advisor": "/advisor",
    "exports": "/exports?kubernetes-version=1.30",
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running(*EXAMPLE) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        # evil.test resolves to loopback: a DNS-rebinding page, with its own Host header
        args = ["--no-sandbox", "--host-resolver-rules=MAP evil.test 127.0.0.1"]
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield b
        b.close()


def _page(browser: Any, server: Server, *, js: bool = True, dark: bool = False) -> Any:
    context = browser.new_context(
        java_script_enabled=js,
        color_scheme="dark" if dark else "light",
        viewport={"width": 1360, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # no network: every request the page makes goes to this server
    page.on(
        "request",
        lambda r: None if r.url.startswith(server.base) else errors.append(f"off-host: {r.url}"),
    )
    page.goto(server.url)  # the token becomes a session cookie
    page.errors = errors
    return page


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _rows(page: Any, table: str) -> list[str]:
    return [
        r.inner_text() for r in page.locator(f"table#t-{table} tbody tr").all() if r.is_visible()
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_the_example_without_errors_and_is_kept_as_a_screenshot(
    browser: Any, server: Server, name: str
) -> None:
    page = _page(browser, server)
    response = page.goto(server.base + PAGES[name])
    assert response.status == 200
    page.wait_for_selector("html[data-js=ready]", state="attached")
    assert page.locator("h1").inner_text()
    assert page.errors == []  # no CSP violation, no script error
    _shot(page, name)
    page.context.close()


def test_dark_mode_overview_screenshot(browser: Any, server: Server) -> None:
    page = _page(browser, server, dark=True)
    bg = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert bg == "rgb(13, 17, 23)"
    _shot(page, "overview-dark")
    page.context.close()


def test_overview_shows_readiness_risk_and_the_namespace_grid(browser: Any, server: Server) -> None:
    page = _page(browser, server)
    text = page.locator("#readiness").inner_text()
    assert "workload PodSecurityPolicy would reject" in text  # debug-shell
    grid = {r.split("\t")[0]: r for r in _rows(page, "grid")}
    assert set(grid) == {"batch", "kube-system", "shop"}
    assert "1 rejected" in grid["shop"]
    page.context.close()


def test_workloads_filter_and_sort_in_the_browser(browser: Any, server: Server) -> None:
    page = _page(browser, server)
    page.goto(server.base + "/workloads")
    page.wait_for_selector("html[data-js=ready]", state="attached")
    assert len(_rows(page, "w")) == 5
    page.select_option("select[name='w.namespace']", "shop")
    assert [r.split("\t")[0] for r in _rows(page, "w")] == ["web", "postgres", "debug-shell"]
    assert "w.namespace=shop" in page.url  # the filtered view is a link
    page.click("th[data-key=name] a")
    assert [r.split("\t")[0] for r in _rows(page, "w")] == ["debug-shell", "postgres", "web"]
    page.click("th[data-key=name] a")
    assert [r.split("\t")[0] for r in _rows(page, "w")] == ["web", "postgres", "debug-shell"]
    page.fill("input[name='w.q']", "postgres")
    assert [r.split("\t")[0] for r in _rows(page, "w")] == ["postgres"]
    assert page.locator("form[data-table=w] output").inner_text() == "1 of 5"
    page.context.close()


def test_the_same_filters_and_sorting_work_without_javascript(browser: Any, server: Server) -> None:
    page = _page(browser, server, js=False)
    page.goto(server.base + "/workloads")
    page.select_option("select[name='w.psp']", "rejected")
    page.click("form[data-table=w] button[type=submit]")
    assert [r.split("\t")[0] for r in _rows(page, "w")] == ["debug-shell"]
    page.goto(server.base + "/workloads")
    page.click("th[data-key=name] a")  # a link: the server sorts
    assert [r.split("\t")[0] for r in _rows(page, "w")] == [
        "debug-shell", "nightly-report", "node-exporter", "postgres", "web"
    ]  # fmt: skip
    page.context.close()


def test_previewing_disabling_db_ipc_lock_lists_postgres_as_rejected(
    browser: Any, server: Server
) -> None:
    page = _page(browser, server)
    page.goto(server.base + "/policies/db-ipc-lock")
    page.click("text=Preview disabling")
    assert "/policies/db-ipc-lock/preview" in page.url
    breaks = page.locator("#breaks + ul").inner_text()
    assert "StatefulSet shop/postgres" in breaks
    assert 'capabilities.add: Invalid value: "IPC_LOCK": capability may not be added' in breaks
    rows = {r.split("\t")[0]: r for r in _rows(page, "c")}
    assert rows["StatefulSet shop/postgres"].split("\t")[1:4] == [
        "changed by db-ipc-lock", "rejected", "breaks"
    ]  # fmt: skip
    assert rows["Deployment shop/web"].split("\t")[3] == "same"
    page.context.close()


def test_previewing_enforce_restricted_on_shop_lists_what_breaks_without_javascript(
    browser: Any, server: Server
) -> None:
    page = _page(browser, server, js=False)
    page.goto(server.base + "/namespaces/shop")
    page.select_option("select[name=enforce]", "restricted")
    page.fill("input[name=enforce-version]", "latest")
    page.click("text=Preview label change")
    assert "enforce=restricted" in page.url
    breaks = page.locator("#breaks + ul").inner_text()
    assert "StatefulSet shop/postgres" in breaks
    assert "Pod shop/debug-shell" in breaks
    assert "Deployment shop/web" not in breaks
    assert 'violates PodSecurity "restricted:latest"' in breaks
    assert "pod-security.kubernetes.io/enforce: restricted" in page.locator("pre.yaml").inner_text()
    page.context.close()


def test_the_exception_form_previews_and_downloads_yaml_without_javascript(
    browser: Any, server: Server
) -> None:
    page = _page(browser, server, js=False)
    page.goto(server.base + "/exceptions")
    form = page.locator("form.exception-form")
    form.locator("input[name=namespace]").fill("shop")
    form.locator("input[name=workload]").fill("Pod/debug-shell")
    form.locator("input[name=id]").fill("debug-shell-accepted")
    form.locator("input[name=owner]").fill("sre@example.com")
    form.locator("input[name=expires]").fill("2030-01-31")
    form.locator("input[name=ticket]").fill("SEC-9")
    form.locator("textarea[name=justification]").fill("a break-glass shell")
    form.locator("button[type=submit]").click()
    assert "It would cover" in page.locator(".change").inner_text()
    with page.expect_download() as info:
        page.click("text=Download exception YAML")
    text = Path(info.value.path()).read_text()
    assert "id: debug-shell-accepted" in text
    assert "ticket: SEC-9" in text
    page.context.close()


def test_expired_exceptions_are_listed(browser: Any, server: Server) -> None:
    page = _page(browser, server)
    page.goto(server.base + "/exceptions?e.state=expired")
    rows = _rows(page, "e")
    assert [r.split("\t")[0] for r in rows] == ["report-job-hardening"]
    page.context.close()


def test_rbac_page_says_who_may_use_which_policy(browser: Any, server: Server) -> None:
    page = _page(browser, server)
    page.goto(server.base + "/rbac?who.policy=db-ipc-lock")
    rows = [r.replace("\t\n", "\t") for r in _rows(page, "who")]
    assert rows == ["shop\tpostgres\tdb-ipc-lock\tRoleBinding shop/psp:db-ipc-lock:postgres"]
    page.context.close()


def test_csv_export_of_a_table(browser: Any, server: Server) -> None:
    page = _page(browser, server)
    page.goto(server.base + "/workloads")
    with page.expect_download() as info:
        page.locator("#w-block caption a.csv").click()
    lines = Path(info.value.path()).read_text().splitlines()
    assert lines[0].startswith("Workload,Namespace,Kind")
    assert len(lines) == 6
    page.context.close()


def test_keyboard_reaches_the_navigation_and_sorting(browser: Any, server: Server) -> None:
    page = _page(browser, server)
    page.goto(server.base + "/workloads")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "podgate"
    page.focus("th[data-key=name] a")
    page.keyboard.press("Enter")
    assert page.get_attribute("th[data-key=name]", "aria-sort") == "ascending"
    page.context.close()


def test_the_export_preview_lists_each_namespace_with_its_verdict(
    browser: Any, server: Server
) -> None:
    page = _page(browser, server)
    page.goto(server.base + "/exports?kubernetes-version=1.30")
    rows = {r.split("\t")[0]: r.split("\t")[1] for r in _rows(page, "x")}
    assert set(rows) == {"batch", "kube-system", "shop"}
    assert set(rows.values()) <= {"proved", "partial", "unproved"}
    assert (
        "pod-security.kubernetes.io/enforce-version: v1.30"
        in page.locator("pre.yaml").last.inner_text()
    )
    page.context.close()


def test_a_newcomer_reaches_the_three_answers_from_the_overview_by_links(
    browser: Any, server: Server
) -> None:
    page = _page(browser, server, js=False)
    page.click(".questions >> text=shop")
    breaks = page.locator("#breaks + ul").inner_text()
    assert "StatefulSet shop/postgres" in breaks and "Pod shop/debug-shell" in breaks
    # the link keeps the namespace's warn label: only enforce changes
    assert (
        "pod-security.kubernetes.io/warn=restricted" in page.locator(".before-after").inner_text()
    )
    page.goto(server.base + "/")
    page.click(".questions >> text=1 expired")
    assert [r.split("\t")[0] for r in _rows(page, "e")] == ["report-job-hardening"]
    page.goto(server.base + "/")
    page.click(".questions >> text=RBAC")
    assert "db-ipc-lock" in page.locator("#t-who").inner_text()
    page.context.close()


def test_in_the_browser_no_token_is_401_and_another_host_name_is_403(
    browser: Any, server: Server
) -> None:
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(server.base + "/workloads")
    assert response.status == 401
    assert "postgres" not in page.content()
    response = page.goto(f"http://evil.test:{server.port}/?token={server.token}")
    assert response.status == 403  # refused before the token is even looked at
    assert "is not served here" in page.inner_text("body")
    context.close()


def test_in_the_browser_a_form_posted_without_its_csrf_token_gets_403(
    browser: Any, server: Server
) -> None:
    page = _page(browser, server)
    page.goto(server.base + "/exceptions")
    form = page.locator("form.exception-form")
    form.locator("input[name=namespace]").fill("shop")
    form.locator("input[name=id]").fill("x")
    form.locator("input[name=owner]").fill("o@example.com")
    form.locator("input[name=expires]").fill("2030-01-01")
    form.locator("textarea[name=justification]").fill("j")
    page.evaluate("document.querySelector('form.exception-form input[name=csrf]').remove()")
    with page.expect_response("**/exceptions/new") as info:
        form.locator("button[type=submit]").click()
    assert info.value.status == 403
    assert "CSRF" in page.inner_text("body")
    page.context.close()
