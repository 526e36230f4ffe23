"""`podgate ui` over plain HTTP: the guard (token, Host, Origin, CSRF, headers), downloads,
CSV, and the command's own refusals. The real command on the bundled example, on loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tests.ui_server import EXAMPLE, ROOT, Server, running

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running(*EXAMPLE) as s:
        yield s


def _get(server: Server, path: str, **headers: str) -> tuple[int, dict[str, str], str]:
    base = {"Host": f"127.0.0.1:{server.port}", "Cookie": server.session_cookie()}
    return server.request("GET", path, headers={**base, **headers})


def _csrf(server: Server) -> str:
    _, _, html = _get(server, "/exceptions")
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _post(server: Server, path: str, form: dict[str, str], **headers: str) -> tuple[int, str]:
    base = {
        "Host": f"127.0.0.1:{server.port}",
        "Cookie": server.session_cookie(),
        "Origin": f"http://127.0.0.1:{server.port}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    status, _, body = server.request(
        "POST", path, headers={**base, **headers}, body=urlencode(form)
    )
    return status, body


EXCEPTION = {
    "namespace": "shop",
    "workload": "Pod/debug-shell",
    "id": "debug",
    "owner": "sre@example.com",
    "expires": "2030-01-01",
    "justification": "break glass",
}


def test_a_request_without_the_token_is_refused_with_no_data(server: Server) -> None:
    status, _, body = server.request(
        "GET", "/workloads", headers={"Host": f"127.0.0.1:{server.port}"}
    )
    assert status == 401
    assert "postgres" not in body


def test_a_wrong_token_is_refused(server: Server) -> None:
    status, headers, _ = server.request("GET", "/?token=" + "x" * 43)
    assert status == 401
    assert "set-cookie" not in headers


def test_the_token_becomes_a_strict_http_only_session_cookie(server: Server) -> None:
    status, headers, _ = server.request("GET", f"/workloads?w.namespace=shop&token={server.token}")
    assert status == 303
    assert headers["location"] == "/workloads?w.namespace=shop"  # the token leaves the URL
    assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]


def test_a_bearer_token_works_too(server: Server) -> None:
    status, _, _ = server.request(
        "GET",
        "/",
        headers={"Host": f"127.0.0.1:{server.port}", "Authorization": f"Bearer {server.token}"},
    )
    assert status == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "127.0.0.1", "127.0.0.1:1", "attacker.test:{port}"]
)
def test_another_host_header_is_refused_even_with_the_session(server: Server, host: str) -> None:
    status, _, body = _get(server, "/", Host=host.format(port=server.port))
    assert status == 403
    assert "Host" in body


def test_localhost_names_are_served(server: Server) -> None:
    for host in ("localhost", "[::1]"):
        status, _, _ = _get(server, "/", Host=f"{host}:{server.port}")
        assert status == 200


def test_every_answer_carries_a_strict_csp_and_same_origin_referrer_policy(server: Server) -> None:
    for path in ("/", "/static/ui.js", "/nope"):
        _, headers, _ = _get(server, path)
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-content-type-options"] == "nosniff"


def test_pages_have_no_inline_script_or_style(server: Server) -> None:
    for path in ("/", "/workloads", "/policies/db-ipc-lock/preview", "/exceptions"):
        _, _, html = _get(server, path)
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " on" + "click=" not in html


def test_a_post_without_the_csrf_token_gets_403(server: Server) -> None:
    status, body = _post(server, "/exceptions/new", EXCEPTION)
    assert status == 403
    assert "CSRF" in body


def test_a_post_with_a_wrong_csrf_token_gets_403(server: Server) -> None:
    status, _ = _post(server, "/exceptions/new", {**EXCEPTION, "csrf": "0" * 64})
    assert status == 403


@pytest.mark.parametrize("origin", ["", "null", "http://evil.example", "http://127.0.0.1:1"])
def test_a_post_from_another_origin_gets_403_even_with_the_csrf_token(
    server: Server, origin: str
) -> None:
    headers = {"Origin": origin} if origin else {"Origin": ""}
    status, body = _post(server, "/exceptions/new", {**EXCEPTION, "csrf": _csrf(server)}, **headers)
    assert status == 403
    assert "Origin" in body


def test_the_exception_form_writes_yaml_that_podgate_reads_back(server: Server, tmp_path) -> None:
    status, body = _post(
        server,
        "/exceptions/new",
        {**EXCEPTION, "ticket": "SEC-1", "csrf": _csrf(server), "download": "1"},
    )
    assert status == 200
    lines = body.splitlines()
    assert lines[1].startswith("- ")
    path = tmp_path / "exc.yaml"
    path.write_text(
        "apiVersion: podgate.io/v1alpha1\nkind: ExceptionList\nexceptions:\n"
        + "\n".join(lines[1:])
        + "\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", "from podgate.cli.main import main; main()", "scan", *EXAMPLE[:3],
         "--exceptions", str(path), "-o", "json"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    assert '"id": "debug"' in proc.stdout


def test_an_invalid_exception_is_refused_with_the_parsers_message(server: Server) -> None:
    status, body = _post(
        server, "/exceptions/new", {**EXCEPTION, "expires": "someday", "csrf": _csrf(server)}
    )
    assert status == 400
    assert "exceptions[0].expires: expected a date as YYYY-MM-DD" in body


def test_applying_is_refused_when_read_only(server: Server) -> None:
    status, body = _post(
        server, "/apply", {"action": "toggle", "policy": "db-ipc-lock", "csrf": _csrf(server)}
    )
    assert status == 403
    assert "read-only" in body


def test_the_disable_change_downloads_as_yaml(server: Server) -> None:
    status, headers, body = _get(server, "/change?action=toggle&policy=db-ipc-lock")
    assert status == 200
    assert 'filename="disable-db-ipc-lock.yaml"' in headers["content-disposition"]
    assert "kubectl delete podsecuritypolicy db-ipc-lock" in body


def test_the_label_change_is_a_merge_patch(server: Server) -> None:
    status, _, body = _get(server, "/change?action=label&namespace=shop&enforce=restricted")
    assert status == 200
    assert "pod-security.kubernetes.io/enforce: restricted" in body
    assert "pod-security.kubernetes.io/enforce-version: null" in body  # v1.30 is removed


def test_csv_of_a_filtered_table_holds_only_its_rows(server: Server) -> None:
    status, headers, body = _get(server, "/workloads?w.namespace=shop&format=csv&table=w")
    assert status == 200
    assert headers["content-type"].startswith("text/csv")
    rows = body.splitlines()
    assert len(rows) == 4
    assert all(",shop," in r for r in rows[1:])


def test_an_unknown_label_level_is_a_400(server: Server) -> None:
    status, _, body = _get(server, "/namespaces/shop/preview?enforce=strict")
    assert status == 400
    assert "not privileged, baseline or restricted" in body


def test_unknown_pages_are_404(server: Server) -> None:
    for path in ("/policies/nope", "/namespaces/nope", "/workloads/a/b/c", "/static/../x"):
        status, _, _ = _get(server, path)
        assert status == 404


def _ui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from podgate.cli.main import main; main()", "ui", *args],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=60,
    )  # fmt: skip


def test_a_non_loopback_address_is_refused_unless_asked() -> None:
    proc = _ui(*EXAMPLE, "--listen", "0.0.0.0:0")
    assert proc.returncode == 2
    assert "not a loopback address" in proc.stderr


def test_allow_changes_needs_live() -> None:
    proc = _ui(*EXAMPLE, "--allow-changes")
    assert proc.returncode == 2
    assert "--allow-changes needs --live" in proc.stderr


def test_the_token_file_is_written_then_read(tmp_path) -> None:
    path = tmp_path / "token"
    with running(*EXAMPLE, "--token-file", str(path)) as first:
        assert path.read_text().strip() == first.token
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    with running(*EXAMPLE, "--token-file", str(path)) as second:
        assert second.token == first.token


def test_a_workload_defined_twice_has_a_page_per_definition(tmp_path) -> None:
    from tests.scan.test_scan_preview import POSTGRES_WITHOUT_IPC_LOCK

    again = tmp_path / "postgres.yaml"
    again.write_text(POSTGRES_WITHOUT_IPC_LOCK)
    with running(*EXAMPLE, str(again)) as server:
        _, _, table = _get(server, "/workloads")
        assert "postgres (definition 2)" in table
        status, _, first = _get(server, "/workloads/shop/StatefulSet/postgres")
        assert status == 200 and "Defined 2 times" in first
        status, _, second = _get(server, "/workloads/shop/StatefulSet/postgres?at=1")
        assert status == 200 and str(again) in second.split("the others:")[0]
        status, _, _ = _get(server, "/workloads/shop/StatefulSet/postgres?at=2")
        assert status == 404


def test_a_disabled_podgate_policy_is_left_out_and_previewing_enabling_it_fixes_postgres(
    tmp_path,
) -> None:
    text = (ROOT / "examples" / "policies" / "db-ipc-lock.yaml").read_text()
    text = text.replace("apiVersion: policy/v1beta1", "apiVersion: podgate.io/v1")
    text = text.replace("  annotations:\n", '  annotations:\n    podgate.io/disabled: "true"\n')
    off = tmp_path / "db-ipc-lock.yaml"
    off.write_text(text)
    policies = [
        str(ROOT / "examples" / "policies" / f"{n}.yaml") for n in ("privileged", "restricted")
    ]
    args = [
        str(ROOT / "examples" / "cluster"),
        str(ROOT / "examples" / "rbac"),
        *policies,
        str(off),
    ]
    with running(*args) as server:
        _, _, page = _get(server, "/policies/db-ipc-lock")
        assert "disabled" in page and "Preview enabling" in page
        _, _, table = _get(server, "/workloads?w.psp=rejected&format=csv&table=w")
        assert "postgres" in table  # no usable policy admits IPC_LOCK while it is off
        status, _, preview = _get(server, "/policies/db-ipc-lock/preview")
        assert status == 200
        assert "Enabling db-ipc-lock" in preview
        _, _, rows = _get(server, "/policies/db-ipc-lock/preview?format=csv&table=c")
        (postgres,) = [r for r in rows.splitlines() if r.startswith("StatefulSet shop/postgres,")]
        assert postgres.split(",")[1:4] == ["rejected", "changed by db-ipc-lock", "fixed"]
        _, _, change = _get(server, "/change?action=toggle&policy=db-ipc-lock")
        assert "podgate.io/disabled: null" in change


def test_the_vap_export_previews_each_policy_and_downloads_its_objects(server: Server) -> None:
    status, _, rows = _get(server, "/exports?to=vap&kubernetes-version=1.30&format=csv&table=x")
    assert status == 200
    names = [r.split(",")[0] for r in rows.splitlines()[1:]]
    assert names == ["db-ipc-lock", "privileged", "restricted"]
    status, headers, body = _get(server, "/exports.yaml?to=vap&kubernetes-version=1.30")
    assert 'filename="podgate-vap-1.30.yaml"' in headers["content-disposition"]
    assert "kind: ValidatingAdmissionPolicy" in body
    status, _, _ = _get(server, "/exports?to=nosuch")
    assert status == 400


def test_the_rbac_matrix_says_who_may_use_which_policy(server: Server) -> None:
    _, _, body = _get(server, "/rbac?format=csv&table=m")
    rows = {tuple(r.split(",")[:2]): r.split(",")[2:] for r in body.splitlines()[1:]}
    assert body.splitlines()[0] == "Namespace,Service account,db-ipc-lock,privileged,restricted"
    assert rows[("shop", "postgres")] == ["yes", "–", "yes"]
    assert rows[("shop", "web")] == ["–", "–", "yes"]
    assert rows[("kube-system", "node-exporter")] == ["–", "yes", "yes"]
