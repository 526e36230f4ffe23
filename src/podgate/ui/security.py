"""The UI's guard: who may talk to it and how, checked before any page is built.

* **Host**: only the Host names the server was started for (loopback by default); anything
  else is refused with 403 (a DNS-rebinding page in another tab cannot read the UI).
* **Token**: a random token printed with the URL (`?token=`, as Jupyter does), or read from
  `--token-file`. The first request with it gets a session cookie (HttpOnly, SameSite=Strict)
  and is redirected to the same URL without the token; later requests need the cookie or an
  `Authorization: Bearer` header. Without either: 401, and no data.
* **POST**: the Origin header must be this server's, and the form must carry the CSRF token (an
  HMAC of the session secret): 403 otherwise.
* **Headers on every answer**: a strict Content-Security-Policy (scripts and styles from this
  server only; no inline script, no eval), `Referrer-Policy: same-origin` (Chromium sends
  `Origin: null` with `no-referrer` on a plain form POST), no framing, no sniffing, no caching."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _mac(secret: str, purpose: str) -> str:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Guard:
    token: str
    port: int
    hosts: frozenset[str] = field(default_factory=frozenset)  # allowed Host values, with port

    @classmethod
    def for_listen(cls, token: str, host: str, port: int, extra: Iterable[str] = ()) -> Guard:
        names = set(LOOPBACK_NAMES) if host in ("127.0.0.1", "::1", "localhost") else set()
        names.add(f"[{host}]" if ":" in host else host)
        hosts = {f"{n}:{port}" for n in names} | set(extra)
        return cls(token, port, frozenset(hosts))

    @property
    def cookie_name(self) -> str:
        return f"podgate-ui-{self.port}"  # cookies are per host, not per port: one per server

    @property
    def session(self) -> str:
        return _mac(self.token, "session")

    @property
    def csrf(self) -> str:
        return _mac(self.token, "csrf")

    def host_ok(self, host: str) -> bool:
        return host.lower() in self.hosts

    def origin_ok(self, origin: str, host: str) -> bool:
        """A POST's Origin: this server, as the browser reached it."""
        return (
            bool(origin)
            and self.host_ok(host)
            and origin.lower()
            in (
                f"http://{host.lower()}",
                f"https://{host.lower()}",
            )
        )

    def token_ok(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def csrf_ok(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.csrf.encode())

    def authenticated(self, cookie_header: str, authorization: str) -> bool:
        if authorization.lower().startswith("bearer ") and self.token_ok(authorization[7:].strip()):
            return True
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie_header)
        except Exception:  # noqa: BLE001 (a malformed Cookie header is no session)
            return False
        morsel = jar.get(self.cookie_name)
        return morsel is not None and hmac.compare_digest(
            morsel.value.encode(), self.session.encode()
        )

    def set_cookie(self) -> bytes:
        return f"{self.cookie_name}={self.session}; Path=/; HttpOnly; SameSite=Strict".encode()
