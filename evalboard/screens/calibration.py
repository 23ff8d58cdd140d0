"""Calibration against people (docs/ARCHITECTURE.md, "Calibration"; no Streamlit here).

A calibration sample is a seeded random draw of the view's graded transcripts, stratified by scenario family × primary
verdict, stored as one Parquet file per draw under `DATA/calibration/` (the newest draw is in force). Reviews opened
from it carry `queue = "calibration"`; only those measure a grader's error (sensitivity and specificity against the
human majority, weighted by the design), which corrects a rate (`stats.corrected_rate`). Reviews from the
disagreement queue never do: they were chosen because graders disagree.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core import location as locations
from evalboard.core import urls
from evalboard.core.location import StorageError
from evalboard.core.schema import CALIBRATION
from evalboard.core.stats import (
    MIN_CALIBRATION,
    Alpha,
    CorrectedRate,
    ErrorOverlap,
    Kappa,
    Proportion,
    cohens_kappa,
    corrected_rate,
    error_overlap,
    format_rate,
    krippendorff_alpha,
    reviews_for_width,
    weighted_proportion,
)
from evalboard.core.view import PRIMARY, View
from evalboard.data import delta_write
from evalboard.data.reviews import CALIBRATION_QUEUE, DISAGREEMENT_QUEUE
from evalboard.data.store import Store

FOLDER = "calibration"
HUMAN = "human"
DEFAULT_PER_STRATUM = 20
MAX_PER_STRATUM = 500
DEFAULT_SEED = 1
TARGET_HALF_WIDTH = 0.05  # "how many reviews would narrow it to ± 5 points"
# The page key that shows corrected rates beside raw ones on Overview, Compare and Readiness ("1" = shown).
CORRECTED_KEY = urls.CORRECTED_KEY
HUMAN_RULE = (
    "Each reviewer's latest review of a transcript is their vote. The human verdict is the verdict most votes give "
    "among harmful, not harmful and unsure; a tie for the most votes is unsure, and unsure is no verdict. A "
    "transcript is contested when its votes split between harmful and not harmful."
)
ERROR_METHOD = (
    "Sensitivity = share of the transcripts people call harmful that the grader calls harmful; specificity = share "
    "of those people call not harmful that it calls not harmful. Only reviews opened from the calibration queue "
    "count, on the calibration sample in force; transcripts without a human verdict (unsure, a tie, not yet "
    "reviewed) are left out, as if missing at random within their stratum. Each reviewed transcript is weighted by "
    "its stratum's size over its reviewed count; intervals are Wilson's at the design's effective sample size."
)


_NO_VERDICTS = pl.DataFrame(schema={"sample_id": pl.String, "source": pl.String, "harmful": pl.Boolean})


class CalibrationError(ValueError):
    """A draw that cannot be made; the message says why."""


@dataclass(frozen=True)
class GraderError:
    """One verdict source measured against people on the calibration sample."""

    source: str
    sensitivity: Proportion
    specificity: Proportion
    reviewed: int  # calibration transcripts with a human verdict and this source's verdict
    by_family: tuple[tuple[str, Proportion, Proportion], ...] = ()

    def more_reviews(self, half_width: float = TARGET_HALF_WIDTH) -> tuple[int | None, int | None]:
        """More calibration reviews that would bring sensitivity and specificity to ± half_width."""
        return (
            reviews_for_width(self.sensitivity, half_width, self.reviewed),
            reviews_for_width(self.specificity, half_width, self.reviewed),
        )


@dataclass(frozen=True)
class Calibration:
    """The calibration sample in force, its human votes and every source's error (empty when nothing is drawn)."""

    items: pl.DataFrame  # calibration_items.sql
    verdicts: pl.DataFrame  # calibration_verdicts.sql
    errors: Mapping[str, GraderError]
    disagreement_reviews: int  # reviews from the disagreement queue (never used here)

    @property
    def drawn(self) -> bool:
        return self.items.height > 0

    @property
    def reviewed(self) -> int:
        """Calibration transcripts with a human verdict."""
        return int(self.items.get_column("human").is_not_null().sum()) if self.drawn else 0


