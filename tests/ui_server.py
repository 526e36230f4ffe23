"""`podgate ui` on the bundled example, started as a user starts it (the real command, in a
subprocess, on a free loopback port), for the UI's HTTP and browser tests."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = [
    str(ROOT / "examples" / "cluster"),
    str(ROOT / "examples" / "policies"),
    str(ROOT / "examples" / "rbac"),
    "--exceptions",
    str(ROOT / "examples" / "exceptions.yaml"),
]
_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)")


@dataclass(frozen=True)
class Server:
    port: int
    token: str
    process: subprocess.Popen[str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/?token={self.token}"

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: str | None = None,
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
        finally:
            conn.close()

    def session_cookie(self) -> str:
        status, headers, _ = self.request("GET", f"/?token={self.token}")
        assert status == 303
        return headers["set-cookie"].split(";", 1)[0]


@contextmanager
def running(*args: str) -> Iterator[Server]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from podgate.cli.main import main; main()",
            "ui",
            *args,
            "--listen",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        lines = []
        found = None
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            found = _URL.search(line)
            if found:
                break
        assert found, "podgate ui printed no URL:\n" + "".join(lines)
        yield Server(int(found.group(1)), found.group(2), proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        with proc:  # reaps the process and closes its pipes (left open, they warn when collected)
            pass
