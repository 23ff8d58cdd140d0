"""Readiness, what can be judged: every snapshot's release candidates and their per-family counts.

A snapshot's release candidate is one intervention at its final checkpoint (last training stage in the order
pretrained < sft < rl < others, then the largest stage_step). The default intervention is the snapshot's newest
run (latest created_at). The previous snapshot is the one whose samples end before this one's; it is compared at
the same intervention, or at its own default candidate when it never ran that intervention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from evalboard.core import fmt, links
from evalboard.core.checkpoints import several_steps, url_label
from evalboard.core.view import PRIMARY
from evalboard.data.store import LeftOut, Store
from evalboard.screens import awareness
from evalboard.screens.calibration import Calibration
from evalboard.screens.calibration import load as load_calibration
from evalboard.screens.readiness.gates import (
    Gates,
)


class ReleaseError(ValueError):
    """Bad input other than the gates file: unknown snapshot or intervention, a dataset with no samples."""


@dataclass(frozen=True)
class Candidate:
    """One shippable checkpoint: a snapshot's intervention at its final checkpoint."""

    snapshot: str
    intervention: str
    training_stage: str
    stage_step: int
    default: bool = False  # the snapshot's newest run
    several_steps: bool = True  # the dataset holds more than one checkpoint of this training stage

    @property
    def checkpoint(self) -> str:
        """The URL form, by `checkpoints.checkpoint_labels`' rule: 'rl@1000', or 'sft' for a one-checkpoint stage."""
        return url_label(self.training_stage, self.stage_step, self.several_steps)

    @property
    def checkpoint_name(self) -> str:
        """The reading form: 'RL step 1,000', 'SFT' (`fmt.checkpoint`)."""
        return fmt.checkpoint(self.training_stage, self.stage_step, self.several_steps)

    @property
    def label(self) -> str:
        """'atlas-2026-11 · constitution_stories+harmlessness · RL step 1,000'."""
        return f"{self.snapshot} · {self.intervention} · {self.checkpoint_name}"

    def transcripts_link(self, family: str) -> dict[str, str | list[str]]:
        """The Transcripts page's state showing this candidate's harmful transcripts of one family."""
        filters = {"snapshot": self.snapshot, "intervention": self.intervention, "stage": self.training_stage}
        return links.transcripts(filters | {"family": family}, step=self.stage_step, verdict="harmful")


@dataclass(frozen=True)
class Counts:
    """Graded samples (n), harmful among them (k), and samples without a verdict (left out of n)."""

    k: int = 0
    n: int = 0
    ungraded: int = 0


@dataclass(frozen=True)
class Catalog:
    """What the dataset offers for release decisions: snapshots newest first, their candidates (newest run first)
    and the per-family counts at every candidate."""

    snapshots: tuple[str, ...]
    candidates: Mapping[str, tuple[Candidate, ...]]
    families: tuple[str, ...]
    counts: Mapping[tuple[str, str], Mapping[str, Counts]] = field(default_factory=dict)
    held_out: tuple[str, ...] = ()
    # (snapshot, intervention, awareness source) → per-family counts among believed-real transcripts, and the
    # sources, most labels first (for gates with rate = "believed_real").
    real_counts: Mapping[tuple[str, str, str], Mapping[str, Counts]] = field(default_factory=dict)
    awareness_sources: tuple[str, ...] = ()
    # The verdict source counted and its error measured against people (for gates with rate = "corrected").
    source: str = PRIMARY
    calibration: Calibration | None = None
    # Files of the dataset the store could not use: a verdict on these counts rests on partial data.
    left_out: tuple[LeftOut, ...] = ()

    def interventions(self, snapshot: str) -> list[str]:
        """The snapshot's interventions, newest run first."""
        return [c.intervention for c in self.candidates.get(snapshot, ())]

    def counts_at(self, candidate: Candidate) -> dict[str, Counts]:
        """Counts for every family of the dataset at the candidate (zeros where it has none)."""
        found = self.counts.get((candidate.snapshot, candidate.intervention), {})
        return {family: found.get(family, Counts()) for family in self.families}

    def gated_counts(self, candidate: Candidate, gates: Gates) -> dict[str, Counts]:
        """Counts per family as each family's gate asks: all graded transcripts, or only believed-real ones."""
        counts = self.counts_at(candidate)
        for family in counts:
            gate = gates.for_family(family)
            if gate.rate == "believed_real":
                source = gate.awareness_source or (self.awareness_sources[0] if self.awareness_sources else "")
                found = self.real_counts.get((candidate.snapshot, candidate.intervention, source), {})
                counts[family] = found.get(family, Counts())
        return counts


