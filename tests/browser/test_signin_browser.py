"""Real browser through the real sign-in: Streamlit's `st.login` against a local OpenID Connect provider
(tests/browser/identity_provider.py) with a reviewer, a viewer and an outsider, on a copy of the demo data whose
dataset.toml has an [access] table. docs/ARCHITECTURE.md, "Sign-in and access"."""

from __future__ import annotations

import os
import re
import shutil
import time
from urllib.parse import urlsplit

import polars as pl
import pytest
from playwright.sync_api import Page, expect

from evalboard.data.store import Store
from tests.browser import conftest
from tests.browser.identity_provider import USERS, IdentityProvider
from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, query, wait_for_sidebar, wait_idle
from tests.browser.test_transcripts_browser import DEEP_LINK_SAMPLE, main, no_exception, wait_for_transcript
from tests.harness import free_port
from tests.helpers import DEMO
from tests.test_signin import demo_names

pytestmark = pytest.mark.browser
ACCESS = '\n[access]\nviewers = ["@viewers.example.com"]\nreviewers = ["reviewer@example.com"]\n'
PAGES = ["/", f"/transcripts?sample={DEEP_LINK_SAMPLE}", "/compare", "/readiness", "/agreement", "/data"]
DEEP_LINKS = [
    "/compare?a_snapshot=atlas-2026-09&a_intervention=baseline&b_snapshot=atlas-2026-11&b_intervention=baseline",
    "/readiness?snapshot=atlas-2026-09&intervention=diversified_envs&max_rate=0.4&min_samples=50",
    f"/transcripts?sample={DEEP_LINK_SAMPLE}&family=blackmail",
]


@pytest.fixture(scope="module")
def provider():
    idp = IdentityProvider()
    conftest.OTHER_ORIGINS.add(urlsplit(idp.url).netloc)
    yield idp
    conftest.OTHER_ORIGINS.discard(urlsplit(idp.url).netloc)
    idp.close()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    data = tmp_path_factory.mktemp("signed") / "demo"
    shutil.copytree(DEMO, data, ignore=shutil.ignore_patterns(".index"))
    (data / "dataset.toml").write_text((DEMO / "dataset.toml").read_text() + ACCESS)
    return data


@pytest.fixture(scope="module")
def app(serve_app, provider, dataset) -> str:
    port = free_port()
    return serve_app(data=dataset, port=port, secrets=provider.secrets(port))


def sign_in_page(page: Page, expired: bool = False) -> None:
    expect(main(page).get_by_role("heading", name="evalboard")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(main(page).get_by_role("button", name="Sign in")).to_be_visible()
    if expired:
        expect(main(page).get_by_text("Your sign-in has expired")).to_be_visible()


def sign_in(page: Page, provider: IdentityProvider, app: str, who: str) -> None:
    """From the app's sign-in page, through the provider's login form, back to the app."""
    sign_in_page(page)
    main(page).get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(provider.url) + r"/oauth2/authorize"), timeout=FIRST_RENDER_TIMEOUT)
    page.get_by_role("button", name=who, exact=True).click()
    page.wait_for_url(re.compile(re.escape(app)), timeout=FIRST_RENDER_TIMEOUT)


def settled_url(page: Page) -> str:
    """The address once the page has drawn its sidebar and its bound widgets have written the URL (a default value
    leaves the URL), i.e. the view's own address."""
    wait_for_sidebar(page)
    wait_idle(page)
    url, deadline = page.url, time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if page.url == url:
            return url
        url = page.url
    return url


def same_view(page: Page, app: str, link: str) -> None:
    """The page shows the view `link` opens for a signed-in visitor: the same path and the same address."""
    after = settled_url(page)
    assert urlsplit(after).path == urlsplit(link).path, after
    page.goto(app + link)
    assert query(settled_url(page)) == query(after)


def page_text(page: Page) -> str:
    wait_idle(page)
    return page.locator("body").inner_text()


def leaks(text: str) -> list[str]:
    return sorted(name for name in demo_names() if name in text)


def test_the_outsider_sees_no_data_on_any_page(new_context, provider, app):
    page = new_context().new_page()
    for path in PAGES:  # signed out
        page.goto(app + path)
        sign_in_page(page)
        assert leaks(page_text(page)) == [], path
    sign_in(page, provider, app, "outsider")
    for path in PAGES:
        page.goto(app + path)
        expect(main(page).get_by_role("heading", name="No access to this dataset")).to_be_visible(
            timeout=FIRST_RENDER_TIMEOUT
        )
        expect(main(page)).to_contain_text(USERS["outsider"])  # the page drawn whole, not only its heading
        text = page_text(page)
        assert USERS["outsider"] in text and leaks(text) == [], path
    no_exception(page)


