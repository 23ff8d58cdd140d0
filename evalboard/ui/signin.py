"""Who is looking: Streamlit's sign-in (`st.login`, `[auth]` in .streamlit/secrets.toml), the dataset's access rules
(evalboard/screens/access.py) and the one gate app.py passes before anything reads data.

docs/ARCHITECTURE.md, "Sign-in and access". Streamlit glue, like session.py: the only other module of the package
that imports Streamlit.
"""

from __future__ import annotations

import binascii
import hashlib
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import streamlit as st

from evalboard.core import paths
from evalboard.core.fmt import literal
from evalboard.core.location import StorageError
from evalboard.data.delta import manifest_folder
from evalboard.screens import access
from evalboard.screens.access import Access, Identity, Role

LOG = logging.getLogger("evalboard")
SIGN_IN_HOURS_ENV = "EVALBOARD_SIGN_IN_HOURS"
DEFAULT_SIGN_IN_HOURS = 12.0
XSRF_COOKIE = "_streamlit_xsrf"  # set by Streamlit for every visitor once [auth] is configured
RETURN_SECONDS = 15 * 60  # how long a link opened while signed out waits for its sign-in
RETURN_MAX = 10_000


@dataclass(frozen=True)
class Visitor:
    """Who is looking and what they may do. Without sign-in (`auth` False) everyone views and reviews as today."""

    auth: bool
    identity: Identity | None
    role: Role
    access: Access
    expired: bool = False

    @property
    def may_view(self) -> bool:
        return self.role >= Role.VIEWER

    @property
    def may_review(self) -> bool:
        return self.role >= Role.REVIEWER


def auth_configured() -> bool:
    """Whether sign-in is configured: an `[auth]` table in the app's secrets."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises instead of answering
        return False


def providers() -> list[str]:
    """The configured identity providers: each `[auth.NAME]` table, or "default" for a flat `[auth]`."""
    section = st.secrets.get("auth", {})
    named = [name for name, value in section.items() if isinstance(value, Mapping) and "client_id" in value]
    return named or ["default"]


def sign_in_hours() -> float:
    """How long a sign-in lasts (`EVALBOARD_SIGN_IN_HOURS`, default 12), from the ID token's issue time."""
    raw = os.environ.get(SIGN_IN_HOURS_ENV, "")
    try:
        hours = float(raw) if raw.strip() else DEFAULT_SIGN_IN_HOURS
    except ValueError:
        LOG.warning("%s=%r is not a number of hours; using %s", SIGN_IN_HOURS_ENV, raw, DEFAULT_SIGN_IN_HOURS)
        return DEFAULT_SIGN_IN_HOURS
    return hours if hours > 0 else DEFAULT_SIGN_IN_HOURS


def _claims() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict()) if st.user.get("is_logged_in") is True else {}
    except Exception:  # st.user depends on the host; without a session it has nothing
        return {}


def visitor() -> Visitor:
    """The visitor of this run: the signed-in identity (when sign-in is configured) and its role on the dataset."""
    try:
        rules = access.load(manifest_folder(paths.default_data()))
    except StorageError as exc:  # a remote dataset.toml never fetched: its rules unknown, nobody passes
        rules = access.unreadable(str(exc))
    if not auth_configured():
        return Visitor(auth=False, identity=None, role=Role.REVIEWER, access=rules)
    claims = _claims()
    identity = access.identity_from_claims(claims)
    issued = claims.get("iat")
    expired = isinstance(issued, int | float) and time.time() > issued + sign_in_hours() * 3600
    if identity is None or expired:
        return Visitor(auth=True, identity=None, role=Role.NONE, access=rules, expired=expired)
    return Visitor(auth=True, identity=identity, role=access.role(rules, identity), access=rules)


