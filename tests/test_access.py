"""The access rules of dataset.toml's [access] table (evalboard/screens/access.py): entries, roles, failing closed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from evalboard.screens import access
from evalboard.screens.access import Entry, Identity, Role

# Few, overlapping pieces, so random addresses often sit next to an entry: suffixes, prefixes, case.
LABELS = ["example", "com", "evil", "notexample", "a", "x", "example-com", "Example", "EVIL", "co"]
domains = st.lists(st.sampled_from(LABELS), min_size=1, max_size=4).map(".".join)
locals_ = st.sampled_from(["a", "x", "alice", "Alice", "a.b", "x+tag", "ALICE"])
addresses = st.builds(lambda local, domain: f"{local}@{domain}", locals_, domains)
entries = st.one_of(addresses, domains.map(lambda d: "@" + d), st.sampled_from(["group:admins", "group:Admins"]))
groups = st.lists(st.sampled_from(["admins", "Admins", "reviewers", "admins ", "group:admins"]), max_size=3)


def person(email: str | None = None, groups: tuple[str, ...] = (), **claims) -> Identity:
    return access.identity_from_claims({"sub": "subject-1", "email": email, "groups": list(groups), **claims})


def table(viewers=None, reviewers=None) -> access.Access:
    raw = {}
    if viewers is not None:
        raw["viewers"] = viewers
    if reviewers is not None:
        raw["reviewers"] = reviewers
    return access.parse(raw)


def named(entry_texts: list[str], who: Identity) -> bool:
    """The rule written out independently: an entry names a user by their whole address (any case), by their
    address's domain exactly (any case), or by one of their groups exactly."""
    email = who.email.lower() if who.email else None
    for text in entry_texts:
        if text.startswith("group:"):
            if text[len("group:") :] in who.groups:
                return True
        elif email is not None and (text.lower() == email or text.lower() == "@" + email.rpartition("@")[2]):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(st.lists(entries, max_size=6), st.lists(entries, max_size=6), st.one_of(st.none(), addresses), groups)
def test_never_grants_what_no_entry_names(viewers, reviewers, email, their_groups):
    who = person(email, tuple(their_groups))
    got = access.role(table(viewers, reviewers), who)
    assert got == (Role.REVIEWER if named(reviewers, who) else Role.VIEWER if named(viewers, who) else Role.NONE)
    if got >= Role.VIEWER:  # reviewers are viewers; nobody is let in by an entry that does not name them
        assert named(viewers + reviewers, who)


@settings(max_examples=200, deadline=None)
@given(st.lists(entries, max_size=6), addresses)
def test_a_bad_entry_added_to_a_list_grants_nothing_more(good, email):
    bad = ["*", "*@example.com", "@*", "", "example.com", "a@b@example.com", "@example.com.", "group:", 3, None]
    who = person(email)
    assert access.role(table(good + bad), who) == access.role(table(good), who)
    parsed = table(good + bad)
    assert len(parsed.problems) == len(bad)


def test_domain_entries_match_the_whole_domain_only():
    rules = table(viewers=["@example.com"])
    assert access.role(rules, person("alice@example.com")) == Role.VIEWER
    assert access.role(rules, person("Alice@EXAMPLE.com")) == Role.VIEWER
    for outsider in ("x@notexample.com", "a@evil.com.example.com.evil", "a@example.com.evil.com", "a@sub.example.com",
                     "example.com@evil.com", "a@example.co", "a@xexample.com"):  # fmt: skip
        assert access.role(rules, person(outsider)) == Role.NONE, outsider
    assert access.role(table(viewers=["@evil.com"]), person("a@evil.com.example.com")) == Role.NONE


def test_address_entries_match_one_address_in_any_case():
    rules = table(reviewers=["Alice@Example.com"])
    assert access.role(rules, person("alice@example.com")) == Role.REVIEWER
    assert access.role(rules, person("alice@example.com.evil.com")) == Role.NONE
    assert access.role(rules, person("malice@example.com")) == Role.NONE
    assert access.role(rules, person("alice@example.comx")) == Role.NONE