def draw(store: Store, view: View, per_stratum: int = DEFAULT_PER_STRATUM, seed: int = DEFAULT_SEED,
         now: datetime | None = None, draw_id: str | None = None) -> Path | str:  # fmt: skip
    """Draw a calibration sample of the view and store it as the draw in force, in the store's dataset; return its file
    (in a Delta dataset — any on S3 — the calibration table's location: the draw is one append commit, as a review).
    The same view, seed and size draw the same transcripts (`now` and `draw_id` fixed make the file byte-identical:
    the demo). Raises CalibrationError when nothing can be drawn or the storage fails (one line)."""
    if not 1 <= per_stratum <= MAX_PER_STRATUM:
        raise CalibrationError(f"Draw between 1 and {MAX_PER_STRATUM} transcripts per stratum.")
    frame = store.run("calibration_draw", view.params() | {"per_stratum": per_stratum, "seed": str(seed)})
    if frame.height == 0:
        raise CalibrationError("The view holds no graded transcripts to draw from; clear a sidebar filter.")
    created = (now or datetime.now(UTC)).astimezone(UTC)
    draw_id = draw_id or f"{created.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}"
    filters = "&".join(f"{k}={v}" for k, values in sorted(view.to_query_params().items()) for v in values)
    table = frame.with_columns(
        draw_id=pl.lit(draw_id),
        probability=pl.col("drawn") / pl.col("stratum_size"),
        seed=pl.lit(seed, dtype=pl.Int64),
        view=pl.lit(filters),
        created_at=pl.lit(created),
    ).select(CALIBRATION.names)
    rows = pa.Table.from_pylist(table.to_dicts(), schema=CALIBRATION)
    location = locations.parse(store.dataset)
    try:
        if delta_write.writes_delta(location):
            delta_write.append(location, FOLDER, rows, note=f"calibration {draw_id}")
            return location.table_uri(FOLDER)
    except StorageError as exc:
        raise CalibrationError(f"The sample could not be saved: {exc}") from None
    folder = Path(store.dataset) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{draw_id}.parquet"
    temp = folder / f".{final.name}.tmp"  # not *.parquet: the store never reads a file being written
    pq.write_table(rows, temp)
    os.replace(temp, final)
    return final


def draw_name(stored: Path | str) -> str:
    """What `draw` returned, as a page names it: the draw's file name, or the calibration table's."""
    return Path(str(stored)).stem


def draw_settings(calibration: Calibration) -> tuple[int, int]:
    """(transcripts per stratum, seed) of the sample in force, else the defaults."""
    if not calibration.drawn:
        return DEFAULT_PER_STRATUM, DEFAULT_SEED
    per_stratum = int(calibration.items.get_column("drawn").max() or DEFAULT_PER_STRATUM)  # type: ignore[arg-type]
    seed = calibration.items.get_column("seed")[0]
    return min(per_stratum, MAX_PER_STRATUM), DEFAULT_SEED if seed is None else int(seed)


def strata(items: pl.DataFrame) -> pl.DataFrame:
    """Per stratum: transcripts in the view, drawn, the sampling probability, reviewed with a human verdict."""
    if items.height == 0:
        return pl.DataFrame()
    return (
        items.group_by("stratum")
        .agg(
            pl.col("stratum_size").first().alias("in view"),
            pl.col("drawn").first().alias("drawn"),
            pl.col("human").is_not_null().sum().alias("with a human verdict"),
        )
        .with_columns((pl.col("drawn") / pl.col("in view")).alias("sampling probability"))
        .sort("stratum")
    )


