"""Real-browser fixtures: `streamlit run app.py` on a free loopback port, driven by Debian's chromium.

Plain Playwright (sync API); `playwright install` cannot download here, so the browser is always
/usr/bin/chromium. Without chromium the tests skip locally but FAIL under CI=true (docs/ARCHITECTURE.md, "Tests").
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness import CHROMIUM, CHROMIUM_ARGS, REPO, AppServer

ARTIFACTS = REPO / "tests" / "artifacts"
VIEWPORT = {"width": 1400, "height": 1200}


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

    def start(script: Path = REPO / "app.py", data: Path | None = None) -> str:
        servers.append(AppServer(script, data))
        return servers[-1].url

    yield start
    for server in servers:
        server.stop()


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
    """Factory for fresh, isolated browser contexts (cookies, storage, cache); screenshots on failure."""
    contexts = []

    def make(**kwargs):
        kwargs.setdefault("viewport", VIEWPORT)
        context = browser.new_context(**kwargs)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context

    yield make
    report = getattr(request.node, "rep_call", None)
    for i, context in enumerate(contexts):
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for j, page in enumerate(context.pages):
                with contextlib.suppress(Exception):  # best effort: the real failure is already reported
                    page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}-{i}-{j}.png")
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