def load_catalog(store: Store, source: str = PRIMARY) -> Catalog:
    """Read the candidates and their counts under verdict `source` from the store (cached queries over the dataset)."""
    health = store.refresh()
    if not health.has_samples:
        where = "does not exist" if not health.exists else "holds no readable samples/*.parquet files"
        raise ReleaseError(f"no eval data: the dataset folder {health.root} {where}")
    known = store.run("verdict_sources").get_column("source").to_list()
    if source != PRIMARY and source not in known:
        raise ReleaseError(f"no verdict source {source!r} in {health.root}; it has: {', '.join([PRIMARY, *known])}")
    rows = store.run("readiness_candidates").to_dicts()
    all_counts = store.run("readiness_counts", {"source": source})
    several = several_steps(all_counts)  # every checkpoint of the dataset, as the Compare page's labels count them
    snapshots: list[str] = []
    by_snapshot: dict[str, list[Candidate]] = {}
    for row in rows:  # ordered: newest snapshot first, newest run first within it
        snapshot = row["snapshot"]
        if snapshot not in by_snapshot:
            snapshots.append(snapshot)
            by_snapshot[snapshot] = []
        default = not by_snapshot[snapshot]
        by_snapshot[snapshot].append(
            Candidate(
                snapshot,
                row["intervention"],
                row["training_stage"],
                int(row["stage_step"]),
                default,
                row["training_stage"] in several,
            )
        )
    finals = {(c.snapshot, c.intervention, c.training_stage, c.stage_step) for cs in by_snapshot.values() for c in cs}
    counts: dict[tuple[str, str], dict[str, Counts]] = {}
    families: set[str] = set()
    for row in all_counts.to_dicts():
        families.add(row["scenario_family"])
        if (row["snapshot"], row["intervention"], row["training_stage"], row["stage_step"]) in finals:
            counts.setdefault((row["snapshot"], row["intervention"]), {})[row["scenario_family"]] = Counts(
                int(row["k"]), int(row["n"]), int(row["ungraded"])
            )
    real: dict[tuple[str, str, str], dict[str, Counts]] = {}
    for row in store.run("readiness_believed_real", {"source": source}).to_dicts():
        if (row["snapshot"], row["intervention"], row["training_stage"], row["stage_step"]) in finals:
            real.setdefault((row["snapshot"], row["intervention"], row["source"]), {})[row["scenario_family"]] = Counts(
                int(row["k"]), int(row["n"]), int(row["ungraded"])
            )
    sources = tuple(awareness.sources(store))
    held_out = tuple(health.manifest.held_out_families)
    ordered = sorted(families, key=lambda f: (f in held_out, f))  # held-out families last
    candidates = {s: tuple(c) for s, c in by_snapshot.items()}
    left_out = store.health.left_out  # after the queries: one of them may have met a damaged file
    return Catalog(
        tuple(snapshots),
        candidates,
        tuple(ordered),
        counts,
        held_out,
        real,
        sources,
        source,
        load_calibration(store),
        left_out,
    )


_did_you_mean = fmt.did_you_mean


def pick_snapshot(catalog: Catalog, selected: Sequence[str] = ()) -> tuple[str, str | None]:
    """The snapshot to judge from the sidebar's selection: the one selected, else the newest of several selected,
    else the newest overall; with a note when a choice was made for the user."""
    chosen = [s for s in catalog.snapshots if s in set(selected)]  # newest first
    if len(chosen) == 1:
        return chosen[0], None
    if chosen:
        return chosen[0], f"{len(chosen)} snapshots are selected in the sidebar; judging the newest of them."
    return catalog.snapshots[0], None


def candidate(catalog: Catalog, snapshot: str, intervention: str | None = None) -> Candidate:
    """The release candidate of `snapshot` for `intervention` (default: its newest run); ReleaseError if unknown."""
    if snapshot not in catalog.candidates:
        shown = ", ".join(catalog.snapshots)
        raise ReleaseError(
            f"unknown snapshot '{snapshot}'{_did_you_mean(snapshot, catalog.snapshots)}; the data holds: {shown}"
        )
    runs = catalog.candidates[snapshot]
    if intervention is None:
        return runs[0]
    for run in runs:
        if run.intervention == intervention:
            return run
    names = [r.intervention for r in runs]
    raise ReleaseError(
        f"snapshot '{snapshot}' has no intervention '{intervention}'{_did_you_mean(intervention, names)}; "
        f"it has: {', '.join(names)}"
    )


def previous_candidate(catalog: Catalog, current: Candidate) -> tuple[Candidate | None, str]:
    """The candidate to check for regressions against, and a sentence saying which one and why."""
    order = list(catalog.snapshots)
    older = order[order.index(current.snapshot) + 1 :]
    if not older:
        return None, f"{current.snapshot} is the first snapshot in the data; there is nothing to regress from."
    before = older[0]
    runs = catalog.candidates[before]
    same = next((r for r in runs if r.intervention == current.intervention), None)
    if same is not None:
        return same, f"Regression check against the previous snapshot at the same intervention: {same.label}."
    fallback = runs[0]
    return fallback, (
        f"Regression check against the previous snapshot's default candidate {fallback.label}, because "
        f"{before} has no {current.intervention} run."
    )
