"""Who is asking, and is the request really theirs.

- **API keys.** An API client sends `Authorization: Bearer KEY`; a browser logs in once
  (`/login`: the key, checked against the cluster) and gets a session cookie (HttpOnly,
  SameSite=Strict) naming a session kept in memory here. Every call to the cluster carries
  that key, so the frontend decides what the person may see (a namespace's key sees its
  namespace only; the cluster pages need an admin key). With auth off no key is needed.
- **Cross-site requests.** Anything that changes state (POST) is refused when the browser
  says it comes from another site (`Origin` other than this server, or `Sec-Fetch-Site:
  cross-site`/`same-site`), and a browser's request must carry the page's CSRF token in
  `X-CSRF-Token`, equal to its `fanflow_csrf` cookie (double submit). A plain HTTP client
  (no cookies, no `Origin`) or one sending `Authorization` needs no token: a browser never
  adds either by itself. Request bodies must be JSON, which a cross-site form cannot send.
- **Host checks.** Bound to a loopback address, the server answers only requests whose
  `Host` is a loopback name, so a web page cannot reach it through DNS rebinding.
"""
from __future__ import annotations

import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

SESSION_COOKIE = "fanflow_session"
CSRF_COOKIE = "fanflow_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE = 12 * 3600  # seconds
MAX_SESSIONS = 10_000
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


@dataclass
class Session:
    api_key: str
    namespace: str
    admin: bool
    created: float = field(default_factory=time.monotonic)


class Sessions:
    """Logged-in browsers: session id (the cookie) -> the key they logged in with."""

    def __init__(self) -> None:
        self._by_id: dict[str, Session] = {}

    def create(self, api_key: str, namespace: str, admin: bool) -> str:
        if len(self._by_id) >= MAX_SESSIONS:
            self._expire()
        session_id = secrets.token_urlsafe(32)
        self._by_id[session_id] = Session(api_key, namespace, admin)
        return session_id

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._by_id.get(session_id)
        if session is None or time.monotonic() - session.created > SESSION_MAX_AGE:
            self._by_id.pop(session_id, None)
            return None
        return session

    def drop(self, session_id: str | None) -> None:
        if session_id:
            self._by_id.pop(session_id, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, s in self._by_id.items() if now - s.created > SESSION_MAX_AGE]:
            del self._by_id[key]
        while len(self._by_id) >= MAX_SESSIONS:
            self._by_id.pop(next(iter(self._by_id)))


def bearer_key(headers) -> str | None:
    header = headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return key.strip()
    return None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def cross_site_problem(method: str, headers, cookies, *, token_required: bool = True) -> str | None:
    """Why a state-changing request must be refused (403), or None when it may go on."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return None
    origin = headers.get("origin")
    host = headers.get("host", "")
    if origin and origin != "null" and urlsplit(origin).netloc != host:
        return f"cross-site request refused: Origin {origin!r} is not this server ({host})"
    if origin == "null":
        return "cross-site request refused: Origin is null"
    if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return "cross-site request refused (Sec-Fetch-Site: " + headers["sec-fetch-site"] + ")"
    if bearer_key(headers) or not token_required:
        return None
    browser = bool(origin or headers.get("sec-fetch-site") or cookies.get(SESSION_COOKIE) or cookies.get(CSRF_COOKIE))
    if not browser:
        return None
    expected, presented = cookies.get(CSRF_COOKIE, ""), headers.get(CSRF_HEADER, "")
    if not expected or not presented or not hmac.compare_digest(expected, presented):
        return "missing or wrong X-CSRF-Token header: send the page's CSRF token (the fanflow_csrf cookie) with every change"
    return None


def is_loopback_bind(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_allowed(host_header: str, allowed: frozenset[str] | None) -> bool:
    """`allowed` None: any Host (the server is bound to a non-loopback address)."""
    if allowed is None:
        return True
    name = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    return name.lower() in allowed