def test_non_ascii_look_alikes_never_match():
    kelvin = "\u212a"  # KELVIN SIGN: "\u212a".lower() == "k"
    assert kelvin.lower() == "k"
    rules = table(viewers=["@kexample.com", "kim@example.com"])
    assert access.role(rules, person(f"a@{kelvin}example.com")) == Role.NONE
    assert access.role(rules, person(f"{kelvin}im@example.com")) == Role.NONE
    assert isinstance(access.parse_entry(f"{kelvin}im@example.com"), str)  # and such an entry is refused


def test_an_unverified_email_grants_nothing_groups_still_do():
    rules = table(viewers=["@example.com", "group:staff"])
    assert access.role(rules, person("a@example.com", email_verified=False)) == Role.NONE
    assert access.role(rules, person("a@example.com", email_verified="false")) == Role.NONE
    assert access.role(rules, person("a@example.com", email_verified=True)) == Role.VIEWER
    assert access.role(rules, person("a@example.com")) == Role.VIEWER  # providers that do not say (Entra)
    assert access.role(rules, person(None, ("staff",), email_verified=False)) == Role.VIEWER
    assert access.role(rules, person(None, ("Staff",))) == Role.NONE  # groups match exactly


def test_reviewers_are_viewers_and_no_table_means_everyone_signed_in_reviews():
    rules = table(viewers=["v@example.com"], reviewers=["r@example.com"])
    assert access.role(rules, person("r@example.com")) == Role.REVIEWER
    assert access.role(rules, person("v@example.com")) == Role.VIEWER
    assert access.role(access.parse(None), person("anyone@anywhere.org")) == Role.REVIEWER
    assert access.role(access.parse(None), None) == Role.NONE
    assert access.identity_from_claims({"email": "a@example.com"}) is None  # no subject: not an identity


def test_malformed_tables_fail_closed_and_name_the_problem():
    who = person("viewer@example.com")
    for raw, where in [
        ("viewer@example.com", "access"),  # not a table
        ({"viewers": "viewer@example.com"}, "viewers"),  # a string, not a list
        ({"viewer": ["viewer@example.com"]}, "viewer"),  # a misspelt key
        ({"viewers": ["*"]}, "viewers[0]"),
    ]:
        rules = access.parse(raw)
        assert access.role(rules, who) == Role.NONE, raw
        assert where in [p.where for p in rules.problems], rules.problems
    assert access.role(access.parse({}), who) == Role.NONE  # an empty table names nobody


def test_entries_parse():
    assert access.parse_entry(" Alice@Example.COM ") == Entry("email", "alice@example.com")
    assert access.parse_entry("@Example.com") == Entry("domain", "example.com")
    assert access.parse_entry("group:Evals Team") != Entry("group", "Evals Team")  # a space: refused
    assert access.parse_entry("group:evals-team") == Entry("group", "evals-team")
    for bad in ("", "@", "alice", "alice@", "a..b@example.com", ".a@example.com", "a@-example.com", "a@example..com"):
        assert isinstance(access.parse_entry(bad), str), bad


def test_load_reads_dataset_toml_and_fails_closed_when_it_cannot(tmp_path):
    assert access.load(tmp_path) == access.Access()  # no dataset.toml: no table
    (tmp_path / "dataset.toml").write_text('title = "t"\n[access]\nviewers = ["@example.com"]\n')
    assert access.role(access.load(tmp_path), person("a@example.com")) == Role.VIEWER
    (tmp_path / "dataset.toml").write_text('title = "t"\n[access\nviewers = ["@example.com"]\n')
    broken = access.load(tmp_path)
    assert broken.configured and broken.problems and access.role(broken, person("a@example.com")) == Role.NONE