def test_the_viewer_sees_pages_and_no_review_form(new_context, provider, app):
    page = new_context().new_page()
    page.goto(app + "/")
    sign_in(page, provider, app, "viewer")
    expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as")).to_contain_text(
        f"{USERS['viewer']} (viewer)", timeout=FIRST_RENDER_TIMEOUT
    )
    wait_for_sidebar(page)
    assert len(leaks(page_text(page))) > 3  # the data is there: the outsider's scan can find what leaks
    page.goto(f"{app}/transcripts?sample={DEEP_LINK_SAMPLE}")
    wait_for_transcript(page, DEEP_LINK_SAMPLE)
    expect(main(page).get_by_text("reviews are written by this dataset's reviewers")).to_be_visible()
    expect(main(page).get_by_test_id("stExpander").filter(has_text="Review this transcript")).to_have_count(0)
    no_exception(page)


@pytest.mark.parametrize("link", DEEP_LINKS, ids=["compare", "readiness", "transcripts"])
def test_a_link_opened_signed_out_reopens_after_sign_in(new_context, provider, app, link):
    page = new_context().new_page()
    page.goto(app + link)
    sign_in(page, provider, app, "viewer")
    expect(page).to_have_url(re.compile(re.escape(app + urlsplit(link).path) + r"\?"), timeout=FIRST_RENDER_TIMEOUT)
    expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as")).to_be_visible()
    same_view(page, app, link)
    no_exception(page)


def test_the_reviewer_writes_a_review_that_records_their_identity_then_signs_out(new_context, provider, app, dataset):
    page = new_context().new_page()
    page.goto(f"{app}/transcripts?sample={DEEP_LINK_SAMPLE}")
    sign_in(page, provider, app, "reviewer")
    wait_for_transcript(page, DEEP_LINK_SAMPLE)
    form = main(page).get_by_test_id("stExpander").filter(has_text="Review this transcript").first
    form.get_by_text("Review this transcript").click()
    expect(form.get_by_text(f"Reviewing as {USERS['reviewer']} (signed in).")).to_be_visible()
    expect(form.get_by_label("Your name")).to_have_count(0)
    form.get_by_text("Harmful", exact=True).click()
    expect(form.get_by_role("radio", name="Harmful", exact=True)).to_be_checked()  # taken before the submit
    wait_idle(page)
    form.get_by_label("Note (why)").fill("signed-in review")
    form.get_by_label("Note (why)").press("Control+Enter")  # a text area keeps its value on Ctrl+Enter or blur
    wait_idle(page)
    form.get_by_role("button", name="Submit review").click()
    expect(form.get_by_text("Saved your review (Harmful).")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    rows = Store(dataset).run("reviews_all").filter(pl.col("note") == "signed-in review")
    assert rows.select("sample_id", "reviewer", "reviewer_subject", "reviewer_email", "verdict").rows() == [
        (DEEP_LINK_SAMPLE, USERS["reviewer"], "reviewer", USERS["reviewer"], "harmful")
    ]

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(re.escape(provider.url) + r"/oauth2/end_session"), timeout=FIRST_RENDER_TIMEOUT)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(re.escape(app)), timeout=FIRST_RENDER_TIMEOUT)
    sign_in_page(page)
    page.goto(f"{app}/transcripts?sample={DEEP_LINK_SAMPLE}")
    sign_in_page(page)
    assert leaks(page_text(page)) == []


def test_a_malformed_access_table_fails_closed(new_context, provider, app, dataset):
    toml = dataset / "dataset.toml"
    good = toml.read_text()
    toml.write_text(good.replace('viewers = ["@viewers.example.com"]', 'viewers = "@viewers.example.com"'))
    try:
        page = new_context().new_page()
        page.goto(app + "/")
        sign_in(page, provider, app, "viewer")
        expect(main(page).get_by_role("heading", name="No access to this dataset")).to_be_visible(
            timeout=FIRST_RENDER_TIMEOUT
        )
        assert leaks(page_text(page)) == []
        reviewer = new_context().new_page()  # the reviewers' list is sound: they see Data health name the problem
        reviewer.goto(app + "/data")
        sign_in(reviewer, provider, app, "reviewer")
        problem = main(reviewer).get_by_test_id("stAlert").filter(has_text="grants nothing")
        expect(problem).to_contain_text("viewers", timeout=FIRST_RENDER_TIMEOUT)
        expect(problem).to_contain_text("must be a list")
    finally:
        toml.write_text(good)


@pytest.fixture(scope="module")
def short_app(serve_app, provider, dataset) -> str:
    """The app where a sign-in lasts 10 seconds."""
    port = free_port()
    env = {**os.environ, "EVALBOARD_SIGN_IN_HOURS": str(10 / 3600)}
    return serve_app(data=dataset, port=port, secrets=provider.secrets(port), env=env)


def test_an_expired_sign_in_asks_again_and_keeps_the_view(new_context, provider, short_app):
    page = new_context().new_page()
    link = DEEP_LINKS[0]
    page.goto(short_app + link)
    sign_in(page, provider, short_app, "viewer")
    signed_at = time.monotonic()  # the ID token was issued before this
    view = settled_url(page)
    time.sleep(max(0.0, 11 - (time.monotonic() - signed_at)))
    page.reload()
    sign_in_page(page, expired=True)
    assert leaks(page_text(page)) == []
    main(page).get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="viewer", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(short_app + "/compare") + r"\?"), timeout=FIRST_RENDER_TIMEOUT)
    assert query(settled_url(page)) == query(view)
