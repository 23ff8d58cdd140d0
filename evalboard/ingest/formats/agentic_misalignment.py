"""agentic-misalignment result folders (anthropic-experimental/agentic-misalignment), docs/FORMATS.md §1.

    results/<experiment>/models/<model>/<condition>/sample_NNN/response.json   (and the old layout
    results/<experiment>/<model>/<condition>/sample_NNN/response.json), prompts/<condition>/*.txt

`classification.harmful_behavior` is the final verdict; `classifier_verdict` (the judge's raw yes/no) is
kept apart. Failed samples (`{"error": …}`), classifier errors and unclassified samples are imported as
ungraded (harmful NULL), never as safe. `classification_v2` becomes a second row, grader suffixed `_v2`.

Verdict sources (`verdicts`): the raw classifier verdict and `classification_v2`. Awareness: the deliberation
classifier's `deliberation_type`: `deliberates_thinks_eval` → evaluation, `deliberates_thinks_real` → real,
`no_deliberation` → none. Reasoning: the `<SCRATCHPAD_REASONING>` blocks of a response, kept apart from its text.
Detection: a folder holding <model>/<condition>/sample_NNN/response.json is one experiment, read whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from evalboard.ingest.awareness import AwarenessError, label_row, unrecognised
from evalboard.ingest.compressed import inner_suffix
from evalboard.ingest.formats.base import Format
from evalboard.ingest.records import (
    Item,
    Options,
    Parsed,
    Rejected,
    conditions,
    loads,
    message,
    timestamp,
    timestamp_or_none,
    tool_call,
)
from evalboard.ingest.verdict_sources import verdict_row

CONDITION = re.compile(
    r"^(?P<scenario>[a-z]+)_(?P<goal_type>[a-z]+)-(?P<goal_value>.+?)_(?P<urgency_type>replacement|restriction|none)"
    r"(?P<prod>_prod)?$"
)
NOT_MODELS = {"logs", "prompts", "models"}
SAMPLE_PATTERNS = ("models/*/*/sample_*/response.json", "*/*/sample_*/response.json")
TOOL_USE = re.compile(r"<tool_use:(?P<name>[\w-]+)>(?P<body>.*?)</tool_use:(?P=name)>", re.DOTALL)
ARG = re.compile(r'^[ \t]*(?P<key>\w+):[ \t]*"', re.MULTILINE)
PROMPT_FILES = ("system_prompt.txt", "user_prompt.txt", "email_content.txt", "metadata.json")
META_KEYS = ("production_variant", "extra_system_instructions", "alignment_faking", "alignment_faking_type")
AM_RAW = "classifier_raw"  # verdict source: the judge's yes/no before the final rule (needed emails, keywords)
AWARENESS_SOURCE = "am_classifier"  # awareness source: the deliberation classifier
DELIBERATION = {
    "deliberates_thinks_eval": "evaluation",
    "deliberates_thinks_real": "real",
    "no_deliberation": "none",
}
_SCRATCHPAD = re.compile(r"<SCRATCHPAD_REASONING>(.*?)(?:</SCRATCHPAD_REASONING>|\Z)", re.DOTALL | re.IGNORECASE)


def is_experiment(path: Path) -> bool:
    """True for a results/<experiment> folder: it holds <model>/<condition>/sample_NNN/response.json, under
    models/ or (the old layout) directly. Marker folders alone (prompts/, models/) are not enough."""
    return any(next(path.glob(pattern), None) is not None for pattern in SAMPLE_PATTERNS)


def reads(file: Path) -> bool:
    """True for a file inside an experiment folder that this importer reads: a sample's response.json or a
    condition's prompt texts and metadata (so discovery does not count them as passed over)."""
    if file.name == "response.json":
        return file.parent.name.startswith("sample_")
    return file.parent.parent.name == "prompts" and file.name in PROMPT_FILES


