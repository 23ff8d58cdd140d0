"""Who may see a dataset and who may review it: the `[access]` table of `dataset.toml` (pure rules, no Streamlit).

docs/ARCHITECTURE.md, "Sign-in and access". An entry is an e-mail address (`alice@example.com`), a whole domain
(`@example.com`: addresses at exactly that domain, not its subdomains) or a group (`group:NAME`, matched exactly
against the provider's `groups` claim). Reviewers are also viewers. Without an `[access]` table every signed-in
user views and reviews. A malformed entry grants nothing and is named (`Access.problems`); a table that cannot be
read grants nothing to anyone: the rules fail closed, never open.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from evalboard.core.fmt import literal
from evalboard.core.manifest import MANIFEST_NAME

TABLE = "access"
LISTS = ("viewers", "reviewers")
GROUP_PREFIX = "group:"
# ASCII only, compared lower-cased: `str.lower()` maps some non-ASCII letters to ASCII ones (the Kelvin sign to
# "k"), so a non-ASCII address could otherwise match an entry it does not name.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
LOCAL = re.compile(r"[a-z0-9!#$%&'+/=?^_`{|}~.-]{1,64}")  # no '*': a wildcard is not an entry
GROUP = re.compile(r"[^\s\x00-\x1f\x7f]{1,256}")


class Role(IntEnum):
    """What a signed-in user may do with a dataset; a higher role includes the lower ones."""

    NONE = 0
    VIEWER = 1
    REVIEWER = 2


@dataclass(frozen=True)
class Entry:
    """One valid entry of a list: kind is "email", "domain" or "group"; value is lower-cased except for groups."""

    kind: str
    value: str


@dataclass(frozen=True)
class Problem:
    """A part of `[access]` that grants nothing: where it is (`viewers[2]`), the entry as written (or None), why."""

    where: str
    entry: str | None
    reason: str


@dataclass(frozen=True)
class Access:
    """The parsed `[access]` table. `configured` is False when the dataset has none (everyone signed in reviews)."""

    configured: bool = False
    viewers: tuple[Entry, ...] = ()
    reviewers: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Identity:
    """A signed-in user as the identity provider describes them. `email` is None when the provider sent none or
    said it is not verified; `groups` is the provider's `groups` claim."""

    subject: str
    email: str | None = None
    groups: tuple[str, ...] = ()
    issuer: str = ""

    @property
    def label(self) -> str:
        """How the user is named to themselves and in reviews: the e-mail, else the subject."""
        return self.email or self.subject