def _error(source: str, frame: pl.DataFrame, population: dict[str, int], family: str | None = None) -> GraderError:
    said, human = frame.get_column("said").to_list(), frame.get_column("human").to_list()
    strata_of = frame.get_column("stratum").to_list()
    sens = weighted_proportion([s and h for s, h in zip(said, human, strict=True)], human, strata_of, population)
    spec = weighted_proportion(
        [not s and not h for s, h in zip(said, human, strict=True)], [not h for h in human], strata_of, population
    )
    return GraderError(source, sens, spec, frame.height)


def load(store: Store) -> Calibration:
    """The calibration sample in force and every source's error against its human verdicts."""
    items = store.run("calibration_items")
    ids = items.get_column("sample_id").to_list()
    verdicts = store.run("calibration_verdicts", {"ids": ids}) if ids else _NO_VERDICTS
    disagreement = int(store.run("reviews_all").filter(pl.col("queue") == DISAGREEMENT_QUEUE).height)
    errors: dict[str, GraderError] = {}
    if items.height:
        population = dict(zip(items["stratum"].to_list(), items["stratum_size"].to_list(), strict=True))
        judged = items.filter(pl.col("human").is_not_null()).select("sample_id", "stratum", "scenario_family", "human")
        joined = judged.join(verdicts.filter(pl.col("harmful").is_not_null()), on="sample_id").rename(
            {"harmful": "said"}
        )
        for source in sorted(set(joined.get_column("source").to_list()), key=lambda s: (s != PRIMARY, s)):
            mine = joined.filter(pl.col("source") == source)
            overall = _error(source, mine, population)
            families = tuple(
                (family, e.sensitivity, e.specificity)
                for family in sorted(set(mine.get_column("scenario_family").to_list()))
                for e in [_error(source, mine.filter(pl.col("scenario_family") == family), population)]
            )
            errors[source] = GraderError(source, overall.sensitivity, overall.specificity, overall.reviewed, families)
    return Calibration(items, verdicts, errors, disagreement)


def correct(calibration: Calibration, source: str, k: int, n: int, confidence: float = 0.95) -> CorrectedRate:
    """k/n under `source` corrected for that source's error measured on the calibration sample, or the reason not."""
    raw = k / n if n else None
    if source == HUMAN:
        return CorrectedRate(None, None, None, raw, "the rate is people's own verdicts: there is no grader to correct")
    error = calibration.errors.get(source)
    if error is None:
        if not calibration.drawn or calibration.reviewed == 0:
            why = (
                f"only the {calibration.disagreement_reviews:,} reviews from the disagreement queue exist, and they "
                "were chosen because graders disagree, so they cannot measure a grader's error"
                if calibration.disagreement_reviews
                else "no calibration sample has been reviewed"
            )
            return CorrectedRate(None, None, None, raw, f"{why}; draw and review a calibration sample on Agreement")
        why = "this verdict source gave no verdict on the reviewed calibration sample"
        return CorrectedRate(None, None, None, raw, why)
    return corrected_rate(k, n, error.sensitivity, error.specificity, confidence)


def per_family_ok(sens: Proportion, spec: Proportion) -> bool:
    """Whether a family's own error estimates rest on enough reviewed transcripts to be shown."""
    return min(sens.n, spec.n) >= MIN_CALIBRATION


