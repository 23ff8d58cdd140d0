"""Inspect AI logs (.eval / .json), read with Inspect's own streaming reader (docs/FORMATS.md §2).

Defaults: snapshot ← eval metadata `snapshot` (else task arg, else the eval's model); intervention,
training_stage, stage_step ← eval metadata or task args of those names; scenario_family ← sample
metadata `scenario_family` / `scenario` (else task arg `scenario`); conditions ← task args + sample
metadata; verdict ← the chosen scorer's value; transcript ← the sample's messages with tool calls.
`--map col=path` paths see: id, epoch, metadata (sample over eval metadata), sample_metadata,
eval_metadata, task_args, eval (model, task, run_id, eval_id, tags), scores.<name>.value/explanation.
Samples with an error or without the scorer's score are rejected with the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalboard.ingest.records import (
    Item,
    Options,
    Parsed,
    Rejected,
    VerdictError,
    conditions,
    message,
    timestamp,
    tool_call,
    verdict,
)

PREFERRED_SCORERS = ("harmfulness_scorer", "harmfulness", "alignment_judge")
DICT_KEYS = ("harmful", "unprompted_blackmail")  # the verdict key of a dict-valued score, in preference order
LABELS = ("snapshot", "intervention", "training_stage", "stage_step")
INSTALL_HINT = "reading Inspect logs needs inspect-ai: install evalboard[inspect] (pip install 'evalboard[inspect]')"


class MissingInspect(RuntimeError):
    """inspect-ai is not installed."""


def _api() -> Any:
    try:
        import inspect_ai.log as api
    except ImportError as exc:
        raise MissingInspect(INSTALL_HINT) from exc
    return api


def available() -> bool:
    """True when inspect-ai can be imported."""
    try:
        _api()
    except MissingInspect:
        return False
    return True


def read(path: Path, options: Options) -> Iterator[Item]:
    """Stream the samples of one log, one item each."""
    api = _api()
    header = api.read_eval_log(str(path), header_only=True)
    spec = header.eval
    eval_meta = dict(spec.metadata or {})
    task_args = dict(spec.task_args or {})
    native: dict[str, Any] = {col: eval_meta.get(col, task_args.get(col)) for col in LABELS}
    native["snapshot"] = native["snapshot"] or spec.model
    if native["stage_step"] is not None:
        with contextlib.suppress(TypeError, ValueError):  # else left as is: the row check rejects it
            native["stage_step"] = int(native["stage_step"])
    keys = (spec.eval_id, spec.run_id, spec.task, spec.model)
    eval_ctx = {
        "model": spec.model,
        "task": spec.task,
        "run_id": spec.run_id,
        "eval_id": spec.eval_id,
        "tags": spec.tags,
        "metadata": eval_meta,
        "task_args": task_args,
    }
    count = 0
    for sample in api.read_eval_log_samples(str(path), all_samples_required=False, resolve_attachments=True):
        count += 1
        yield _sample(sample, spec, native, eval_ctx, keys, options)
    if count == 0:
        yield Rejected("file", f"log has no samples (status {header.status})")


def _sample(
    sample: Any, spec: Any, native: dict[str, Any], eval_ctx: dict[str, Any], keys: tuple, options: Options
) -> Item:
    position = f"sample {sample.id} epoch {sample.epoch}"
    sample_meta = dict(sample.metadata or {})
    scores = sample.scores or {}
    ctx = {
        "id": sample.id,
        "epoch": sample.epoch,
        "metadata": {**eval_ctx["metadata"], **sample_meta},
        "sample_metadata": sample_meta,
        "eval_metadata": eval_ctx["metadata"],
        "task_args": eval_ctx["task_args"],
        "eval": eval_ctx,
        "scores": {n: {"value": s.value, "explanation": s.explanation, "answer": s.answer} for n, s in scores.items()},
    }
    raw = {"id": sample.id, "epoch": sample.epoch, "metadata": sample_meta, "scores": ctx["scores"]}
    if sample.error is not None:
        return Rejected(position, f"sample error: {getattr(sample.error, 'message', sample.error)}", raw)
    graded = _grade(scores, options)
    if isinstance(graded, str):
        return Rejected(position, graded, raw)
    task_args = eval_ctx["task_args"]
    conds = conditions({k: v for k, v in {**task_args, **sample_meta}.items() if k not in LABELS})
    conds.update(graded.pop("conditions"))
    grader_model = task_args.get("grader_model")
    if grader_model:
        graded["grader"] = f"{graded['grader']} ({grader_model})"
    try:
        created = timestamp(sample.started_at or spec.created)
    except (TypeError, ValueError):
        created = None
    row = {
        **native,
        **graded,
        "sample_id": f"{spec.eval_id}/{sample.id}/{sample.epoch}",
        "run_id": spec.eval_id,
        "scenario_family": sample_meta.get("scenario_family")
        or sample_meta.get("scenario")
        or task_args.get("scenario"),
        "scenario": sample_meta.get("condition_id") or sample_meta.get("scenario_name"),
        "conditions": conds,
        "epoch": sample.epoch,
        "created_at": created,
    }
    for col in ("scenario_family", "scenario"):
        row[col] = str(row[col]) if row[col] is not None else None
    return Parsed(row, messages(sample.messages), position, ctx=ctx, keys=keys)


def _grade(scores: dict[str, Any], options: Options) -> dict[str, Any] | str:
    """Verdict columns from the chosen scorer, or the reason there is none."""
    if not scores:
        return "no score: the sample was not scored"
    name, key = _choose(scores, options.scorer)
    if name is None:
        wanted = f"'{options.scorer}'" if options.scorer else "one"
        return f"no score from scorer {wanted} (scorers present: {', '.join(sorted(scores))}; pick with --scorer)"
    score = scores[name]
    value, classifier = score.value, None
    if isinstance(value, dict):
        key = key or next((k for k in DICT_KEYS if k in value), None)
        if key is None or key not in value:
            return f"score '{name}' is a dict ({', '.join(map(str, value))}); name the key with --scorer {name}.KEY"
        classifier = value.get("classifier_verdict") if key == "harmful" else None
        value = value[key]
    if key == "unprompted_blackmail" and options.threshold is None:
        return "Petri judge scores are 1-10: pass --threshold T (score >= T counts as harmful)"
    try:
        harmful, score_value = verdict(value, options.harmful_value, options.threshold)
        raw_verdict = verdict(classifier, options.harmful_value)[0] if classifier is not None else None
    except VerdictError as exc:
        return f"scorer '{name}': {exc}"
    conds: dict[str, str] = {}
    if options.threshold is not None and score_value is not None:
        conds["threshold"] = f"{options.threshold:g}"
    return {
        "harmful": harmful,
        "classifier_verdict": raw_verdict,
        "score": score_value,
        "grader": name if key in (None, "harmful") else f"{name}.{key}",
        "explanation": score.explanation,
        "error": None if harmful is not None else "grader returned no verdict",
        "conditions": conds,
    }


def _choose(scores: dict[str, Any], wanted: str | None) -> tuple[str | None, str | None]:
    """(scorer name, dict key) for `--scorer NAME` or `NAME.KEY`, else the preferred / only scorer."""
    if wanted:
        if wanted in scores:
            return wanted, None
        name, _, key = wanted.rpartition(".")
        return (name, key) if name in scores else (None, None)
    for name in PREFERRED_SCORERS:
        if name in scores:
            return name, None
    return (next(iter(scores)), None) if len(scores) == 1 else (None, None)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content or []:
        kind = getattr(part, "type", None)
        if kind == "text":
            parts.append(part.text)
        elif kind == "reasoning":
            parts.append(f"<reasoning>{part.reasoning or part.summary or ''}</reasoning>")
        elif kind is not None:
            parts.append(f"[{kind}]")
    return "\n".join(parts)


def messages(chat: list[Any] | None) -> list[dict[str, Any]]:
    """Inspect ChatMessages → canonical messages (tool calls' arguments as JSON)."""
    out = []
    for msg in chat or []:
        calls = [tool_call(c.id, c.function, c.arguments) for c in getattr(msg, "tool_calls", None) or []]
        tcid = getattr(msg, "tool_call_id", None)
        if isinstance(tcid, list):
            tcid = ",".join(tcid)
        content = _text(msg.content)
        error = getattr(msg, "error", None)
        if error is not None:
            content = f"{content}\n[tool error: {getattr(error, 'message', error)}]".strip()
        out.append(message(msg.role, content, calls, tcid, getattr(msg, "function", None)))
    return out