class ReturnLinks:
    """Links opened while signed out, each waiting (at most RETURN_SECONDS) for its browser's sign-in.

    Streamlit's sign-in always lands on `/`; the link is kept here, in the server's memory, keyed by a hash of the
    browser's XSRF token (a cookie Streamlit already sets and keeps across the sign-in's redirects). Nothing is added
    to the redirect and no cookie is written. docs/ARCHITECTURE.md, "Sign-in and access".
    """

    def __init__(self, seconds: float = RETURN_SECONDS, most: int = RETURN_MAX):
        self.seconds, self.most = seconds, most
        self._links: dict[str, tuple[float, str, list[tuple[str, str]]]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, url_path: str, params: list[tuple[str, str]], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._links = {k: v for k, v in self._links.items() if v[0] > now}
            if len(self._links) >= self.most:
                self._links.pop(next(iter(self._links)))
            self._links[key] = (now + self.seconds, url_path, list(params))

    def take(self, key: str, now: float | None = None) -> tuple[str, list[tuple[str, str]]] | None:
        now = time.monotonic() if now is None else now
        with self._lock:
            found = self._links.pop(key, None)
        return (found[1], found[2]) if found is not None and found[0] > now else None


RETURNS = ReturnLinks()


def browser_key(cookies: Mapping[str, str]) -> str | None:
    """A hash of the browser's XSRF token (the token, not its per-response mask), or None without the cookie."""
    raw = cookies.get(XSRF_COOKIE)
    raw = raw.strip("\"'") if isinstance(raw, str) else ""
    if not raw:
        return None
    token = raw.encode()
    parts = raw.split("|")
    if len(parts) == 4 and parts[0] == "2":  # "2|mask|masked token|time": unmask
        try:
            mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
            token = bytes(b ^ mask[i % 4] for i, b in enumerate(masked)) if len(mask) == 4 else token
        except (binascii.Error, ValueError):
            pass
    return hashlib.sha256(b"evalboard-return|" + token).hexdigest()


def _query() -> list[tuple[str, str]]:
    return [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]


def _remember(url_path: str) -> None:
    key = browser_key(st.context.cookies)
    if key is not None:
        RETURNS.put(key, url_path, _query())


def _return(page: Any, pages: Sequence[Any]) -> None:
    """After sign-in: reopen the link this browser opened while signed out (once), unless it is already open."""
    key = browser_key(st.context.cookies)
    found = RETURNS.take(key) if key is not None else None
    if found is None:
        return
    url_path, params = found
    if url_path == page.url_path and params == _query():
        return
    target = next((p for p in pages if p.url_path == url_path), None)
    if target is not None:
        query: dict[str, list[str]] = {}
        for name, value in params:
            query.setdefault(name, []).append(value)
        st.switch_page(target, query_params=query)


def _sign_in(page: Any, message: str) -> NoReturn:
    st.title("evalboard")
    st.write(message)
    for provider in providers():
        label = "Sign in" if provider == "default" or len(providers()) == 1 else f"Sign in with {provider}"
        if st.button(label, key=f"sign_in_{provider}", type="primary", icon=":material/login:"):
            _remember(page.url_path)
            st.login(provider)
    st.stop()


def sign_out_button() -> None:
    if st.button("Sign out", key="sign_out", icon=":material/logout:"):
        st.logout()
        st.stop()


def gate(who: Visitor, page: Any, pages: Sequence[Any]) -> None:
    """First thing after `st.navigation` in app.py, before anything reads data: a visitor who may not view gets the
    sign-in page or the no-access page and nothing else (the run stops here); a visitor who just signed in is taken
    back to the link they opened; a signed-in visitor sees who they are and can sign out."""
    if not who.auth:
        return
    if who.expired:
        _sign_in(page, "Your sign-in has expired. Sign in again: this page reopens as it was.")
    if who.identity is None:
        _sign_in(page, "Sign in to see this dataset. After signing in you come back to this page.")
    if not who.may_view:
        st.title("No access to this dataset")
        st.write(
            f"You are signed in as {literal(who.identity.label)}, and this dataset's access list does not include "
            "you. If you should see it, ask whoever runs this evalboard to add you."
        )
        sign_out_button()
        st.stop()
    _return(page, pages)
    with st.sidebar:
        role = "reviewer" if who.may_review else "viewer"
        st.caption(f"Signed in as {literal(who.identity.label)} ({role})")
        sign_out_button()


def stamp(text: str, kind: str, identity: Identity | None, when: datetime) -> str:
    """An export with who exported it: a leading `#` line for "csv" (as Compare's CSV header lines), a closing line
    for "markdown"; unchanged without a signed-in identity."""
    if identity is None:
        return text
    by = f"{identity.email or 'no e-mail'} (subject {identity.subject})"
    at = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if kind == "csv":
        return f"# exported by {by} at {at}\n{text}"
    return f"{text.rstrip()}\n\n_Exported by {by} at {at}._\n"


def stamped(text: str, kind: str) -> str:
    """`text` stamped with the visitor of this run (`stamp`)."""
    return stamp(text, kind, visitor().identity, datetime.now(UTC))
