"""The demo carries eval-awareness labels consistent with the reasoning, and tells the test-detection story."""

import duckdb
import pytest

from evalboard.core.schema import AWARENESS_LABELS
from evalboard.core.stats import compare
from evalboard.demo.awareness import class_rates
from tests.helpers import DEMO

FINAL = "s.training_stage = 'rl' AND s.stage_step = 1000 AND s.harmful IS NOT NULL"


def _con():
    con = duckdb.connect()
    con.execute(f"CREATE VIEW s AS SELECT * FROM read_parquet('{DEMO}/samples/*.parquet')")
    con.execute(f"CREATE VIEW a AS SELECT * FROM read_parquet('{DEMO}/awareness/*.parquet')")
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{DEMO}/transcripts/*.parquet')")
    return con


def test_every_graded_transcript_has_one_label_quoted_from_its_reasoning():
    con = _con()
    graded, labelled, labels = con.execute(
        "SELECT count(*) FILTER (WHERE harmful IS NOT NULL), (SELECT count(DISTINCT sample_id) FROM a), "
        "(SELECT list(DISTINCT awareness) FROM a) FROM s"
    ).fetchone()
    assert graded == labelled and set(labels) == set(AWARENESS_LABELS)
    (bad,) = con.execute(
        """SELECT count(*) FROM a JOIN t USING (sample_id)
           WHERE (awareness = 'none') = (evidence IS NOT NULL)
              OR (evidence IS NOT NULL AND NOT list_bool_or(list_transform(
                    messages, lambda m: coalesce(contains(m.reasoning, evidence), false))))
              OR list_bool_or(list_transform(
                    messages, lambda m: m.role = 'assistant' AND contains(coalesce(m.content, ''), 'SCRATCHPAD')))"""
    ).fetchone()
    assert bad == 0


def _rates(con, snapshot, intervention):
    rows = con.execute(
        f"""SELECT awareness, count(*) FILTER (WHERE harmful), count(*) FROM s JOIN a USING (sample_id)
            WHERE {FINAL} AND snapshot = ? AND intervention = ? GROUP BY awareness""",
        [snapshot, intervention],
    ).fetchall()
    return {label: (k, n) for label, k, n in rows}


def test_believed_real_rate_far_above_believed_evaluation_at_baseline():
    rates = _rates(_con(), "atlas-2026-11", "baseline")
    (ke, ne), (kr, nr) = rates["evaluation"], rates["real"]
    assert kr / nr > 0.5 and ke / ne < 0.1


def test_test_detection_drop_sits_in_believed_evaluation_but_values_drop_holds_among_real():
    con = _con()
    base, envs = _rates(con, "atlas-2026-09", "baseline"), _rates(con, "atlas-2026-09", "diversified_envs")
    assert envs["evaluation"][1] > 3 * envs["real"][1]  # most transcripts now say "this is a test"
    assert not compare(*base["real"], *envs["real"]).significant
    base, rewrites = _rates(con, "atlas-2026-11", "baseline"), _rates(con, "atlas-2026-11", "deliberation_rewrites")
    real = compare(*base["real"], *rewrites["real"])
    assert real.significant and real.diff < -0.3


@pytest.mark.parametrize("rate", [0.0, 0.03, 0.5, 0.96, 1.0])
def test_class_rates_average_to_the_cell_rate(rate):
    shares = (0.2, 0.3, 0.5)
    per_class = class_rates(rate, shares, (-3.0, 1.0))
    assert sum(s * p for s, p in zip(shares, per_class, strict=True)) == pytest.approx(rate, abs=1e-9)
    assert all(0 <= p <= 1 for p in per_class)