def identity_from_claims(claims: Mapping[str, object]) -> Identity | None:
    """The identity in an ID token's claims (Streamlit's `st.user`), or None without a subject."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        return None
    email = claims.get("email")
    verified = claims.get("email_verified")
    unverified = verified is False or (isinstance(verified, str) and verified.strip().lower() == "false")
    groups = claims.get("groups")
    return Identity(
        subject=subject,
        email=email.strip() if isinstance(email, str) and email.strip() and not unverified else None,
        groups=tuple(g for g in groups if isinstance(g, str)) if isinstance(groups, list | tuple) else (),
        issuer=str(claims.get("iss") or ""),
    )


def parse_entry(text: object) -> Entry | str:
    """An entry, or why `text` is not one."""
    if not isinstance(text, str):
        return "an entry must be text in quotes"
    raw = text.strip()
    if raw.startswith(GROUP_PREFIX):
        name = raw[len(GROUP_PREFIX) :]
        return Entry("group", name) if GROUP.fullmatch(name) else "a group needs a name without spaces: group:NAME"
    if not raw.isascii():
        return "only ASCII addresses and domains (write an internationalised domain in its xn-- form)"
    lowered = raw.lower()
    if "*" in lowered:
        return "wildcards are not entries: write @example.com for everyone at one domain"
    local, at, domain = lowered.partition("@")
    if not at:
        return "not an e-mail address, @domain or group:NAME"
    if "@" in domain or not DOMAIN.fullmatch(domain):
        return "the part after @ is not a domain name"
    if local == "":
        return Entry("domain", domain)
    if not LOCAL.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        return "the part before @ is not an e-mail address"
    return Entry("email", lowered)


def _parse_list(name: str, value: object) -> tuple[tuple[Entry, ...], list[Problem]]:
    if not isinstance(value, list):
        return (), [Problem(name, None, 'must be a list, e.g. ["alice@example.com", "@example.com"]')]
    entries, problems = [], []
    for i, item in enumerate(value):
        parsed = parse_entry(item)
        if isinstance(parsed, Entry):
            entries.append(parsed)
        else:
            problems.append(Problem(f"{name}[{i}]", item if isinstance(item, str) else repr(item), parsed))
    return tuple(entries), problems


def parse(table: object) -> Access:
    """The `[access]` value of a dataset.toml (None when there is none)."""
    if table is None:
        return Access()
    if not isinstance(table, Mapping):
        return Access(configured=True, problems=(Problem(TABLE, None, "must be a table: [access]"),))
    lists: dict[str, tuple[Entry, ...]] = {}
    problems: list[Problem] = []
    for name in LISTS:
        lists[name], found = _parse_list(name, table[name]) if name in table else ((), [])
        problems += found
    problems += [
        Problem(str(key), None, "unknown key (only viewers and reviewers)") for key in table if key not in LISTS
    ]
    return Access(configured=True, viewers=lists["viewers"], reviewers=lists["reviewers"], problems=tuple(problems))


def unreadable(reason: str) -> Access:
    """The rules of a dataset whose dataset.toml cannot be read (its storage unreachable): nobody has access."""
    return Access(configured=True, problems=(Problem(MANIFEST_NAME, None, f"cannot be read: {reason}"),))


def load(root: Path) -> Access:
    """The access rules of the dataset folder `root`. A dataset.toml that cannot be read grants nobody access."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        return Access()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        return unreadable(str(exc))
    return parse(raw.get(TABLE))


def _email_domain(email: str) -> tuple[str, str] | None:
    """(address, domain) lower-cased, or None when `email` is not a plain ASCII address."""
    if not email.isascii():
        return None
    lowered = email.lower()
    domain = lowered.rpartition("@")[2]
    return (lowered, domain) if "@" in lowered and DOMAIN.fullmatch(domain) else None


def names(entries: Sequence[Entry], identity: Identity) -> bool:
    """Whether one of `entries` names this user."""
    address = _email_domain(identity.email) if identity.email else None
    for entry in entries:
        if entry.kind == "group" and entry.value in identity.groups:
            return True
        if address is not None and (
            (entry.kind == "email" and entry.value == address[0])
            or (entry.kind == "domain" and entry.value == address[1])
        ):
            return True
    return False


def role(access: Access, identity: Identity | None) -> Role:
    """What `identity` may do with the dataset: everything without an `[access]` table, else what its lists name."""
    if identity is None:
        return Role.NONE
    if not access.configured:
        return Role.REVIEWER
    if names(access.reviewers, identity):
        return Role.REVIEWER
    return Role.VIEWER if names(access.viewers, identity) else Role.NONE


def describe(access: Access, sign_in: bool) -> str:
    """One sentence for Data health: who may view and review this dataset (`sign_in`: sign-in is configured)."""
    if not sign_in:
        if access.configured:
            return (
                "This dataset has an [access] table, but sign-in is not configured ([auth] in "
                ".streamlit/secrets.toml), so it does not apply: everyone who reaches the app views and reviews."
            )
        return "Sign-in is not configured: everyone who reaches the app views and reviews."
    if not access.configured:
        return "This dataset has no [access] table: every signed-in user views and reviews."
    return (
        f"Access is limited by the dataset's [access] table: {len(access.viewers)} viewer and "
        f"{len(access.reviewers)} reviewer entries (reviewers also view)."
    )


def entry_text(entry: Entry) -> str:
    """An entry as it is written in dataset.toml."""
    return {"domain": "@", "group": GROUP_PREFIX}.get(entry.kind, "") + entry.value


def who_may_review(rules: Access) -> str:
    """Markdown for a viewer who cannot review: who can."""
    if not rules.reviewers:
        return "this dataset's access list names no reviewers, so nobody reviews it here."
    names_ = ", ".join(literal(entry_text(e)) for e in rules.reviewers)
    return f"reviews are written by this dataset's reviewers ({names_})."
