"""How requests to the API server authenticate: a bearer token, a token file, basic auth, a
client certificate or an exec credential plugin, as a kubeconfig user (or a pod's service
account) gives them.

Refresh. A token file is re-read when the file changes (the kubelet swaps a symlink when it
rotates a bound token), at least once a minute, and after a 401. An exec plugin runs on first
use, again when the credential it gave expires (`expirationTimestamp`), and again after a 401.
A static token or basic auth is never "refreshed": a 401 is final.

Exec plugins run as an argument list, never through a shell: `command` (relative to the
kubeconfig when it names a path), `args` and `env` as the kubeconfig gives them, with
KUBERNETES_EXEC_INFO; within EXEC_TIMEOUT seconds, their output capped at MAX_EXEC_OUTPUT bytes.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from podgate.errors import ApiError

__all__ = [
    "EXEC_API_VERSIONS",
    "EXEC_TIMEOUT",
    "MAX_EXEC_OUTPUT",
    "Credentials",
    "ExecCredential",
    "ExecPlugin",
    "TokenFile",
    "load_client_cert",
]

EXEC_TIMEOUT = 300.0  # seconds: an exec plugin may ask the user to log in
MAX_EXEC_OUTPUT = 1024 * 1024  # an ExecCredential is a few KiB, with a certificate
TOKEN_RECHECK_SECONDS = 60.0
EXEC_API_VERSIONS = (
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
    "client.authentication.k8s.io/v1alpha1",
)


class TokenFile:
    """A bearer token read from a file: again when the file changes (stat), at least every
    TOKEN_RECHECK_SECONDS, and when asked (`refresh=True`, after a 401). Thread-safe."""

    def __init__(
        self, path: Path, *, where: str = "", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path = path
        self._where = where
        self._clock = clock
        self._lock = threading.Lock()
        self._token = ""
        self._stamp: tuple[int, int, int] | None = None
        self._read_at = float("-inf")

    def __call__(self, *, refresh: bool = False) -> str:
        with self._lock:
            try:
                st = os.stat(self.path)  # follows the ..data symlink
                stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
                now = self._clock()
                if refresh or stamp != self._stamp or now - self._read_at >= TOKEN_RECHECK_SECONDS:
                    self._token = self.path.read_text("utf-8").strip()
                    self._stamp, self._read_at = stamp, now
            except (OSError, UnicodeDecodeError) as e:
                raise ApiError(f"cannot read token file {self.path}: {e}", where=self._where) from e
            return self._token


@dataclass(frozen=True, slots=True)
class ExecCredential:
    """What an exec plugin gave: a token or a client certificate and key (PEM), and when it
    expires (seconds since the epoch; None: never)."""

    token: str | None
    cert: tuple[bytes, bytes] | None
    expires: float | None


@dataclass(frozen=True, slots=True)
class ExecPlugin:
    """A kubeconfig user's `exec` entry, with the file that names it (relative commands are
    resolved against it) and the cluster it is for (`provideClusterInfo`)."""

    config: Mapping[str, Any]
    kubeconfig: Path | None = None
    cluster: Mapping[str, Any] | None = None

    def run(
        self, where: str, *, timeout: float = EXEC_TIMEOUT, limit: int = MAX_EXEC_OUTPUT
    ) -> ExecCredential:
        """Run the plugin once and return the credential it printed."""
        cfg = self.config
        api_version = cfg.get("apiVersion")
        if api_version not in EXEC_API_VERSIONS:
            raise ApiError(f"exec plugin: unsupported apiVersion {api_version!r}", where=where)
        command = cfg.get("command")
        if not isinstance(command, str) or not command:
            raise ApiError("exec plugin: no command", where=where)
        if os.sep in command and not os.path.isabs(command) and self.kubeconfig is not None:
            command = str(self.kubeconfig.parent / command)  # relative to the kubeconfig
        args = [str(a) for a in (cfg.get("args") or [])]
        env = dict(os.environ)
        for var in cfg.get("env") or []:
            if isinstance(var, dict) and isinstance(var.get("name"), str):
                env[var["name"]] = str(var.get("value", ""))
        interactive = cfg.get("interactiveMode", "IfAvailable") != "Never" and sys.stdin.isatty()
        spec: dict[str, Any] = {"interactive": interactive}
        if cfg.get("provideClusterInfo") and self.cluster is not None:
            spec["cluster"] = dict(self.cluster)
        env["KUBERNETES_EXEC_INFO"] = json.dumps(
            {"apiVersion": api_version, "kind": "ExecCredential", "spec": spec}
        )
        try:
            code, out, err = _run([command, *args], env, interactive, timeout, limit)
        except (OSError, subprocess.TimeoutExpired) as e:
            hint = cfg.get("installHint")
            more = f" ({str(hint).strip()})" if hint else ""
            raise ApiError(f"exec plugin {command!r} failed: {e}{more}", where=where) from e
        if len(out) > limit:
            raise ApiError(
                f"exec plugin {command!r}: its output is over {limit} bytes", where=where
            )
        if code != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            last = f": {lines[-1]}" if lines else ""
            raise ApiError(f"exec plugin {command!r} exited with {code}{last}", where=where)
        try:
            status = json.loads(out)["status"]
        except (ValueError, KeyError, TypeError) as e:
            raise ApiError(f"exec plugin {command!r}: not an ExecCredential", where=where) from e
        if not isinstance(status, dict):
            raise ApiError(f"exec plugin {command!r}: not an ExecCredential", where=where)
        expires = _expiry(status, command, where)
        if isinstance(status.get("token"), str):
            return ExecCredential(status["token"], None, expires)
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if isinstance(cert, str) and isinstance(key, str):
            return ExecCredential(None, (cert.encode(), key.encode()), expires)
        raise ApiError(f"exec plugin {command!r}: no token or certificate", where=where)


def _run(
    argv: list[str], env: dict[str, str], interactive: bool, timeout: float, limit: int
) -> tuple[int, bytes, bytes]:
    """Run `argv` (no shell) and return (exit code, stdout, the tail of stderr). stdout is read
    up to `limit + 1` bytes: a plugin that writes more is killed. Raises TimeoutExpired."""
    proc = subprocess.Popen(  # an argument list: no shell ever sees these strings
        argv,
        env=env,
        stdin=None if interactive else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=None if interactive else subprocess.PIPE,
    )
    out: list[bytes] = []
    err: list[bytes] = []

    def read_out(pipe: IO[bytes]) -> None:
        got = 0
        while chunk := pipe.read1(65536):  # type: ignore[attr-defined]
            out.append(chunk)
            got += len(chunk)
            if got > limit:
                proc.kill()
                return

    def read_err(pipe: IO[bytes]) -> None:
        while chunk := pipe.read1(65536):  # type: ignore[attr-defined]
            err.append(chunk)
            while len(err) > 2:  # the last line is all that is said
                del err[0]

    readers = [threading.Thread(target=read_out, args=(proc.stdout,), daemon=True)]
    if proc.stderr is not None:
        readers.append(threading.Thread(target=read_err, args=(proc.stderr,), daemon=True))
    for t in readers:
        t.start()
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    finally:
        for t in readers:
            t.join(5)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    return code, b"".join(out), b"".join(err)


def load_client_cert(ctx: ssl.SSLContext, cert: bytes, key: bytes, where: str = "") -> None:
    """The ssl module reads client certificates from files only: write them to a private
    temporary directory, load them, and remove them at once."""
    with tempfile.TemporaryDirectory(prefix="podgate-") as tmp:
        crt_path, key_path = Path(tmp, "client.crt"), Path(tmp, "client.key")
        for path, data in ((crt_path, cert), (key_path, key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        try:
            ctx.load_cert_chain(crt_path, key_path)
        except ssl.SSLError as e:
            raise ApiError(f"kubeconfig: unusable client certificate: {e}", where=where) from e


def _expiry(status: Mapping[str, Any], command: str, where: str) -> float | None:
    stamp = status.get("expirationTimestamp")
    if stamp is None:
        return None
    try:
        return datetime.fromisoformat(str(stamp)).timestamp()
    except ValueError as e:
        raise ApiError(
            f"exec plugin {command!r}: expirationTimestamp {stamp!r} is not a time", where=where
        ) from e


class Credentials:
    """One kubeconfig user's (or service account's) credentials, thread-safe. `authorization`
    gives the Authorization header for the next request (None: none) and loads a client
    certificate into the TLS context when there is one (new); `refresh=True` after a 401."""

    def __init__(
        self,
        *,
        token: str | None = None,
        token_file: TokenFile | None = None,
        basic: tuple[str, str] | None = None,
        cert: tuple[bytes, bytes] | None = None,
        exec_plugin: ExecPlugin | None = None,
        where: str = "",
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.token_file = token_file
        self.basic = basic
        self._cert = cert  # PEM certificate and key, not yet loaded into a TLS context
        self.exec_plugin = exec_plugin
        self.where = where
        self._wall = wall_clock
        self._lock = threading.Lock()
        self._exec_token: str | None = None
        self._exec_ran = False
        self._exec_expires: float | None = None
        self._loaded: weakref.WeakSet[ssl.SSLContext] = weakref.WeakSet()  # holding the cert

    @property
    def renewable(self) -> bool:
        """Whether a 401 is worth one more try: a token file or an exec plugin may give a
        fresh credential."""
        return self.token_file is not None or self.exec_plugin is not None

    @property
    def cert(self) -> tuple[bytes, bytes] | None:
        """The client certificate and key (PEM), from the kubeconfig or the exec plugin."""
        return self._cert

    def authorization(
        self, tls: ssl.SSLContext | None = None, *, refresh: bool = False
    ) -> str | None:
        with self._lock:
            if self.exec_plugin is not None:
                due = self._exec_expires is not None and self._wall() >= self._exec_expires
                if not self._exec_ran or refresh or due:
                    self._run_exec()
            if tls is not None and self._cert is not None and tls not in self._loaded:
                load_client_cert(tls, *self._cert, where=self.where)
                self._loaded.add(tls)
        if self.token_file is not None:
            return "Bearer " + self.token_file(refresh=refresh)
        if self.token is not None:
            return f"Bearer {self.token}"
        if self._exec_token is not None:
            return f"Bearer {self._exec_token}"
        if self.basic is not None:
            pair = f"{self.basic[0]}:{self.basic[1]}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        return None

    def _run_exec(self) -> None:
        assert self.exec_plugin is not None
        got = self.exec_plugin.run(self.where)
        self._exec_token, self._exec_expires = got.token, got.expires
        if got.cert is not None:
            self._cert = got.cert
            self._loaded = weakref.WeakSet()
        self._exec_ran = True
