"""The URL contract (docs/ARCHITECTURE.md, "The URL contract") as data: every page's own URL keys, by url_path, and
what they accept where it does not depend on the data; the sidebar's keys are `view.FILTER_KEYS` and
`view.SOURCE_KEY`. This module imports no screen: each screen takes its keys from here (`overview.URL_KEYS`,
`samples.URL_KEYS`, `compare.result.URL_KEYS`, …) and links.py checks every share link against them, so a key added
here reaches its page, its share links and the URL checks alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from evalboard.core.schema import AWARENESS_APART, AWARENESS_LABELS
from evalboard.core.view import INT64_MAX, SPLIT_KEYS, SPLIT_SPECS, KeySpec, View

# The page key that shows corrected rates beside raw ones on Overview, Compare and Readiness ("1" = shown).
CORRECTED_KEY = "corrected"

# The Overview's own URL keys: the eval-awareness split, corrected rates.
OVERVIEW_KEYS = (*SPLIT_KEYS, CORRECTED_KEY)

# The Transcripts page's URL keys: the sample shown and the one beside it, the list's checkpoint step, verdict, search
# text, sort and page, a second source's verdict (`by`, `by_verdict`: one cell of the Agreement matrix) and one
# eval-awareness class under one labeller (its own key: the split's source widget is bound to `awareness_source` on
# the pages that link here, and a bound key cannot be passed on).
BELIEVED_KEYS = ("believed", "believed_source")
# One value of one scenario variable (a Drivers cell, queries/variables.sql): `variable` and its `value` (not `key`: the
# Drivers page binds its picker to `key`, and a bound key cannot be passed on).
VARIABLE_KEYS = ("variable", "value")
# The Agreement review queue a transcript was opened from (its two sources): "Next in queue" and the way back.
QUEUE_KEYS = ("queue_x", "queue_y")
TRANSCRIPTS_KEYS = (
    "sample", "step", "verdict", "q", "sort", "list_page", "right", "by", "by_verdict", *BELIEVED_KEYS, *VARIABLE_KEYS,
    "queue", *QUEUE_KEYS,
)  # fmt: skip
# What those keys accept where it does not depend on the data (`sample`, `right`, `by`, `believed_source` and `q`
# are checked against the data, or are free text).
TRANSCRIPTS_SPECS: dict[str, KeySpec] = {
    "verdict": KeySpec(choices=("all", "harmful", "safe", "ungraded")),
    "by_verdict": KeySpec(choices=("harmful", "safe")),
    "sort": KeySpec(choices=("conditions", "score_desc", "score_asc")),
    "step": KeySpec(low=-INT64_MAX, high=INT64_MAX),
    "list_page": KeySpec(low=1, high=10**9),
    "believed": KeySpec(choices=(*AWARENESS_LABELS, *AWARENESS_APART)),
    # The review queue the transcript was opened from: recorded with a review (docs/ARCHITECTURE.md, "Calibration").
    "queue": KeySpec(choices=("calibration", "disagreement")),
}

# URL keys of the Agreement page: the two sources compared.
X_KEY, Y_KEY = "x", "y"
AGREEMENT_KEYS = (X_KEY, Y_KEY)

# The Compare page's own URL keys: both sides, the eval-awareness split, corrected rates, the open section.
SIDES = ("a", "b")
SIDE_FIELDS = ("snapshot", "intervention", "stage")  # URL key suffixes: a_snapshot, a_intervention, a_stage, b_…
SIDE_KEYS = tuple(f"{side}_{field}" for side in SIDES for field in SIDE_FIELDS)  # the six A/B keys
# Compare's sections, one tab each; only the open one is built and drawn. Its label is its URL value (the tab's URL
# binding writes the label), so the labels are single words; the first is the default and stays out of the URL.
SECTION_KEY = "section"
COMPARE_SECTIONS = ("Families", "Training", "Stacking")
COMPARE_KEYS = (*SIDE_KEYS, *SPLIT_KEYS, CORRECTED_KEY, SECTION_KEY)
COMPARE_SPECS: dict[str, KeySpec] = {SECTION_KEY: KeySpec(choices=COMPARE_SECTIONS)}

# The Readiness page's own URL keys.
OVERRIDE_KEYS = ("max_rate", "min_samples", "confidence")  # gate keys a URL or the CLI may override
GATES_KEY = "gates"  # a gates file beside the default one, by name (`readiness.judge.gate_choices`)
# The version of the dataset's samples Delta table a verdict is judged on (docs/ARCHITECTURE.md, "Delta tables"): the
# page's share link and release note pin it, so the link shows the evidence it was judged on after new data lands.
AS_OF_KEY = "as_of"
READINESS_KEYS = (GATES_KEY, *OVERRIDE_KEYS, CORRECTED_KEY, AS_OF_KEY)
READINESS_SPECS: dict[str, KeySpec] = {AS_OF_KEY: KeySpec(low=0, high=INT64_MAX)}

# The Drivers page's own URL key: the variable the page details (`?key=urgency_type`).
DRIVERS_KEY = "key"
DRIVERS_KEYS = (DRIVERS_KEY,)

PAGE_KEYS_BY_PAGE: dict[str, tuple[str, ...]] = {
    "": OVERVIEW_KEYS,
    "transcripts": TRANSCRIPTS_KEYS,
    "agreement": AGREEMENT_KEYS,
    "compare": COMPARE_KEYS,
    "readiness": READINESS_KEYS,
    "drivers": DRIVERS_KEYS,
}
PAGE_KEYS: frozenset[str] = frozenset(k for keys in PAGE_KEYS_BY_PAGE.values() for k in keys)
# What the keys accept where it does not depend on the data.
PAGE_KEY_SPECS: dict[str, KeySpec] = SPLIT_SPECS | TRANSCRIPTS_SPECS | COMPARE_SPECS | READINESS_SPECS
# A bound widget's default, which its URL binding leaves out of the address bar: share links leave it out too.
URL_DEFAULTS: dict[str, str] = {SECTION_KEY: COMPARE_SECTIONS[0]}


def read_view(
    params: Mapping[str, str | Sequence[str]], available: Mapping[str, Sequence[str]]
) -> tuple[View, list[str]]:
    """`View.from_query_params` under this contract: any page's key is known, every other key is warned about."""
    return View.from_query_params(params, available, PAGE_KEYS)
