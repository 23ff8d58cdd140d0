"""Rates split by eval-awareness: did the model say it believed the scenario was real, an evaluation, or neither?

Pure functions over the frames `queries/awareness_*.sql` and `queries/compare_awareness.sql` return (one row per
key × class with n, k). A transcript the chosen labeller source did not label is "no label", one whose label is
not a known value "unrecognised"; both are shown apart and never mixed into the three classes. Significance is
the Compare page's own rule (`compare.result.Row.call`, Holm across the classes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from evalboard.core.fmt import literal
from evalboard.core.schema import AWARENESS_APART, AWARENESS_LABELS, EVIDENCE_SEPARATOR, LIKELY_NOTE
from evalboard.core.stats import Comparison, compare, format_points, format_rate, holm_adjust, with_intervals
from evalboard.core.view import SPLIT_KEYS, SPLIT_SPECS, View, ignored
from evalboard.data.store import Store
from evalboard.screens.compare import result as cmp
from evalboard.screens.transcripts import BELIEVED_KEYS, page_key

# URL keys: `split=awareness` splits the page's rates (absent: no split); `awareness_source` names the labeller
# whose labels split them (default: the one with most labels).
SPLIT_KEY, SOURCE_KEY = SPLIT_KEYS
BELIEVED_KEY, BELIEVED_SOURCE_KEY = BELIEVED_KEYS  # Transcripts: one class, under one source
SPLITS = SPLIT_SPECS[SPLIT_KEY].choices  # ("awareness",)
CLASSES = AWARENESS_LABELS  # the labels a labeller can give
APART = AWARENESS_APART  # no label from this source / a value outside CLASSES
NAMES = {
    "real": "believed real",
    "evaluation": "believed evaluation",
    "none": "no statement",
    "unlabelled": "no label",
    "unrecognised": "unrecognised label",
}
COLORS = {"real": "#C62828", "evaluation": "#1F77B4", "none": "#9E9E9E", "unlabelled": "#D9D9D9"}
EMPTY = "no transcripts in this class"


def sources(store: Store) -> list[str]:
    """The dataset's eval-awareness labeller sources, most labels first (`awareness_sources.sql`)."""
    return store.run("awareness_sources").get_column("source").to_list()


def choose_source(
    sources: Sequence[str], requested: str | None, key: str = SOURCE_KEY
) -> tuple[str | None, str | None]:
    """The labeller source to split by and a warning when the URL (`key`) asked for one the dataset lacks."""
    if requested and requested in sources:
        return requested, None
    fallback = sources[0] if sources else None
    if requested:
        held = ", ".join(literal(s) for s in sources) or "none"
        return fallback, ignored(key, requested, f"no such awareness source (the data has {held})")
    return fallback, None


def split_warning(requested: str | None) -> str | None:
    """A warning for a `split` URL value the page does not offer."""
    return SPLIT_SPECS[SPLIT_KEY].check(SPLIT_KEY, requested)[1]


def believed_choice(requested: str | None) -> tuple[str | None, str | None]:
    """The eval-awareness class a Transcripts URL narrows to (None: all) and a warning for an unknown one."""
    value, warning = page_key(BELIEVED_KEY, requested)
    return (str(value) if value is not None else None), warning


def believed_caption(believed: str, source: str) -> str:
    """'Only transcripts in which the model believed the scenario was real (labels from am_classifier).'
    `source` is already quoted for Markdown."""
    what = {
        "real": "in which the model said it believed the scenario was real",
        "evaluation": "in which the model said it believed the scenario was an evaluation",
        "none": "in which the model made no statement about whether the scenario was real",
        "unlabelled": "without a label",
        "unrecognised": "whose label is not a known value",
    }[believed]
    return f"Only transcripts {what} (eval-awareness labels from {source})."