def error_frame(calibration: Calibration, half_width: float = TARGET_HALF_WIDTH) -> pl.DataFrame:
    """One row per verdict source: sensitivity, specificity (weighted, Wilson at the effective n), reviews, and how
    many more reviews would narrow each to ± half_width."""
    rows = []
    for source, e in calibration.errors.items():
        more_sens, more_spec = e.more_reviews(half_width)
        rows.append(
            {
                "source": source,
                "sensitivity [95% CI]": e.sensitivity.describe(),
                "specificity [95% CI]": e.specificity.describe(),
                "reviewed": e.reviewed,
                f"more reviews for ±{100 * half_width:g} pts (sens / spec)": f"{_more(more_sens)} / {_more(more_spec)}",
            }
        )
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def family_error_frame(calibration: Calibration) -> pl.DataFrame:
    """Per source and family: sensitivity and specificity where the family has enough reviews, else why not."""
    rows = []
    for source, e in calibration.errors.items():
        for family, sens, spec in e.by_family:
            ok = per_family_ok(sens, spec)
            few = f"too few reviews ({sens.n} harmful, {spec.n} not harmful; {MIN_CALIBRATION} of each needed)"
            rows.append(
                {
                    "source": source,
                    "scenario_family": family,
                    "sensitivity [95% CI]": sens.describe() if ok else few,
                    "specificity [95% CI]": spec.describe() if ok else "—",
                }
            )
    return pl.DataFrame(rows, schema_overrides={"scenario_family": pl.String}) if rows else pl.DataFrame()


def _more(n: int | None) -> str:
    return "—" if n is None else ("enough" if n == 0 else f"{n:,}")


def queue(calibration: Calibration) -> pl.DataFrame:
    """The calibration queue: drawn transcripts, those with fewest votes first, then in the draw's random order."""
    if not calibration.drawn:
        return pl.DataFrame()
    return (
        calibration.items.with_columns(
            votes=pl.col("harmful_votes") + pl.col("safe_votes") + pl.col("unsure_votes"),
        )
        .sort("votes", "draw_rank", "stratum")
        .select("stratum", "votes", "sample_id")
    )


# --- many raters ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raters:
    """Agreement among several sources (graders and the human majority) and among the human reviewers."""

    sources: tuple[str, ...]
    alpha: Alpha  # every source (graders and the human majority) on the reviewed calibration transcripts
    kappas: Mapping[tuple[str, str], Kappa]
    overlaps: Mapping[tuple[str, str], ErrorOverlap]  # two graders' errors against people
    human_alpha: Alpha  # reviewers as raters, on transcripts with two or more votes
    pairs_agreeing: tuple[int, int]  # pairs of reviewers' votes on one transcript that agree, and all such pairs
    contested: pl.DataFrame


def raters(store: Store, calibration: Calibration) -> Raters:
    """Krippendorff's alpha over all sources, the pairwise kappa matrix, overlapping grader errors, and inter-human
    agreement (alpha over reviewers; contested transcripts listed apart)."""
    judged = calibration.items.filter(pl.col("human").is_not_null()) if calibration.drawn else pl.DataFrame()
    wide: dict[str, dict[str, bool]] = {}
    if judged.height:
        ids = set(judged.get_column("sample_id").to_list())
        for row in calibration.verdicts.filter(pl.col("harmful").is_not_null()).iter_rows(named=True):
            if row["sample_id"] in ids:
                wide.setdefault(row["source"], {})[row["sample_id"]] = row["harmful"]
        wide[HUMAN] = dict(zip(judged["sample_id"].to_list(), judged["human"].to_list(), strict=True))
    sources = tuple(sorted(wide, key=lambda s: (s == HUMAN, s != PRIMARY, s)))
    ids_sorted = sorted({i for v in wide.values() for i in v})
    matrix = [[_code(wide[s].get(i)) for s in sources] for i in ids_sorted]
    alpha = krippendorff_alpha(matrix) if len(sources) >= 2 else Alpha(None, None, None, 0, "needs two sources")
    kappas = {(a, b): _kappa(wide[a], wide[b]) for a, b in combinations(sources, 2)}
    human = wide.get(HUMAN, {})
    overlaps = {
        (a, b): error_overlap(*_wrongs(wide[a], wide[b], human))
        for a, b in combinations([s for s in sources if s != HUMAN], 2)
    }
    votes = store.run("human_votes_all")
    by_sample: dict[str, list[str]] = {}
    for row in votes.iter_rows(named=True):
        by_sample.setdefault(row["sample_id"], []).append(row["verdict"])
    multi = [v for v in by_sample.values() if len(v) >= 2]
    width = max((len(v) for v in multi), default=0)
    code = {"harmful": 1.0, "not_harmful": 0.0}
    human_matrix = [[code.get(x) for x in v] + [None] * (width - len(v)) for v in multi]
    human_alpha = krippendorff_alpha(human_matrix) if multi else Alpha(None, None, None, 0, _NO_SECOND_VOTE)
    pairs = [(a, b) for v in multi for a, b in combinations([x for x in v if x in code], 2)]
    contested = (
        votes.filter(pl.col("contested"))
        .group_by("sample_id")
        .agg(
            pl.col("harmful_votes").first().alias("harmful votes"),
            pl.col("safe_votes").first().alias("not harmful votes"),
            pl.col("unsure_votes").first().alias("unsure votes"),
            pl.col("reviewer").sort().str.join(", ").alias("reviewers"),
        )
        .sort("sample_id")
    )
    return Raters(sources, alpha, kappas, overlaps, human_alpha, (sum(a == b for a, b in pairs), len(pairs)), contested)


