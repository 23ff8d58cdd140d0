"""Real browser: a markdown link, a markdown image and an HTML payload through every URL key of every page, and
through a dataset's title, description, family, intervention and snapshot names, stay text — nothing is fetched,
nothing links out.

The stand-in outside host is a tiny HTTP server on 127.0.0.2 (a loopback address other than the app's): it
records every hit and the test asserts it got none. The browser context also refuses and records any request
to a host but the app's (tests/browser/conftest.py), and the server runs under the network guard.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect

from evalboard.core.urls import PAGE_KEYS_BY_PAGE
from tests.browser.conftest import foreign
from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, wait_idle
from tests.helpers import sample, write_samples

pytestmark = pytest.mark.browser

OUTSIDE_IP = "127.0.0.2"
FILTER_KEYS = ("snapshot", "intervention", "stage", "family", "grader")
HEADINGS = {  # url path → heading; each page's own URL keys come from the URL contract (evalboard/core/view.py)
    "": "Blackmail rate",
    "transcripts": "Transcripts",
    "compare": "Compare",
    "readiness": "Release readiness",
    "agreement": "Agreement",
    "data": "Data health",
    "drivers": "What drives the rate",
}
PAGES = {path: (heading, PAGE_KEYS_BY_PAGE.get(path, ())) for path, heading in HEADINGS.items()}
# What each page says about the payload, quoted (beyond the sidebar keys and the unknown key every page warns about).
SAID = {
    "": (),
    "transcripts": (
        "step={p}", "verdict={p}", "sort={p}", "list_page={p}", "right={p}", "No such sample: {p}",
    ),
    "compare": tuple(f"{key}={{p}}" for key in PAGES["compare"][1] if key.startswith(("a_", "b_"))),
    "readiness": ("gates={p}",),
    "agreement": (),
    "data": (),
    "drivers": ("key={p}",),
}  # fmt: skip


class Outside:
    """An HTTP server on 127.0.0.2 that answers 404 and records every request it gets."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                hits.append(self.path)
                self.send_error(404)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((OUTSIDE_IP, 0), Handler)
        self.host = f"{OUTSIDE_IP}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self, where: str) -> dict[str, str]:
        return {
            "link": f"[Log in again](http://{self.host}/{where}/link)",
            "image": f"![x](http://{self.host}/{where}/image.png)",
            "html": f"<img src=http://{self.host}/{where}/html.png> <a href=http://{self.host}/{where}/a>a</a>",
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def outside() -> Iterator[Outside]:
    server = Outside()
    yield server
    server.stop()


def write_dataset(root: Path, outside: Outside) -> Path:
    """The gates file's families plus one family per payload; payloads in the title and description too."""
    families = ["blackmail", "leaking", "murder", "sabotage", *outside.payloads("family").values()]
    interventions = ["baseline", outside.payloads("intervention")["link"]]
    snapshots = ["snap-a", outside.payloads("snapshot")["html"]]
    rows = [
        sample(
            i,
            scenario_family=family,
            intervention=interventions[i % 2],
            snapshot=snapshots[(i // 2) % 2],
            sample_id=f"s-{i:04d}",
            harmful=i % 7 == 0,
        )
        for i, family in enumerate(family for family in families for _ in range(12))
    ]
    write_samples(root / "samples" / "part.parquet", rows)
    title = " ".join(outside.payloads("title").values())
    description = " ".join(outside.payloads("description").values())
    held_out = outside.payloads("family")["image"]
    (root / "dataset.toml").write_text(
        f"title = {title!r}\ndescription = {description!r}\nsynthetic = true\nheld_out_families = [{held_out!r}]\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def site(outside, serve_app, tmp_path_factory) -> str:
    return serve_app(data=write_dataset(tmp_path_factory.mktemp("outside-strings"), outside))


def open_page(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    page.wait_for_timeout(1500)  # lazily drawn elements (charts, widgets) get a moment to ask for anything
    wait_idle(page)


def assert_nothing_left(page: Page, outside: Outside, site: str) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert outside.hits == [], f"the outside host was asked for {outside.hits}"
    hrefs = page.locator("a").evaluate_all(
        "els => els.map(e => e.getAttribute('href') || e.getAttribute('xlink:href') || '')"
    )
    out = [h for h in hrefs if h and not h.startswith("#") and urlsplit(h).netloc and foreign(h)]
    assert out == [], f"anchors to other hosts: {out}"
    images = page.locator("img").evaluate_all("els => els.map(e => e.src)")
    assert [s for s in images if foreign(s)] == [], images
    assert page.locator("main iframe, [data-testid=stMain] iframe").count() == 0


@pytest.mark.parametrize("kind", ["link", "image", "html"])
@pytest.mark.parametrize("path", list(PAGES))
def test_payload_through_every_url_key_stays_text(new_context, site, outside, path, kind):
    heading, own_keys = PAGES[path]
    payload = outside.payloads(f"url-{path or 'overview'}")[kind]
    params = {key: payload for key in (*FILTER_KEYS, "source", *own_keys)}
    params[payload] = "1"  # an unknown key named like the payload
    page = new_context().new_page()
    open_page(page, f"{site}/{path}?{urlencode(params)}", heading)
    said = [f"{key}={payload}" for key in (*FILTER_KEYS, "source")] + [f"Ignored unknown URL parameter {payload}"]
    said += [line.format(p=payload) for line in SAID[path]]
    main = page.get_by_test_id("stMain")
    for line in said:  # a corrected URL may rerun the page once: wait for its final state
        expect(main).to_contain_text(line, timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    assert_nothing_left(page, outside, site)


@pytest.mark.parametrize("path", list(PAGES))
def test_dataset_title_description_and_families_stay_text(new_context, site, outside, path):
    heading, _ = PAGES[path]
    page = new_context().new_page()
    open_page(page, f"{site}/{path}", heading)
    main = page.get_by_test_id("stMain")
    title = " ".join(outside.payloads("title").values())
    expect(main.get_by_text(title, exact=False).first).to_be_visible()
    if path == "":  # the held-out caption names the family as it is
        expect(main.get_by_text(outside.payloads("family")["image"], exact=False).first).to_be_visible()
    if path == "readiness":  # the per-family table names every family as it is
        for family in outside.payloads("family").values():
            expect(main.locator("table").get_by_text(family).first).to_be_visible()  # held-out: "… (held-out)"
    if path == "data":
        description = " ".join(outside.payloads("description").values())
        expect(main.get_by_text(description, exact=False).first).to_be_visible()
    assert_nothing_left(page, outside, site)


def test_sql_comment_is_shown_as_typed_not_as_a_dash(new_context, site):
    page = new_context().new_page()
    query = urlencode({"family": "' OR 1=1 --"})
    open_page(page, f"{site}/?{query}", "Blackmail rate")
    warning = page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text="Ignored")
    expect(warning.first).to_contain_text("family=' OR 1=1 --")
    assert "—" not in warning.first.inner_text()
