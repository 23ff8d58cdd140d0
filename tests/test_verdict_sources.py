"""Rates under one verdict source: each transcript counts once, whatever the number of verdict rows."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalboard.core.schema import REVIEWS, VERDICTS
from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens import metrics
from tests.helpers import sample, write_samples

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FAMILIES = ("blackmail", "leaking")
SOURCES = ("grader:b", "classifier_raw")
REVIEW_VERDICT = {True: "harmful", False: "not_harmful", None: "unsure"}


def write_verdicts(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=VERDICTS), path)


def write_reviews(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=REVIEWS), path)


def expected(samples: list[dict], rows: list[tuple[int, str, bool | None, int]], source: str, family: str | None):
    """(n, k) by the rule: the latest rows of a (source, sample) decide; among tied rows a verdict beats none and
    harmful beats not harmful."""
    n = k = 0
    for s in samples:
        if family and s["scenario_family"] != family:
            continue
        mine = [r for r in rows if r[1] == source and r[0] == s["i"]]
        if not mine:
            continue
        latest = max(r[3] for r in mine)
        values = {r[2] for r in mine if r[3] == latest} - {None}
        n += bool(values)
        k += True in values
    return n, k


verdict_rows = st.lists(
    st.tuples(
        st.integers(0, 11),  # sample index (some beyond the samples: verdicts on unknown samples are ignored)
        st.sampled_from((*SOURCES, "human")),
        st.sampled_from((True, False, None)),
        st.integers(0, 3),  # created_at in hours: ties happen
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    families=st.lists(st.sampled_from(FAMILIES), min_size=1, max_size=10),
    rows=verdict_rows,
    split=st.booleans(),
    family=st.sampled_from((None, *FAMILIES)),
)
def test_n_under_a_source_counts_each_graded_sample_once(families, rows, split, family):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        samples = [{"i": i, "scenario_family": f} for i, f in enumerate(families)]
        write_samples(
            root / "samples" / "a.parquet", [sample(s["i"], scenario_family=s["scenario_family"]) for s in samples]
        )
        imported = [
            {
                "sample_id": f"t-{i:06d}",
                "source": src,
                "harmful": h,
                "grader": src,
                "created_at": T0 + timedelta(hours=t),
            }
            for i, src, h, t in rows
            if src != "human"
        ]
        # The same rows split over two files or in one: files are a storage detail.
        parts = [imported[::2], imported[1::2]] if split else [imported]
        for j, part in enumerate(parts):
            write_verdicts(root / "verdicts" / f"v{j}.parquet", part)
        for j, (i, _, h, t) in enumerate(r for r in rows if r[1] == "human"):
            write_reviews(
                root / "reviews" / f"r{j}.parquet",
                [{"review_id": f"r{j}", "sample_id": f"t-{i:06d}", "reviewer": "ann", "verdict": REVIEW_VERDICT[h],
                  "created_at": T0 + timedelta(hours=t)}],
            )  # fmt: skip
        store = Store(root)
        view_families = (family,) if family else ()
        for source in (*SOURCES, "human"):
            frame = store.run("rate_by_intervention", View(families=view_families, source=source).params())
            n, k = expected(samples, rows, source, family)
            assert (int(frame["n"].sum()), int(frame["k"].sum())) == (n, k), source
            in_view = sum(1 for s in samples if not family or s["scenario_family"] == family)
            assert int(frame["n"].sum() + frame["ungraded"].sum()) == in_view  # every sample once
        primary = store.run("rate_by_intervention", View(families=view_families).params())
        graded = [s for s in samples if not family or s["scenario_family"] == family]
        assert int(primary["n"].sum()) == len(graded)
        assert int(primary["k"].sum()) == sum(1 for s in graded if s["i"] % 2 == 0)


def test_sources_are_offered_and_counted(tmp_path):
    write_samples(tmp_path / "samples" / "a.parquet", [sample(i) for i in range(4)])
    write_verdicts(
        tmp_path / "verdicts" / "v.parquet",
        [
            {"sample_id": "t-000000", "source": "grader:b", "harmful": True, "created_at": T0},
            {"sample_id": "t-000000", "source": "grader:b", "harmful": False, "created_at": T0 + timedelta(hours=1)},
            {"sample_id": "t-000001", "source": "grader:b", "harmful": None, "created_at": T0},
        ],
    )
    store = Store(tmp_path)
    assert metrics.filter_options(store)["source"] == ["primary", "grader:b"]
    row = metrics.verdict_sources(store).row(0, named=True)
    assert (row["source"], row["samples"], row["graded"]) == ("grader:b", 2, 1)
    frame = store.run("rate_by_intervention", View(source="grader:b").params())
    assert frame.select("n", "k", "ungraded").row(0) == (1, 0, 3)  # the latest row (not harmful) decides


def test_the_cell_list_shows_the_sources_verdict(tmp_path):
    write_samples(tmp_path / "samples" / "a.parquet", [sample(i) for i in range(3)])
    write_verdicts(
        tmp_path / "verdicts" / "v.parquet",
        [{"sample_id": "t-000001", "source": "grader:b", "harmful": True, "explanation": "second opinion",
          "grader": "model-b", "created_at": T0}],
    )  # fmt: skip
    from evalboard.screens import transcripts as smp

    request = smp.ListRequest(View(source="grader:b"), verdict="harmful")
    rows, total = smp.sample_page(Store(tmp_path), request)
    assert total == 1
    assert rows.select("sample_id", "harmful", "grader", "explanation").row(0) == (
        "t-000001",
        True,
        "model-b",
        "second opinion",
    )
