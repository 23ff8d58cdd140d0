"""Agreement between two verdict sources on the transcripts both graded (no Streamlit here).

Counts come from `queries/agreement.sql` (each transcript once per source, its latest verdict); kappa and the
paired difference of rates from `evalboard/core/stats.py`. Every number that cannot be computed carries a sentence
saying why instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from evalboard.core import links, urls
from evalboard.core.checkpoints import names
from evalboard.core.fmt import literal
from evalboard.core.stats import Kappa, Rate, cohens_kappa, format_points, paired_diff, rate
from evalboard.core.view import PRIMARY, SOURCE_KEY, View, ignored
from evalboard.data.reviews import DISAGREEMENT_QUEUE
from evalboard.data.store import Store
from evalboard.screens.transcripts import sample_lines, stages_with_steps

# URL keys of the Agreement page: the two sources compared.
X_KEY, Y_KEY = URL_KEYS = urls.AGREEMENT_KEYS
COUNTS = ("both_harmful", "x_only", "y_only", "neither")
VERDICT_WORD = {True: "harmful", False: "safe"}
METHOD = (
    "Cohen's kappa (1960) on the transcripts both sources graded, with a 95% interval kappa ± 1.96·SE from the "
    "large-sample standard error of Fleiss, Cohen & Everitt (1969) — the ASE SAS prints and statsmodels' "
    "`cohens_kappa` computes; with fewer than about 30 transcripts in common treat it as rough. Rates have 95% "
    "Wilson intervals; their difference (y − x) is paired (same transcripts) and has Newcombe's (1998) paired "
    "hybrid-score interval (his method 10)."
)


@dataclass(frozen=True)
class Table:
    """The 2×2 table of two sources on the transcripts both graded, and what follows from it."""

    label: str
    both_harmful: int
    x_only: int  # harmful under x, safe under y
    y_only: int  # safe under x, harmful under y
    neither: int
    samples: int = 0  # transcripts in the view (graded by either, neither or both)
    x_graded: int = 0
    y_graded: int = 0

    @property
    def n(self) -> int:
        return self.both_harmful + self.x_only + self.y_only + self.neither

    @property
    def discordant(self) -> int:
        return self.x_only + self.y_only

    @property
    def agreement(self) -> float | None:
        return (self.both_harmful + self.neither) / self.n if self.n else None

    @property
    def kappa(self) -> Kappa:
        return cohens_kappa([[self.both_harmful, self.x_only], [self.y_only, self.neither]])

    @property
    def x_rate(self) -> Rate:
        return rate(self.both_harmful + self.x_only, self.n)

    @property
    def y_rate(self) -> Rate:
        return rate(self.both_harmful + self.y_only, self.n)

    @property
    def difference(self) -> tuple[float, float, float]:
        """y − x on the same transcripts with its paired interval (NaNs when n = 0)."""
        return paired_diff(self.both_harmful, self.x_only, self.y_only, self.neither)


@dataclass(frozen=True)
class Result:
    """Everything the Agreement page shows for sources x and y in a view."""

    x: str
    y: str
    overall: Table
    by_family: tuple[Table, ...]
    by_intervention: tuple[Table, ...]


def sources_problems(x: str | None, y: str | None, available: Sequence[str]) -> list[str]:
    """Why x and y cannot be compared ([] when they can): an unknown source, or the same one twice."""
    problems = [
        f"There is no verdict source {literal(name)} in this dataset (it has: {', '.join(map(literal, available))})."
        for name in dict.fromkeys((x, y))
        if name is not None and name not in available
    ]
    if not problems and x == y and x is not None:
        problems.append(f"Both sides are {literal(x)}: pick two different verdict sources.")
    return problems


def default_pair(available: Sequence[str], x: str | None, y: str | None) -> tuple[str | None, str | None]:
    """x defaults to primary, y to the first other source (None when the dataset has only one)."""
    x = x if x in available else (PRIMARY if PRIMARY in available else (available[0] if available else None))
    others = [s for s in available if s != x]
    y = y if y in available and y != x else (others[0] if others else None)
    return x, y


def _sum(frame: pl.DataFrame, label: str) -> Table:
    columns = (*COUNTS, "samples", "x_graded", "y_graded")
    totals = {c: int(frame.get_column(c).sum()) if frame.height else 0 for c in columns}
    return Table(label, **totals)


def compute(store: Store, view: View, x: str, y: str) -> Result:
    """Count and compare sources x and y on the view's transcripts (the view's own source is not used)."""
    frame = store.run("agreement", view.params() | {"x": x, "y": y})
    overall = _sum(frame, "all transcripts in view")

    def grouped(column: str) -> tuple[Table, ...]:
        keys = sorted(set(frame.get_column(column).to_list()))
        return tuple(_sum(frame.filter(pl.col(column) == key), key) for key in keys)

    return Result(x, y, overall, grouped("scenario_family"), grouped("intervention"))


def no_numbers_reason(table: Table) -> str | None:
    """Why nothing can be measured on this table (None when something can)."""
    if table.n == 0:
        if table.x_graded == 0 or table.y_graded == 0:
            return "no transcript in this view was graded by both sources"
        return "no transcript in this view was graded by both sources (each graded different ones)"
    return None


def kappa_text(k: Kappa) -> str:
    """'0.81 [0.74, 0.88]', or the reason kappa cannot be given (never NaN)."""
    if k.n == 1:
        return "needs at least 2 transcripts graded by both (there is 1)"
    if k.kappa is None:
        return k.reason or "undefined"
    return f"{k.kappa:.2f} [{k.lo:.2f}, {k.hi:.2f}]"


def pct(x: float | None) -> str:
    return "—" if x is None or math.isnan(x) else f"{100 * x:.1f}%"


def frame(tables: Sequence[Table], x: str, y: str, group: str) -> pl.DataFrame:
    """The per-group table the page shows: n graded by both, agreement, kappa, the rate under each source and their
    paired difference (what fits a screen at 1280 px; the disagreements open from the selected row). The sources are
    named x and y in the headers (their names, of any length, are in the page's caption: `sources_caption`)."""
    rows = []
    for t in tables:
        reason = no_numbers_reason(t)
        d = t.difference
        rows.append(
            {
                group: t.label,
                "n": t.n,  # graded by both
                "agree": reason or pct(t.agreement),
                "kappa [95% CI]": kappa_text(t.kappa) if not reason else "—",
                "rate under x": t.x_rate.describe() if t.n else "—",  # the rate under each source
                "rate under y": t.y_rate.describe() if t.n else "—",
                "y − x": format_points(*d) if t.n else "—",
            }
        )
    return pl.DataFrame(rows, schema_overrides={group: pl.String}) if rows else pl.DataFrame()


def headline(result: Result) -> str:
    """One sentence for the top of the page: agreement, kappa, and how many transcripts would change the rate."""
    t, x, y = result.overall, result.x, result.y
    reason = no_numbers_reason(t)
    if reason:
        return f"Nothing to compare: {reason}."
    d, lo, hi = t.difference
    changes = (
        f"{t.discordant:,} of {t.n:,} transcripts would change verdict if {y} replaced {x} "
        f"({t.x_only:,} harmful → safe, {t.y_only:,} safe → harmful), moving the rate from "
        f"{pct(t.x_rate.rate)} to {pct(t.y_rate.rate)} ({format_points(d, lo, hi)})."
    )
    return (
        f"On {t.n:,} transcripts both graded, {x} and {y} agree on {pct(t.agreement)}; "
        f"Cohen's kappa {kappa_text(t.kappa)}. {changes}"
    )


def rates_frame(t: Table, x: str, y: str) -> pl.DataFrame:
    """Both rates on the transcripts both graded (Wilson intervals) and their paired difference."""
    return pl.DataFrame(
        {
            "source": [x, y, f"{y} − {x} (paired difference)"],
            "rate on the transcripts both graded": [
                t.x_rate.describe(),
                t.y_rate.describe(),
                format_points(*t.difference),
            ],
        }
    )


def confusion(t: Table, x: str, y: str) -> pl.DataFrame:
    """The 2×2 table as the page shows it: rows are x's verdict, columns y's."""
    return pl.DataFrame(
        {
            f"{x} ↓ / {y} →": ["harmful", "safe"],
            "harmful": [t.both_harmful, t.y_only],
            "safe": [t.x_only, t.neither],
        }
    )


def transcripts_link(
    view: View, x: str, y: str, x_harmful: bool, y_harmful: bool, family: str | None = None
) -> dict[str, str | list[str]]:
    """Transcripts-page state listing exactly one cell of the 2×2 table: the view (narrowed to `family`), listed
    under source x with x's verdict, and y's verdict given by the `by` / `by_verdict` page keys."""
    filters: dict[str, str | list[str]] = {k: list(v) for k, v in view.to_query_params().items() if k != SOURCE_KEY}
    if family is not None:
        filters["family"] = [family]
    return links.transcripts(
        filters | {SOURCE_KEY: x}, verdict=VERDICT_WORD[x_harmful], by=y, by_verdict=VERDICT_WORD[y_harmful]
    )


def ignored_source(key: str, asked: str, available: Sequence[str]) -> str:
    """The URL warning for an x or y naming a source the dataset lacks (the bound picker falls back)."""
    return ignored(key, asked, f"the dataset has no such verdict source; it has {', '.join(map(literal, available))}")


def cell_counts(t: Table) -> Mapping[tuple[bool, bool], int]:
    """(x harmful, y harmful) → count."""
    return {(True, True): t.both_harmful, (True, False): t.x_only, (False, True): t.y_only, (False, False): t.neither}


QUEUE_LIMIT = 200


def review_queue(store: Store, view: View, x: str, y: str) -> tuple[pl.DataFrame, int]:
    """Unreviewed transcripts of the view on which x and y disagree (the first QUEUE_LIMIT) and how many in all."""
    frame = store.run("review_queue", view.params() | {"x": x, "y": y, "limit": QUEUE_LIMIT})
    total = int(frame.get_column("total")[0]) if frame.height else 0
    shown = frame.with_columns(checkpoint=names(frame, stages_with_steps(store)))
    shown = shown.with_columns(  # what fits a screen at 1280 px: the sample in one wrapped column, x and y by letter
        sample_lines(shown),
        **{
            "under x": pl.when(pl.col("x_harmful")).then(pl.lit("harmful")).otherwise(pl.lit("safe")),
            "under y": pl.when(pl.col("y_harmful")).then(pl.lit("harmful")).otherwise(pl.lit("safe")),
        },
    )
    return shown.select("sample", "under x", "under y", "sample_id"), total


def sources_caption(x: str, y: str) -> str:
    """Which source the grids' x and y are (Markdown: the names quoted)."""
    return f"x = {literal(x)}, y = {literal(y)}."


# The Transcripts keys of a transcript opened from the review queue. Streamlit's page switch first records the new
# page's query under the old page's path (a history entry `/agreement?sample=…&queue_x=…&queue_y=…`), so the
# browser's Back from that transcript lands there: Agreement reads the pair from it and drops the rest.
LEFT_BY_THE_WAY_BACK = ("sample", "queue_x", "queue_y")


def asked_pair(params: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The two sources a URL asks for: `x` and `y`, else the review queue's pair a transcript was opened from."""
    return params.get(X_KEY) or params.get("queue_x"), params.get(Y_KEY) or params.get("queue_y")


def next_in_queue(queue: Sequence[str], current: str) -> str | None:
    """The transcript to review after `current` in the review queue's ids: the one after it, or, once `current` has
    been reviewed (and so left the queue), the queue's first; None at the end of the queue."""
    if current in queue:
        at = list(queue).index(current)
        return queue[at + 1] if at + 1 < len(queue) else None
    return queue[0] if queue else None


def queue_link(view: View, x: str, y: str, sample_id: str) -> dict[str, str | list[str]]:
    """The Transcripts page showing one transcript of the x-vs-y review queue, with the way back to the queue."""
    return links.transcripts(view.to_query_params(), sample=sample_id, queue=DISAGREEMENT_QUEUE, queue_x=x, queue_y=y)