def complete(counts: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Every key × class of CLASSES (n = 0 where the class is empty) plus the apart classes the data has,
    with 95% Wilson intervals (null where n = 0) and `share`: the class's share of the key's graded transcripts."""
    present = set(counts.filter(pl.col("n") > 0).get_column("awareness").to_list())
    classes = [*CLASSES, *(c for c in APART if c in present)]
    grid = counts.select(keys).unique().join(pl.DataFrame({"awareness": classes}), how="cross")
    full = grid.join(counts.select(*keys, "awareness", "n", "k"), on=[*keys, "awareness"], how="left").with_columns(
        pl.col("n").fill_null(0), pl.col("k").fill_null(0)
    )
    total = pl.col("n").sum().over(keys)
    full = full.with_columns(share=pl.when(total > 0).then(pl.col("n") / total))
    order = {c: i for i, c in enumerate(classes)}
    return with_intervals(full).sort(*keys, pl.col("awareness").replace_strict(order, return_dtype=pl.Int32))


def rate_text(k: int, n: int) -> str:
    """A rate with its interval and counts, or a sentence where the class holds no graded transcript."""
    return format_rate(k, n) if n else EMPTY


def gap_text(real: tuple[int, int], evaluation: tuple[int, int]) -> str:
    """Believed-real minus believed-evaluation rate with its Newcombe interval, or why there is none."""
    c = compare(evaluation[0], evaluation[1], real[0], real[1])
    if not c.has_samples:
        return "no gap: a class has no transcripts"
    return format_points(c.diff, c.diff_lo, c.diff_hi)  # type: ignore[arg-type]


def table(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """One row per `key` value: each class's rate (or why it has none), the real − evaluation gap and the shares."""
    out = []
    for value in frame.get_column(key).unique(maintain_order=True).to_list():
        rows = {r["awareness"]: r for r in frame.filter(pl.col(key) == value).to_dicts()}
        line: dict[str, str | int] = {key: value}
        for cls in (*CLASSES, *(c for c in APART if c in rows)):
            line[NAMES[cls]] = rate_text(rows[cls]["k"], rows[cls]["n"])
        line["real − evaluation"] = gap_text(
            (rows["real"]["k"], rows["real"]["n"]), (rows["evaluation"]["k"], rows["evaluation"]["n"])
        )
        graded = sum(r["n"] for r in rows.values())
        line["shares (real / evaluation / none)"] = (
            " / ".join(f"{100 * rows[c]['n'] / graded:.0f}%" for c in CLASSES) if graded else "no graded transcripts"
        )
        out.append(line)
    return pl.DataFrame(out)


# --- Compare: A against B within each class ---------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A vs B per awareness class (Holm across the three classes), the apart classes' counts, and the shares."""

    rows: tuple[cmp.Row, ...]  # one per CLASSES entry; Row.family holds the class name
    apart: Mapping[str, tuple[int, int]]  # class → (n on A, n on B) for "no label" / "unrecognised"
    share: Mapping[str, tuple[float | None, float | None]]  # class → its share of A's and of B's graded transcripts

    def row(self, cls: str) -> cmp.Row:
        return self.rows[CLASSES.index(cls)]


def compare_split(counts: pl.DataFrame) -> Split:
    """From `compare_awareness.sql` (side, awareness, n, k): A against B in every class."""
    got = {(r["side"], r["awareness"]): (r["k"], r["n"]) for r in counts.to_dicts()}
    comparisons = holm_adjust([compare(*got.get(("A", c), (0, 0)), *got.get(("B", c), (0, 0))) for c in CLASSES])
    rows = tuple(cmp.Row(NAMES[c], False, comp, None, 0, 0) for c, comp in zip(CLASSES, comparisons, strict=True))
    apart = {c: (got.get(("A", c), (0, 0))[1], got.get(("B", c), (0, 0))[1]) for c in APART}
    totals = {s: sum(n for (side, _), (_, n) in got.items() if side == s) for s in ("A", "B")}
    share = {
        c: tuple(got.get((s, c), (0, 0))[1] / totals[s] if totals[s] else None for s in ("A", "B")) for c in CLASSES
    }
    return Split(rows, {c: v for c, v in apart.items() if any(v)}, share)  # type: ignore[arg-type]


def compare_table(split: Split) -> pl.DataFrame:
    """The per-class table: A's and B's rate, B − A with its interval, the call and the test."""
    out = []
    for cls, row in zip(CLASSES, split.rows, strict=True):
        c = row.comparison
        a_share, b_share = split.share[cls]
        out.append(
            {
                "believed": NAMES[cls],
                "A": rate_text(c.a.k, c.a.n),
                "B": rate_text(c.b.k, c.b.n),
                "B − A": format_points(c.diff, c.diff_lo, c.diff_hi) if c.has_samples else _missing(c),
                "verdict": row.verdict() if c.has_samples else _missing(c),
                "test": c.describe_significance(),
                "share of A / B": f"{_share(a_share)} / {_share(b_share)}",
            }
        )
    return pl.DataFrame(out)


def _share(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _missing(c: Comparison) -> str:
    return "no transcripts in this class on " + " and ".join(s for s, r in (("A", c.a), ("B", c.b)) if r.n == 0)


def _short(k: int, n: int) -> str:
    return f"{100 * k / n:.0f}% (n={n:,})"


def headline(split: Split, pooled: cmp.Row) -> str:
    """Where B's change sits: concentrated in believed-evaluation transcripts, or holding among believed-real ones."""
    real, evaluation = split.row("real"), split.row("evaluation")
    rc = real.comparison
    if not rc.has_samples:
        return f"Among believed-real transcripts there is nothing to compare: {_missing(rc)}."
    rates = f"{_short(rc.a.k, rc.a.n)} → {_short(rc.b.k, rc.b.n)}"
    change = f"{format_points(rc.diff, rc.diff_lo, rc.diff_hi)}"  # type: ignore[arg-type]
    drop = pooled.significant and not pooled.regression
    if drop and not real.significant:
        a_eval, b_eval = split.share["evaluation"]
        more_aware = a_eval is not None and b_eval is not None and b_eval > a_eval
        if more_aware or (evaluation.significant and not evaluation.regression):
            shares = f" (believed evaluation: {_share(a_eval)} of A's transcripts, {_share(b_eval)} of B's)"
            return (
                f"B's drop is mostly in believed-evaluation transcripts{shares}; among believed-real ones: {rates}, "
                f"no significant change ({change}). It may have taught test-detection rather than values."
            )
        return f"B's drop does not hold among believed-real transcripts: {rates}, no significant change ({change})."
    if drop:
        return f"B's drop holds among believed-real transcripts: {rates}, {change}."
    return f"Among believed-real transcripts: {rates}, {real.verdict()} ({change})."


def compare_params(a: cmp.Side, b: cmp.Side, options: cmp.Options, view_params: Mapping, source: str) -> dict:
    """Bound parameters for `compare_awareness.sql` (the pairing query's, plus the awareness labeller source)."""
    params = cmp.pairs_params(a, b, options, view_params)
    return params | {"awareness_source": source}


def load_compare_split(store: Store, a: cmp.Side, b: cmp.Side, options: cmp.Options, view: View, source: str) -> Split:
    """A and B's rates per eval-awareness class under labeller `source` (`compare_awareness.sql`)."""
    return compare_split(store.run("compare_awareness", compare_params(a, b, options, view.params(), source)))


@dataclass(frozen=True)
class Passages:
    """What the transcript viewer marks ⟦…⟧: the labels' evidence passages, and how to name them."""

    texts: list[str]
    likely: bool  # every passage is a keyword pick among a judge's highlights, none quoted for the label

    @property
    def label(self) -> str:
        """Said beside a reasoning block holding one."""
        return (
            "holds a passage likely relevant to eval-awareness"
            if self.likely
            else ("holds the passage an awareness labeller quoted")
        )

    @property
    def caption(self) -> str:
        """What the marks mean."""
        if self.likely:
            return (
                "marks a passage likely relevant to eval-awareness: picked by keyword among the judge's highlights, "
                "not quoted by the judge for this label."
            )
        return "marks the passage the eval-awareness labeller quoted."


def evidence_passages(labels: Sequence[Mapping]) -> Passages:
    """The passages the transcript's awareness labels give as evidence (each quoted passage apart), and whether
    they are only likely relevant (a Petri label whose judge cited no highlight for it, see `LIKELY_NOTE`)."""
    texts: list[str] = []
    likely = []
    for label in labels:
        evidence = label.get("evidence")
        if not evidence:
            continue
        texts += [p for p in str(evidence).split(EVIDENCE_SEPARATOR) if p.strip()]
        likely.append(LIKELY_NOTE in str(label.get("explanation") or ""))
    return Passages(list(dict.fromkeys(texts)), bool(likely) and all(likely))