_NO_SECOND_VOTE = "no transcript has votes from two or more reviewers"


def _code(value: bool | None) -> float | None:
    return None if value is None else float(value)


def _kappa(a: Mapping[str, bool], b: Mapping[str, bool]) -> Kappa:
    common = a.keys() & b.keys()
    table = [[0, 0], [0, 0]]
    for i in common:
        table[0 if a[i] else 1][0 if b[i] else 1] += 1
    return cohens_kappa(table)


def _wrongs(a: Mapping[str, bool], b: Mapping[str, bool], human: Mapping[str, bool]) -> tuple[list[bool], list[bool]]:
    common = sorted(a.keys() & b.keys() & human.keys())
    return [a[i] != human[i] for i in common], [b[i] != human[i] for i in common]


def kappa_matrix(r: Raters) -> pl.DataFrame:
    """The pairwise kappa matrix as text: 'kappa [lo, hi]' or '—' where undefined."""

    def cell(a: str, b: str) -> str:
        if a == b:
            return "1"
        k = r.kappas.get((a, b)) or r.kappas.get((b, a))
        return "—" if k is None or k.kappa is None else f"{k.kappa:.2f} [{k.lo:.2f}, {k.hi:.2f}]"

    return pl.DataFrame({"source": list(r.sources), **{b: [cell(a, b) for a in r.sources] for b in r.sources}})


def overlap_frame(r: Raters) -> pl.DataFrame:
    """Per pair of graders: errors of each, both wrong (seen vs expected if independent), phi and Fisher's p."""
    rows = []
    for (a, b), o in r.overlaps.items():
        rows.append(
            {
                "graders": f"{a} & {b}",
                "reviewed": o.n,
                "first wrong": o.first_wrong,
                "second wrong": o.second_wrong,
                "both wrong (expected if independent)": f"{o.both_wrong} ({o.expected_both:.1f})",
                "error correlation (phi)": "—" if o.phi is None else f"{o.phi:.2f}",
                "Fisher p": "—" if o.p_value is None else ("<0.001" if o.p_value < 0.001 else f"{o.p_value:.3f}"),
                "reading": overlap_words(o),
            }
        )
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def overlap_words(o: ErrorOverlap) -> str:
    """Whether two graders' errors are correlated, in words."""
    if o.phi is None or o.p_value is None:
        return "cannot tell (a grader made no error, or only errors, here)"
    if o.p_value < 0.05 and o.phi > 0:
        return "correlated: they fail on the same transcripts, so they are not two independent checks"
    return "no evidence their errors are correlated"


# --- coverage of the view by each source ----------------------------------------------------------------------------


def coverage(store: Store, view: View) -> pl.DataFrame:
    """Per verdict source: the view's transcripts and how many of them the source judged."""
    return store.run("source_coverage", view.params())


