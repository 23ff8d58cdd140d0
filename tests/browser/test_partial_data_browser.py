"""Real browser (issue 22, item 1): with a file of the dataset left out (damaged data pages), Readiness shows a blocking
notice in place of the verdict; a switch judges the rest, marked as partial data in the verdict and the CSV; the
Overview says how many files are left out and links to Data health, which names the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, wait_idle
from tests.helpers import damage_data_pages
from tests.test_partial_data import HARMFUL_COLUMN, two_files

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def partial_url(serve_app, tmp_path_factory: pytest.TempPathFactory) -> str:
    root = two_files(tmp_path_factory.mktemp("partial") / "data")
    damage_data_pages(root / "samples" / "harmful.parquet", HARMFUL_COLUMN)
    return serve_app(data=root)


def test_readiness_blocks_then_judges_the_rest_as_partial(partial_url: str, page: Page) -> None:
    page.goto(partial_url + "/readiness")
    block = page.get_by_test_id("stAlert").filter(has_text="No verdict: the data is incomplete.")
    expect(block).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(block).to_contain_text("samples/harmful.parquet")
    expect(block).to_contain_text("300 samples")
    wait_idle(page)
    expect(page.locator(".st-key-readiness-verdict")).to_have_count(0)
    page.get_by_text("Judge the files that could be read anyway (partial data)").click()
    banner = page.locator(".st-key-readiness-verdict")
    expect(banner).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(banner).to_contain_text("ON PARTIAL DATA")
    expect(banner).to_contain_text("PARTIAL DATA: 1 file of the dataset was left out")
    wait_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    header, row = Path(download.value.path()).read_text(encoding="utf-8").splitlines()[:2]
    assert header.endswith(",partial_data,files_left_out") and row.endswith(",True,1")


def test_every_page_links_to_data_health_which_names_the_file(partial_url: str, page: Page) -> None:
    page.goto(partial_url)
    notice = page.get_by_test_id("stAlert").filter(has_text="1 file(s) in the dataset folder could not be read")
    expect(notice).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    page.get_by_role("link", name="Data health: which files, and why").click()
    expect(page.get_by_role("heading", name="Data health")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    named = page.get_by_test_id("stAlert").filter(has_text="samples/harmful.parquet (samples): damaged data")
    expect(named).to_contain_text("It held 300 samples")