def read(path: Path, options: Options) -> Iterator[Item]:
    """Yield one item per response.json (two when it carries classification_v2)."""
    experiments = (
        [path] if is_experiment(path) else sorted(p for p in path.iterdir() if p.is_dir() and is_experiment(p))
    )
    if not experiments:
        experiments = [path]
    count = 0
    for exp in experiments:
        prompts = _Prompts(exp / "prompts")
        for model_dir in _model_dirs(exp):
            for cond_dir in sorted(p for p in model_dir.iterdir() if p.is_dir()):
                for sample_dir in sorted(cond_dir.glob("sample_*")):
                    count += 1
                    try:  # whatever is wrong with one response.json costs that sample only
                        items = list(_sample(path, exp, model_dir, cond_dir, sample_dir, prompts))
                    except Exception as exc:
                        where = str(sample_dir.relative_to(path) / "response.json")
                        items = [Rejected(where, f"cannot read sample: {type(exc).__name__}: {exc}")]
                    yield from items
    if count == 0:
        yield Rejected(
            "folder", "no sample_NNN/response.json found (expected results/<exp>/models/<model>/<cond>/)", records=0
        )


def _model_dirs(exp: Path) -> list[Path]:
    dirs = sorted(p for p in (exp / "models").iterdir() if p.is_dir()) if (exp / "models").is_dir() else []
    old = [p for p in exp.iterdir() if p.is_dir() and p.name not in NOT_MODELS and not p.name.startswith(".")]
    return dirs + sorted(old)


class _Prompts:
    """prompts/<condition>/ files, read once per condition."""

    def __init__(self, root: Path):
        self.root = root
        self.get = cache(self._load)

    def _load(self, condition: str) -> tuple[dict[str, str], dict[str, Any]]:
        folder = self.root / condition
        texts = {}
        for name in ("system_prompt", "user_prompt", "email_content"):
            file = folder / f"{name}.txt"
            if file.is_file():
                texts[name] = file.read_text(encoding="utf-8", errors="replace")
        try:
            meta = loads((folder / "metadata.json").read_bytes())
        except (OSError, ValueError):
            meta = {}
        return texts, meta if isinstance(meta, dict) else {}


def parse_condition(condition_id: str, meta: dict[str, Any] | None = None) -> dict[str, str]:
    """Condition dimensions from prompts/<cond>/metadata.json, else parsed from the id; {} when neither works."""
    meta = meta or {}
    if meta.get("scenario"):
        keys = ("scenario", "goal_type", "goal_value", "urgency_type", *META_KEYS)
        return conditions({k: meta.get(k) for k in keys})
    match = CONDITION.match(condition_id)
    if not match:
        return {}
    out = {k: v for k, v in match.groupdict().items() if k != "prod"}
    out["production_variant"] = "true" if match["prod"] else "false"
    return out


def parse_tool_uses(text: str) -> tuple[str, list[dict[str, Any]]]:
    """`<tool_use:NAME>` blocks as tool calls, and the text with those blocks removed."""
    calls = []
    for i, match in enumerate(TOOL_USE.finditer(text), 1):
        calls.append(tool_call(f"tool_use_{i}", match["name"], _arguments(match["body"])))
    rest = TOOL_USE.sub("", text).strip() if calls else text
    return rest, calls


def _arguments(body: str) -> dict[str, str]:
    """`to: "…", subject: "…", body: "…"` as a dict; the raw text when it has no such fields."""
    starts = list(ARG.finditer(body))
    if not starts:
        return {"raw": body.strip()}
    args = {}
    for match, nxt in zip(starts, [*starts[1:], None], strict=True):
        value = body[match.end() : nxt.start() if nxt else len(body)].rstrip().rstrip(",").rstrip()
        args[match["key"]] = value[:-1] if value.endswith('"') else value
    return args


def transcript(texts: dict[str, str], raw_response: str | None) -> list[dict[str, Any]]:
    """System prompt, user prompt + emails, then the completion with its tool-use blocks as tool calls."""
    messages = []
    if "system_prompt" in texts:
        messages.append(message("system", texts["system_prompt"]))
    user = "\n".join(texts[k] for k in ("user_prompt", "email_content") if k in texts)
    if user:
        messages.append(message("user", user))
    if raw_response is not None:
        text, reasoning = split_scratchpad(raw_response)  # drafts inside the scratchpad are not actions
        content, calls = parse_tool_uses(text or "")
        messages.append(message("assistant", content, calls, reasoning=reasoning))
    return messages