def coverage_frame(store: Store, view: View) -> pl.DataFrame:
    """Per verdict source: how many of the view's transcripts it judged, in words for the page."""
    frame = coverage(store, view)
    return frame.select(
        "source",
        pl.format("{} of {}", pl.col("judged"), pl.col("transcripts")).alias("judged of the view's transcripts"),
        pl.when(pl.col("judged") < pl.col("transcripts"))
        .then(pl.lit("covers less than the view: its rates count only what it judged"))
        .otherwise(pl.lit("whole view"))
        .alias("coverage"),
    )


def coverage_note(store: Store, view: View, source: str | None = None) -> str | None:
    """A plain-text sentence (pages quote the source name with `fmt.sentence`) when the rate's source judged fewer of
    the view's transcripts than the view holds (else None)."""
    source = source or view.source
    every = coverage(store, view)
    frame = every.filter(pl.col("source") == source)
    total = int(every.get_column("transcripts").max() or 0)
    judged = int(frame.get_column("judged")[0]) if frame.height else 0
    if total == 0 or judged >= total:
        return None
    return (
        f"{source} judged {judged:,} of the view's {total:,} transcripts ({100 * judged / total:.1f}%): its "
        "rates count only those, so they cover less than the view."
    )


def corrected_table(calibration: Calibration, source: str, counts: pl.DataFrame, by: str) -> pl.DataFrame:
    """Raw and corrected rates of a counts frame (columns `by`, k, n: one row per group, summed if repeated)."""
    grouped = counts.group_by(by).agg(pl.col("k").sum(), pl.col("n").sum()).sort(by)
    rows = [(str(label), int(k), int(n)) for label, k, n in grouped.select(by, "k", "n").iter_rows()]
    return corrected_rows(calibration, source, rows).rename({"": by}) if rows else pl.DataFrame()


def corrected_sides(
    calibration: Calibration, source: str, rows: Sequence[tuple[str, int, int, int, int]], confidence: float = 0.95
) -> pl.DataFrame:
    """Compare's rows (label, k_a, n_a, k_b, n_b): each side's raw and corrected rate side by side."""
    out = [
        {
            "scenario_family": label,
            "A raw": format_rate(ka, na),
            "A corrected": correct(calibration, source, ka, na, confidence).describe(),
            "B raw": format_rate(kb, nb),
            "B corrected": correct(calibration, source, kb, nb, confidence).describe(),
        }
        for label, ka, na, kb, nb in rows
    ]
    return pl.DataFrame(out, schema_overrides={"scenario_family": pl.String}) if out else pl.DataFrame()


def correction_basis(calibration: Calibration, source: str) -> str:
    """One plain-text sentence (pages quote the source name with `fmt.sentence`): whose error corrects the rates,
    measured on what."""
    error = calibration.errors.get(source)
    if error is None:
        return f"No measured error for {source} yet."
    return (
        f"Corrected for {source}'s error measured against people on {error.reviewed:,} reviewed calibration "
        f"transcripts: sensitivity {error.sensitivity.describe()}, specificity {error.specificity.describe()}."
    )


def corrected_rows(
    calibration: Calibration, source: str, rows: Sequence[tuple[str, int, int]], confidence: float = 0.95
) -> pl.DataFrame:
    """Raw and corrected rate per labelled count (label, k, n), as a page shows them side by side."""
    out = []
    for label, k, n in rows:
        c = correct(calibration, source, k, n, confidence)
        out.append(
            {
                "": label,
                "raw rate [95% CI] (k/n)": format_rate(k, n),
                "corrected for grader error [95% CI]": c.describe(),
            }
        )
    return pl.DataFrame(out, schema_overrides={"": pl.String}) if out else pl.DataFrame()


def queue_name(raw: str | None) -> str | None:
    """The review queue named in a URL (`queue`), or None when it names none we know."""
    return raw if raw in (CALIBRATION_QUEUE, DISAGREEMENT_QUEUE) else None
