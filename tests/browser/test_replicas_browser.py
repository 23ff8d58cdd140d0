"""Real browsers on two replicas (issue 24): two `streamlit run app.py` processes over one s3:// Delta dataset (moto's
S3 server in its own process on 127.0.0.1), each with its own HOME and XDG_CACHE_HOME. A review saved through one
shows on the other within the README's bound (README, "A team's dataset on S3, several replicas")."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from evalboard.data import watch
from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, wait_idle
from tests.browser.test_review_browser import history
from tests.browser.test_transcripts_browser import DEEP_LINK_SAMPLE, main, no_exception, wait_for_transcript
from tests.helpers import DEMO
from tests.s3server import aws_environment
from tests.test_delta_read import delta_copy, moto_process

pytestmark = pytest.mark.browser
REVIEWER = "Replica One Reviewer"
_REPLICAS = itertools.count()


@pytest.fixture(scope="module")
def s3_dataset() -> Iterator[dict[str, str]]:
    """The demo as Delta tables (with its dataset.toml) on moto in its own process; the AWS environment a replica
    needs (the standard variables only: the store derives AWS_ALLOW_HTTP from the http:// endpoint)."""
    import boto3

    with moto_process() as endpoint, pytest.MonkeyPatch.context() as mp:
        aws = {k: v for k, v in aws_environment(endpoint).items() if k != "AWS_ALLOW_HTTP"}
        for name, value in aws.items():
            mp.setenv(name, value)
        mp.delenv("AWS_PROFILE", raising=False)
        boto3.client("s3").create_bucket(Bucket="team-evals")
        delta_copy(DEMO, "s3://team-evals/agentic")
        boto3.client("s3").upload_file(str(DEMO / "dataset.toml"), "team-evals", "agentic/dataset.toml")
        yield {**aws, "EVALBOARD_DATA": "s3://team-evals/agentic"}


def replica(serve_app, tmp_path_factory, dataset: dict[str, str]) -> str:
    """One more `streamlit run app.py` over the dataset, with a cache folder of its own (AppServer gives the HOME)."""
    env = {k: v for k, v in os.environ.items() if k != "AWS_PROFILE"}
    cache: Path = tmp_path_factory.mktemp(f"replica-cache-{next(_REPLICAS)}")
    return serve_app(env={**env, **dataset, "XDG_CACHE_HOME": str(cache)})


def test_a_review_saved_on_one_replica_shows_on_the_other_within_the_bound(
    new_context, serve_app, tmp_path_factory, s3_dataset
):
    one, two = (replica(serve_app, tmp_path_factory, s3_dataset) for _ in range(2))
    assert one != two
    transcript = f"/transcripts?sample={DEEP_LINK_SAMPLE}"

    other = new_context().new_page()  # browser 2 on replica two: the transcript, before the review exists
    other.goto(two + transcript)
    wait_for_transcript(other, DEEP_LINK_SAMPLE)
    assert REVIEWER not in [row["by"] for row in history(other)]

    page = new_context().new_page()  # browser 1 on replica one: save a review
    page.goto(one + transcript)
    wait_for_transcript(page, DEEP_LINK_SAMPLE)
    form = main(page).get_by_test_id("stExpander").filter(has_text="Review this transcript").first
    form.get_by_text("Review this transcript").click()
    form.get_by_label("Your name").fill(REVIEWER)
    form.get_by_label("Your name").press("Enter")
    wait_idle(page)
    form.get_by_text("Harmful", exact=True).click()
    expect(form.get_by_role("radio", name="Harmful", exact=True)).to_be_checked()  # taken before the submit
    form.get_by_label("Note (why)").fill("saved on replica one")
    form.get_by_role("button", name="Submit review").click()
    expect(form.get_by_text("Saved your review (Harmful).")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    no_exception(page)

    deadline = time.monotonic() + watch.FRESH + 15  # the README's bound: a page load FRESH seconds after the save
    while True:
        other.reload()
        wait_for_transcript(other, DEEP_LINK_SAMPLE)
        rows = history(other)
        if REVIEWER in [row["by"] for row in rows] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (rows[-1]["source"], rows[-1]["by"], rows[-1]["verdict"]) == ("human", REVIEWER, "harmful"), rows
    no_exception(other)