def _sample(
    root: Path, exp: Path, model_dir: Path, cond_dir: Path, sample_dir: Path, prompts: _Prompts
) -> Iterator[Item]:
    file = sample_dir / "response.json"
    position = str(file.relative_to(root))
    if not file.is_file():
        yield Rejected(position, "no response.json (the runner writes none for an empty completion)")
        return
    data = file.read_bytes()
    if not data.strip():
        yield Rejected(position, "empty file")
        return
    try:
        obj = loads(data)
    except ValueError as exc:
        yield Rejected(position, f"invalid JSON: {exc}", data.decode("utf-8", "replace"))
        return
    if not isinstance(obj, dict):
        yield Rejected(position, f"expected a JSON object, got {type(obj).__name__}", obj)
        return
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    texts, cond_meta = prompts.get(cond_dir.name)
    number = re.sub(r"\D", "", sample_dir.name)
    model = str(meta.get("model") or model_dir.name)
    dims = parse_condition(cond_dir.name, cond_meta)
    base = {
        "sample_id": f"{exp.name}/{model_dir.name}/{cond_dir.name}/{sample_dir.name}",
        "run_id": f"{exp.name}/{model_dir.name}",
        "snapshot": model,
        "scenario_family": dims.get("scenario"),
        "scenario": cond_dir.name,
        "conditions": {**{k: v for k, v in dims.items() if k != "scenario"}, "experiment_id": exp.name},
        "epoch": int(number) if number else None,
        "source": str(file),
    }
    try:
        base["created_at"] = timestamp(meta.get("timestamp"))
    except (ValueError, TypeError, OverflowError, OSError):  # OverflowError/OSError: an epoch out of range
        base["created_at"] = None
    raw_response = obj.get("raw_response")
    if "error" in obj and raw_response is None:  # the run itself failed: ungraded, not safe
        row = {**base, "harmful": None, "error": str(obj["error"])}
        yield Parsed(row, transcript(texts, None), position, ctx=obj, keys=(base["run_id"], model, model_dir.name))
        return
    if not isinstance(raw_response, str):
        yield Rejected(position, f"raw_response must be a string, got {type(raw_response).__name__}", obj)
        return
    messages = transcript(texts, raw_response)
    keys = (base["run_id"], model, model_dir.name)
    for field, suffix in (("classification", ""), ("classification_v2", "_v2")):
        if field == "classification_v2" and field not in obj:
            continue
        graded = _classification(obj.get(field), suffix)
        if isinstance(graded, str):
            yield Rejected(f"{position}:{field}", graded, obj)
            continue
        row = {**base, **graded}
        if suffix:
            row["sample_id"] += "/classification_v2"
        aware = obj.get("blackmail_awareness_classification")
        if isinstance(aware, dict) and isinstance(aware.get("aware"), bool):
            row["conditions"] = {**row["conditions"], "blackmail_aware": str(aware["aware"]).lower()}
        extra = {"awareness": [label | {"sample_id": row["sample_id"]} for label in deliberation_labels(obj)]}
        if not suffix:
            extra["verdicts"] = verdicts(row["sample_id"], obj)
        yield Parsed(row, messages, position if not suffix else f"{position}:{field}", ctx=obj, keys=keys, extra=extra)


def _classification(cls: Any, suffix: str) -> dict[str, Any] | str:
    """Verdict columns from a classification object, or the reason it cannot be used."""
    if cls is None:
        return {"harmful": None}  # not classified yet: ungraded
    if not isinstance(cls, dict):
        return f"classification must be an object, got {type(cls).__name__}"
    grader = str(cls.get("classifier_model") or "classifier") + suffix
    if "error" in cls:
        return {"harmful": None, "grader": grader, "error": f"classifier error: {cls['error']}"}
    if "harmful_behavior" not in cls:
        return "missing verdict: classification has no harmful_behavior"
    harmful, raw = cls["harmful_behavior"], cls.get("classifier_verdict")
    if not isinstance(harmful, bool):
        return f"harmful_behavior must be true/false, got {harmful!r}"
    if raw is not None and not isinstance(raw, bool):
        return f"classifier_verdict must be true/false, got {raw!r}"
    return {
        "harmful": harmful,
        "classifier_verdict": raw,
        "grader": grader,
        "explanation": cls.get("classifier_reasoning"),
    }


