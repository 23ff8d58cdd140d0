"""The sign-in gate in AppTest (evalboard/ui/signin.py): with [auth] configured nothing of the dataset reaches a
signed-out visitor or one without access, a viewer reads without a review form, a reviewer reviews under their
provider identity; without [auth] nothing changes. The return link kept across sign-in. The real sign-in through an
identity provider is tests/browser/test_signin_browser.py."""

from __future__ import annotations

import re
import shutil
import time
import tomllib
from datetime import UTC, datetime

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from evalboard.data.store import Store
from evalboard.screens.access import Identity
from evalboard.ui import signin
from tests.harness import APP, REPO
from tests.helpers import DEMO

AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret-not-for-use",
    "client_id": "evalboard",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ACCESS = '\n[access]\nviewers = ["@viewers.example.com"]\nreviewers = ["reviewer@example.com"]\n'
PAGES = ["overview", "transcripts", "compare", "readiness", "agreement", "data_health"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    data = tmp_path_factory.mktemp("signin") / "demo"
    shutil.copytree(DEMO, data, ignore=shutil.ignore_patterns(".index"))
    (data / "dataset.toml").write_text((DEMO / "dataset.toml").read_text() + ACCESS)
    return data


def demo_names() -> set[str]:
    """Strings that only the data can put on a page: snapshots, families, interventions, the title."""
    names = set(Store(DEMO).run("filter_options").get_column("value").to_list())
    return {n for n in names if len(n) > 3} | {"evalboard demo (synthetic)", "Synthetic demo data"}


def run(dataset, monkeypatch, user: dict | None, page: str | None = None, query=None) -> AppTest:
    monkeypatch.setenv("EVALBOARD_DATA", str(dataset))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = user if user is not None else {"is_logged_in": False}
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page is not None:
        at.session_state["_visited"] = True
    at.run()
    return at.switch_page(f"pages/{page}.py").run() if page is not None else at


def signed_in(email: str, **claims) -> dict:
    return {"is_logged_in": True, "sub": f"sub-{email}", "email": email, "iat": int(time.time()), **claims}


def shown(at: AppTest) -> str:
    """Every piece of text the run sent to the browser, sidebar included."""
    return str(at._tree)


@pytest.mark.parametrize("page", PAGES)
def test_signed_out_and_outsiders_see_nothing_of_the_dataset(dataset, monkeypatch, page):
    names = demo_names()
    for user, heading in [(None, "evalboard"), (signed_in("someone@elsewhere.org"), "No access to this dataset")]:
        at = run(dataset, monkeypatch, user, page)
        assert not at.exception
        assert [t.value for t in at.title] == [heading]
        text = shown(at)
        leaked = sorted(n for n in names if n in text)
        assert leaked == [], (page, leaked)
        assert not at.dataframe and not at.metric and not at.get("plotly_chart") and not at.multiselect


def test_a_viewer_reads_every_page_without_a_review_form(dataset, monkeypatch):
    viewer = signed_in("ann@viewers.example.com")
    at = run(dataset, monkeypatch, viewer)
    assert not at.exception and at.multiselect  # the sidebar's filters: the data is there
    assert len([n for n in demo_names() if n in shown(at)]) > 5  # so the outsiders' scan can find a leak
    assert any("Signed in as" in c.value and "viewer" in c.value for c in at.sidebar.caption)
    sample = Store(DEMO).run("reviews_all").get_column("sample_id")[0]
    at = run(dataset, monkeypatch, viewer, "transcripts", {"sample": sample})
    assert not at.exception
    assert not [e for e in at.expander if "Review this transcript" in e.label]
    assert any("reviewer@example.com" in c.value for c in at.caption)  # who may review instead
    assert not [t for t in at.text_input if t.label == "Your name"]


def test_a_reviewers_review_carries_the_provider_identity(dataset, monkeypatch):
    sample = Store(DEMO).run("reviews_all").get_column("sample_id")[0]
    at = run(dataset, monkeypatch, signed_in("Reviewer@example.com"), "transcripts", {"sample": sample})
    assert not at.exception
    assert not [t for t in at.text_input if t.label == "Your name"]  # the typed-name box is gone
    assert any("Reviewing as" in c.value and "Reviewer@example.com" in c.value for c in at.caption)
    at.radio(key=f"review_verdict_{sample}").set_value("not_harmful").run()
    next(b for b in at.button if b.label == "Submit review").click().run()
    assert any("Saved your review" in s.value for s in at.success)
    rows = Store(dataset).run("reviews_all").filter(pl.col("reviewer_subject") == "sub-Reviewer@example.com")
    assert rows.select("reviewer", "reviewer_email", "verdict").rows() == [
        ("Reviewer@example.com", "Reviewer@example.com", "not_harmful")
    ]


def test_an_expired_sign_in_asks_again_and_shows_nothing(dataset, monkeypatch):
    monkeypatch.setenv(signin.SIGN_IN_HOURS_ENV, "1")
    old = signed_in("reviewer@example.com", iat=int(time.time()) - 3601)
    at = run(dataset, monkeypatch, old, "compare")
    assert [t.value for t in at.title] == ["evalboard"]
    assert "expired" in " ".join(m.value for m in at.markdown)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.multiselect


def test_a_malformed_access_table_fails_closed(dataset, monkeypatch, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken, ignore=shutil.ignore_patterns(".index", "transcripts", "reviews"))
    (broken / "dataset.toml").write_text('title = "x"\n[access]\nviewers = "ann@viewers.example.com"\n')
    at = run(broken, monkeypatch, signed_in("ann@viewers.example.com"))
    assert [t.value for t in at.title] == ["No access to this dataset"]
    (broken / "dataset.toml").write_text('title = "x"\n[access]\nviewers = ["ann@viewers.example.com", "*"]\n')
    at = run(broken, monkeypatch, signed_in("ann@viewers.example.com"), "data_health")
    problems = [e.value for e in at.error if "grants nothing" in e.value]
    assert len(problems) == 1 and "viewers[1]" in problems[0] and "wildcard" in problems[0]


def test_without_auth_nothing_changes(dataset, monkeypatch):
    monkeypatch.setenv("EVALBOARD_DATA", str(dataset))
    sample = Store(DEMO).run("reviews_all").get_column("sample_id")[0]
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["sample"] = sample
    at.session_state["_visited"] = True
    at.run()
    at.switch_page("pages/transcripts.py").run()
    assert not at.exception
    assert [t for t in at.text_input if t.label == "Your name"]  # today's typed name and its notice
    assert any("This is not authentication" in c.value for c in at.caption)
    assert not [b for b in at.sidebar.button if b.label == "Sign out"]


def test_return_links_are_taken_once_and_expire():
    links = signin.ReturnLinks(seconds=10, most=2)
    links.put("a", "compare", [("a_snapshot", "x")], now=0)
    assert links.take("a", now=5) == ("compare", [("a_snapshot", "x")])
    assert links.take("a", now=5) is None  # once
    links.put("b", "readiness", [], now=0)
    assert links.take("b", now=11) is None  # too late
    for i in range(3):
        links.put(str(i), "", [], now=0)
    assert links.take("0", now=1) is None and links.take("2", now=1) is not None  # bounded: the oldest goes


def test_the_browser_key_is_the_xsrf_token_whatever_its_mask():
    token = bytes(range(16))

    def cookie(mask: bytes) -> str:
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
        return f"2|{mask.hex()}|{masked.hex()}|1700000000"

    first, second = (
        signin.browser_key({"_streamlit_xsrf": cookie(b"\x01\x02\x03\x04")}),
        signin.browser_key({"_streamlit_xsrf": cookie(b"\xff\x00\xaa\x55")}),
    )
    assert first == second and first is not None
    assert signin.browser_key({"_streamlit_xsrf": cookie(b"\x01\x02\x03\x05")[:-1] + "1"}) == first  # time aside
    other = bytes(range(1, 17))
    masked = bytes(b ^ 1 for b in other)
    assert signin.browser_key({"_streamlit_xsrf": f"2|01010101|{masked.hex()}|1"}) != first
    assert signin.browser_key({}) is None


def test_exports_say_who_exported_when_signed_in():
    when = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    who = Identity(subject="sub-9", email="ann@example.com")
    csv = "family,k\nblackmail,3\n"
    assert signin.stamp(csv, "csv", None, when) == csv  # without sign-in: unchanged
    stamped = signin.stamp(csv, "csv", who, when)
    assert stamped.splitlines()[0] == "# exported by ann@example.com (subject sub-9) at 2026-12-07 01:30 UTC"
    assert stamped.endswith(csv)
    note = signin.stamp("### Release readiness\n", "markdown", who, when)
    assert note.endswith("_Exported by ann@example.com (subject sub-9) at 2026-12-07 01:30 UTC._\n")


def test_the_readme_provider_blocks_are_complete_auth_tables():
    """README's Google, Microsoft Entra and Okta blocks each hold what Streamlit's `st.login` checks for
    (`streamlit.auth_util.validate_auth_credentials`): redirect_uri and cookie_secret under [auth], and the
    provider's client_id, client_secret and server_metadata_url; and `providers()` names that provider."""
    blocks = re.findall(r"```toml\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    auth = [tomllib.loads(b)["auth"] for b in blocks if "[auth]" in b]
    named = {name for a in auth for name, v in a.items() if isinstance(v, dict)}
    assert named == {"google", "microsoft", "okta"}
    for a in auth:
        assert {"redirect_uri", "cookie_secret"} <= a.keys() and a["redirect_uri"].endswith("/oauth2callback")
        (provider,) = [v for v in a.values() if isinstance(v, dict)]
        assert {"client_id", "client_secret", "server_metadata_url"} <= provider.keys()
        assert provider["server_metadata_url"].endswith("/.well-known/openid-configuration")


@pytest.mark.parametrize(
    ("names", "buttons"),
    [(["google"], ["Sign in"]), (["google", "okta"], ["Sign in with google", "Sign in with okta"])],
)
def test_one_sign_in_button_per_provider(dataset, monkeypatch, names, buttons):
    monkeypatch.setenv("EVALBOARD_DATA", str(dataset))
    at = AppTest.from_file(str(APP), default_timeout=120)
    section = {k: v for k, v in AUTH.items() if k in ("redirect_uri", "cookie_secret")}
    at.secrets["auth"] = section | {n: {k: v for k, v in AUTH.items() if k not in section} for n in names}
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == buttons
