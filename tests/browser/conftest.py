"""Real-browser fixtures: `streamlit run app.py` on a free loopback port, driven by Debian's chromium.

The server starts exactly as the README says (the repository's `.streamlit/config.toml` and nothing else; only
the port differs), with a HOME of its own so no user-level Streamlit config can hide a missing setting, and
under a network guard (tests/browser/netguard) that records and refuses any connection or name lookup beyond
loopback. Every browser context refuses and records requests to any host but the app's; a test that saw one
fails, and so does a server that tried to reach out.

Plain Playwright (sync API); `playwright install` cannot download here, so the browser is always
/usr/bin/chromium. Without chromium the tests skip locally but FAIL under CI=true (docs/ARCHITECTURE.md, "Tests").
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.harness import CHROMIUM, CHROMIUM_ARGS, REPO, AppServer

with contextlib.suppress(ImportError):  # without Playwright the tests skip (or fail under CI) below
    from playwright.sync_api import expect

    # An assertion waits this long for the page (Playwright's default, 5 s, is short for a redraw on two cores running
    # two workers' servers and browsers); a broken page still fails, only later.
    expect.set_options(timeout=20_000)

ARTIFACTS = REPO / "tests" / "artifacts"
VIEWPORT = {"width": 1400, "height": 1200}
_SERVERS: list[AppServer] = []
OTHER_ORIGINS: set[str] = set()  # host:port of other loopback servers a test starts (a local identity provider)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing(reason: str) -> None:
    """Skip locally; under CI a missing browser is a failure, never a silent skip."""
    if in_ci():
        pytest.fail(f"browser tests cannot run under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def serve_app() -> Iterator[Callable[..., str]]:
    """Factory: `serve_app(data=DIR)` starts another server (e.g. on a tmp dataset) and returns its URL."""
    servers: list[AppServer] = []

    def start(script: Path = REPO / "app.py", data: Path | None = None, **server) -> str:
        servers.append(AppServer(script, data, **server))
        _SERVERS.append(servers[-1])
        return servers[-1].url

    yield start
    attempts = {server.url: server.outside_attempts() for server in servers}
    for server in servers:
        server.cleanup()
    attempts = {url: seen for url, seen in attempts.items() if seen}
    assert not attempts, f"the app server tried to reach beyond loopback: {attempts}"


@pytest.fixture(autouse=True)
def _servers_stay_local():
    """Fail the test during which a server tried to reach beyond loopback (the guard refused it), or Streamlit
    warned in a server's log (a widget misuse, a deprecated call: each one is a bug of the app)."""
    before = {s.url: len(s.outside_attempts()) for s in _SERVERS}
    warned = {s.url: len(s.streamlit_warnings()) for s in _SERVERS}
    yield
    new = {s.url: s.outside_attempts()[before.get(s.url, 0) :] for s in _SERVERS}
    new = {url: seen for url, seen in new.items() if seen}
    assert not new, f"the app server tried to reach beyond loopback: {new}"
    said = {s.url: s.streamlit_warnings()[warned.get(s.url, 0) :] for s in _SERVERS}
    said = {url: lines for url, lines in said.items() if lines}
    assert not said, f"Streamlit warned in the server log: {said}"


def app_origins() -> set[str]:
    """host:port of every app server started in this session, and of the other loopback servers tests started."""
    return {urlsplit(s.url).netloc for s in _SERVERS} | OTHER_ORIGINS


def foreign(url: str) -> bool:
    """A request the page must not make: to any host but an app server's (data:/blob: URLs never leave)."""
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and parts.netloc not in app_origins()


def guard_context(context) -> list[str]:
    """Refuse and record every request of `context` to a host other than the app's; returns the record."""
    refused: list[str] = []

    def route(route) -> None:
        if foreign(route.request.url):
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    context.on("websocket", lambda ws: refused.append(ws.url) if foreign(ws.url) else None)
    return refused


@pytest.fixture(scope="session")
def app_url(serve_app) -> str:
    """Base URL of the app on the embedded demo data (or on `EVALBOARD_DATA` if the caller set it)."""
    return serve_app()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        _missing(f"Python playwright is not installed ({e})")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"{CHROMIUM} not found; install Debian's browser with `apt-get install -y chromium`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, request):
    """Factory for fresh, isolated browser contexts (cookies, storage, cache), each refusing requests to hosts
    other than the app's (the test fails if any was made); screenshots on failure."""
    contexts = []
    refused: list[str] = []

    def make(**kwargs):
        kwargs.setdefault("viewport", VIEWPORT)
        context = browser.new_context(**kwargs)
        context.set_default_timeout(30_000)
        refused_here = guard_context(context)
        contexts.append((context, refused_here))
        return context

    yield make
    for _, refused_here in contexts:
        refused += refused_here
    report = getattr(request.node, "rep_call", None)
    for i, (context, _) in enumerate(contexts):
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for j, page in enumerate(context.pages):
                with contextlib.suppress(Exception):  # best effort: the real failure is already reported
                    page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}-{i}-{j}.png")
        context.close()
    assert refused == [], f"the page asked for hosts other than the app's: {refused}"


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