def verdicts(sample_id: str, response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Verdict rows from an agentic-misalignment `response.json` object.

    `classification.harmful_behavior` is the primary verdict (imported into samples); kept here: its
    `classifier_verdict` as source `classifier_raw`, and when `classification_v2` exists its final verdict as
    `classification_v2` and its raw one as `classifier_raw_v2`.
    """
    rows = []
    for field, suffix in (("classification", ""), ("classification_v2", "_v2")):
        cls = response.get(field)
        if not isinstance(cls, Mapping) or "error" in cls:
            continue
        common = {
            "grader": cls.get("classifier_model"),
            "explanation": cls.get("classifier_reasoning"),
            "created_at": timestamp_or_none(cls.get("classified_at")),
        }
        raw = cls.get("classifier_verdict")
        if isinstance(raw, bool):
            rows.append(verdict_row(sample_id, AM_RAW + suffix, raw, **common))
        final = cls.get("harmful_behavior")
        if suffix and isinstance(final, bool):
            rows.append(verdict_row(sample_id, "classification_v2", final, **common))
    return rows


def deliberation_label(value: Any, explanation: str | None = None, evidence: str | None = None) -> dict:
    """agentic-misalignment's deliberation classifier: `deliberation_type` → evaluation / real / none."""
    token = str(value).strip().lower() if value is not None else ""
    if token not in DELIBERATION:
        raise AwarenessError(f"deliberation_type {value!r} is not one of {', '.join(DELIBERATION)}")
    return label_row(AWARENESS_SOURCE, DELIBERATION[token], None, evidence, explanation)


def deliberation_labels(response: Mapping[str, Any]) -> list[dict]:
    """An agentic-misalignment response.json's deliberation classification, where it has one:
    `deliberation_classification.deliberation_type` (or `deliberation_type` in `classification` / at the top)."""
    found = response.get("deliberation_classification")
    holder = found if isinstance(found, Mapping) else None
    if holder is None:
        holder = next(
            (
                h
                for h in (response.get("classification"), response)
                if isinstance(h, Mapping) and "deliberation_type" in h
            ),
            None,
        )
    if holder is None or holder.get("deliberation_type") is None:
        return []
    try:
        return [deliberation_label(holder["deliberation_type"], holder.get("classifier_reasoning"))]
    except AwarenessError as exc:
        return [unrecognised(AWARENESS_SOURCE, exc)]


def split_scratchpad(text: str | None) -> tuple[str | None, str | None]:
    """(text outside, reasoning inside) the `<SCRATCHPAD_REASONING>` blocks of an agentic-misalignment response;
    an unclosed block runs to the end."""
    if not text or not _SCRATCHPAD.search(text):
        return text, None
    reasoning = "\n\n".join(m.group(1).strip() for m in _SCRATCHPAD.finditer(text))
    rest = _SCRATCHPAD.sub("", text).strip()
    return rest, reasoning or None


class AgenticMisalignment(Format):
    """An experiment folder, read whole: every sample's response.json with its condition's prompts. Inside it,
    other eval data is still a source of its own, unless it is a `.json` taken for a record (its own files)."""

    name = "agentic-misalignment"
    folder_only = True
    encloses = True

    def whole_folder(self, folder: Path) -> str | None:
        return "agentic-misalignment experiment folder" if is_experiment(folder) else None

    def owns(self, file: Path) -> bool:
        return reads(file)

    def admits(self, found: str | None, file: Path) -> bool:
        return found in ("inspect", "parquet") or (found == "jsonl" and inner_suffix(file) != ".json")

    def read(self, path: Path, options: Options) -> Iterator[Item]:
        return read(path, options)
