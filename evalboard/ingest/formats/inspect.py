"""Inspect AI logs (.eval / .json), read with Inspect's own sample model and reader (docs/FORMATS.md §2).

Defaults: snapshot ← eval metadata `snapshot` (else task arg, else the eval's model); intervention,
training_stage, stage_step ← eval metadata or task args of those names; scenario_family ← sample
metadata `scenario_family` / `scenario` (else task arg `scenario`); conditions ← task args + sample
metadata; verdict ← the chosen scorer's value; transcript ← the sample's messages with tool calls.
`--map col=path` paths see: id, epoch, metadata (sample over eval metadata), sample_metadata,
eval_metadata, task_args, eval (model, task, run_id, eval_id, tags), scores.<name>.value/explanation.
Samples with an error or without the scorer's score are rejected with the reason.

An `.eval` (a zip) is read member by member with Inspect's own sample model, so a corrupt member costs
that one sample; a `.json` log is read whole by Inspect's reader (as Inspect reads it) — when that refuses it,
sample by sample with the same model — and a sample without an id is keyed by its place in the log.

Verdict sources: every score but the primary one (`inspect:<scorer>[.<key>]`). Awareness: the Inspect port's
`eval_awareness_scorer` (`aware` 1 → evaluation; 0 → the classifier's own answer, `deliberates_thinks_real` → real,
`no_deliberation` → none, no label when it does not say), and Petri's judge `eval_awareness` dimension in an
`alignment_judge` score (mapped by `formats/petri.py`). Reasoning: the messages' `ContentReasoning` parts.
Detection: a zip (`.eval`, or holding `header.json` / `samples/` / `_journal/`), a file named `.eval`, or a JSON
object whose first bytes hold `"eval"` and `"version"` or `"status"`; `logs.json` beside logs is Inspect's listing.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from evalboard.ingest.awareness import AwarenessError, label_row, split_parts, unrecognised
from evalboard.ingest.formats.agentic_misalignment import DELIBERATION, deliberation_label
from evalboard.ingest.formats.base import Claim, Format, Head
from evalboard.ingest.formats.petri import AWARENESS_THRESHOLD, petri_labels
from evalboard.ingest.records import (
    Item,
    Options,
    Parsed,
    Rejected,
    VerdictError,
    conditions,
    loads,
    message,
    timestamp,
    tool_call,
    verdict,
)
from evalboard.ingest.verdict_sources import verdict_row

PREFERRED_SCORERS = ("harmfulness_scorer", "harmfulness", "alignment_judge")
DICT_KEYS = ("harmful", "unprompted_blackmail")  # the verdict key of a dict-valued score, in preference order
LABELS = ("snapshot", "intervention", "training_stage", "stage_step")
ZIP_MAGIC = b"PK\x03\x04"
LOCAL_HEADER = re.compile(rb"PK\x03\x04")
DROP_FIELDS = ("events", "events_data", "timelines", "store")
# An .eval member (one sample) is inflated whole to be parsed; one that inflates past this (a zip bomb, or a
# sample no page could show) is quarantined unread, the log's other samples imported (docs/ARCHITECTURE.md, "Memory").
MAX_MEMBER_BYTES = 128 * 1024 * 1024
HEADERS = ("header.json", "_journal/start.json")  # read whole by Inspect's header reader or `_journal_spec`
AWARENESS_SOURCE = "eval_awareness_scorer"
LISTING = "logs.json"  # Inspect writes this index of a log folder beside the logs: not a log
_ANSWER = re.compile(r"<answer>\s*([A-Za-z_]+)\s*</answer>", re.IGNORECASE)
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
    """Stream the samples of one log, one item each; a broken sample is quarantined, the others still read."""
    api = _api()
    if _is_zip(path):
        yield from _read_eval(path, options, api)
    else:
        yield from _read_json(path, options, api)


def _is_zip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == ZIP_MAGIC


def _context(spec: Any) -> tuple[dict[str, Any], dict[str, Any], tuple]:
    """(native labels, --map context for the eval, manifest keys) of an eval spec."""
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
    return native, eval_ctx, keys


def zip_sample_members(path: Path) -> tuple[int | None, bool]:
    """How many samples a broken .eval was meant to hold, and whether that is only a lower bound: its listing
    of samples/ members, or, when the listing itself is lost (a truncated file), the sample entries whose
    local headers survive (at least that many); None if neither."""
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(1 for n in zf.namelist() if _is_sample_member(n)), False
    except (zipfile.BadZipFile, OSError, ValueError):
        pass
    names = set()
    try:  # mapped, not read: a large truncated log costs no memory
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for match in LOCAL_HEADER.finditer(data):
                start = match.start() + 30  # the local file header is 30 bytes, then the name
                name_len = int.from_bytes(data[match.start() + 26 : match.start() + 28], "little")
                name = data[start : start + name_len].decode("utf-8", "replace")
                if _is_sample_member(name):
                    names.add(name)
    except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
        return None, False
    return (len(names), True) if names else (None, False)


def _is_sample_member(name: str) -> bool:
    return name.startswith("samples/") and name.endswith(".json")


def _read_eval(path: Path, options: Options, api: Any) -> Iterator[Item]:
    """An .eval zip, member by member: a corrupt member is one quarantined record, the rest still import."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        count, at_least = zip_sample_members(path)
        yield Rejected("file", f"truncated or damaged zip ({exc})", records=count, at_least=at_least)
        return
    with zf:
        members = [i for i in zf.infolist() if _is_sample_member(i.filename)]
        oversized = [i.filename for i in zf.infolist() if i.filename in HEADERS and i.file_size > MAX_MEMBER_BYTES]
        if oversized:  # Inspect's reader would inflate it whole
            yield Rejected("file", f"unreadable log header: {_too_large(oversized[0])}", records=len(members))
            return
        try:
            header = api.read_eval_log(str(path), header_only=True)
            spec, status = header.eval, header.status
        except Exception as exc:
            spec, status = _journal_spec(zf), "started"  # only the journal's start record: still being written
            if spec is None:
                yield Rejected("file", f"unreadable log header: {type(exc).__name__}: {exc}", records=len(members))
                return
        native, eval_ctx, keys = _context(spec)
        if not members:
            yield Rejected("file", f"log has no samples (status {status})", records=0)
            return
        for info in members:
            position = info.filename
            try:
                data = _member(zf, info)
            except MemberTooLarge as exc:  # refused unread: this record only
                yield Rejected(position, str(exc))
                continue
            except Exception as exc:  # a corrupt member: this record only
                yield Rejected(position, f"corrupt sample in the log: {type(exc).__name__}: {exc}")
                continue
            try:
                sample = _parse_sample(data, api)
            except Exception as exc:  # a corrupt member: this record only
                yield Rejected(position, f"corrupt sample in the log: {type(exc).__name__}: {exc}")
                continue
            finally:
                del data
            yield _safe_sample(sample, spec, native, eval_ctx, keys, options, position)
            if options.progress is not None:
                options.progress(info.header_offset + info.compress_size)


class MemberTooLarge(ValueError):
    """A member of an .eval that inflates past `MAX_MEMBER_BYTES`."""


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One member's bytes, inflated at most to `MAX_MEMBER_BYTES`: a larger one (whatever its header claims) is
    refused before it fills memory (docs/ARCHITECTURE.md, "Memory")."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise MemberTooLarge(_too_large(f"{info.file_size:,} bytes, {info.compress_size:,} compressed"))
    with zf.open(info) as fh:
        data = fh.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:  # a header that understated the size
        raise MemberTooLarge(_too_large(f"more than the {info.file_size:,} bytes its header claims"))
    return data


def _too_large(what: str) -> str:
    limit = f"{MAX_MEMBER_BYTES >> 20} MiB" if MAX_MEMBER_BYTES % 2**20 == 0 else f"{MAX_MEMBER_BYTES:,} bytes"
    return f"sample too large to read: it inflates past {limit} ({what}); refused unread (MAX_MEMBER_BYTES)"


def _journal_spec(zf: zipfile.ZipFile) -> Any:
    """The eval spec from the journal's start record (written when the eval began), or None."""
    try:
        from inspect_ai.log import EvalSpec

        return EvalSpec.model_validate(json.loads(zf.read("_journal/start.json"))["eval"])
    except Exception:
        return None


def _parse_sample(data: bytes, api: Any) -> Any:
    """One samples/ member as Inspect reads it (its own model and deserialising context), attachments resolved."""
    return _validate_sample(loads(data), api)


def _validate_sample(obj: dict[str, Any], api: Any) -> Any:
    """A parsed sample through Inspect's own model and deserialising context, attachments resolved."""
    for key in DROP_FIELDS:  # large and unused here; Inspect's reader can exclude them too
        obj.pop(key, None)
    sample = api.EvalSample.model_validate(obj, context=_deserializing_context())
    return api.resolve_sample_attachments(sample, "full")


def _deserializing_context() -> dict[str, Any] | None:
    try:
        from inspect_ai._util.constants import get_deserializing_context
    except ImportError:  # moved in another inspect-ai version: validate without it
        return None
    return get_deserializing_context()


def _read_json(path: Path, options: Options, api: Any) -> Iterator[Item]:
    """A .json log read whole by Inspect (as Inspect itself reads it); samples without ids get stable ones."""
    try:
        log = api.read_eval_log(str(path), resolve_attachments=True)
    except Exception as exc:  # maybe one bad sample: read them one by one, so it costs only itself
        yield from _read_json_samples(path, options, api, f"{type(exc).__name__}: {exc}")
        return
    spec = log.eval
    native, eval_ctx, keys = _context(spec)
    samples = log.samples or []
    if not samples:
        yield Rejected("file", f"log has no samples (status {log.status})", records=0)
        return
    size = path.stat().st_size
    for index, sample in enumerate(samples, 1):
        yield _safe_sample(sample, spec, native, eval_ctx, keys, options, f"sample #{index}", index)
        if options.progress is not None:
            options.progress(size * index // len(samples))


def _read_json_samples(path: Path, options: Options, api: Any, why: str) -> Iterator[Item]:
    """A .json log Inspect's reader refused as a whole, read sample by sample with Inspect's own sample model (as
    an .eval's members are): when its spec reads, a sample that does not (or holds text that cannot be stored,
    such as a lone surrogate) costs that sample only. Otherwise the file is quarantined with Inspect's reason."""
    try:
        obj = json.loads(path.read_bytes())  # lenient: the samples' own checks decide
        spec = api.EvalSpec.model_validate(obj["eval"], context=_deserializing_context())
        samples = obj.get("samples") or []
        if not isinstance(samples, list):
            raise TypeError("samples is not a list")
    except Exception:
        yield Rejected("file", f"not a readable Inspect log: {why}", records=_json_count(path))
        return
    native, eval_ctx, keys = _context(spec)
    if not samples:
        yield Rejected("file", f"log has no samples (status {obj.get('status')})", records=0)
        return
    for index, raw in enumerate(samples, 1):
        try:
            sample = _validate_sample(raw, api)
        except Exception as exc:
            yield Rejected(f"sample #{index}", f"corrupt sample in the log: {type(exc).__name__}: {exc}")
            continue
        yield _safe_sample(sample, spec, native, eval_ctx, keys, options, f"sample #{index}", index)


def _json_count(path: Path) -> int | None:
    """How many samples a .json log Inspect cannot read was meant to hold, when the JSON itself parses."""
    try:
        obj = json.loads(path.read_bytes())  # lenient on purpose: counting is not importing
    except (OSError, ValueError, RecursionError):
        return None
    samples = obj.get("samples") if isinstance(obj, dict) else None
    return len(samples) if isinstance(samples, list) else None


def _safe_sample(
    sample: Any,
    spec: Any,
    native: dict,
    eval_ctx: dict,
    keys: tuple,
    options: Options,
    position: str,
    index: int | None = None,
) -> Item:
    try:
        return _sample(sample, spec, native, eval_ctx, keys, options, index)
    except Exception as exc:  # one odd sample must not stop the log
        return Rejected(position, f"cannot read sample: {type(exc).__name__}: {exc}")


def _sample(
    sample: Any,
    spec: Any,
    native: dict[str, Any],
    eval_ctx: dict[str, Any],
    keys: tuple,
    options: Options,
    index: int | None = None,
) -> Item:
    sample_key = sample.id if sample.id is not None else f"#{index}"  # no id: its place in the log, stable
    position = f"sample {sample_key} epoch {sample.epoch}"
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
    if grader_model and graded.get("grader"):
        graded["grader"] = f"{graded['grader']} ({grader_model})"
    try:
        created = timestamp(sample.started_at or spec.created)
    except (TypeError, ValueError):
        created = None
    row = {
        **native,
        **graded,
        "sample_id": f"{spec.eval_id}/{sample_key}/{sample.epoch}",
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
    further = inspect_scores(row["sample_id"], ctx["scores"], _primary(ctx["scores"], options), options.threshold)
    labels = inspect_labels(scores, options.extra.get(AWARENESS_THRESHOLD))
    extra = {"verdicts": further, "awareness": [label | {"sample_id": row["sample_id"]} for label in labels]}
    return Parsed(row, messages(sample.messages), position, ctx=ctx, keys=keys, extra=extra)


def inspect_scores(
    sample_id: str,
    scores: Mapping[str, Mapping[str, Any]],
    primary: tuple[str | None, str | None] | None = None,
    threshold: float | None = None,
) -> list[dict[str, Any]]:
    """Verdict rows for every Inspect score on a sample but the primary one (`(scorer, dict key)`).

    A scorer's value becomes source `inspect:<scorer>`; a dict value gives one source per key,
    `inspect:<scorer>.<key>`. C/I, 1/0, true/false and yes/no become verdicts, a number `>= threshold` when one
    is given (Petri's 1–10 dimensions); other numbers are kept as the score with no verdict; anything else is
    kept as no verdict.
    """
    rows = []
    for name, score in sorted(scores.items()):
        value = score.get("value")
        items = sorted(value.items()) if isinstance(value, Mapping) else [(None, value)]
        for key, item in items:
            if primary is not None and (name, key) == primary:
                continue
            harmful, number = _as_verdict(item, threshold)
            source = f"inspect:{name}" + (f".{key}" if key is not None else "")
            rows.append(verdict_row(sample_id, source, harmful, score=number, explanation=score.get("explanation")))
    return rows


def _as_verdict(value: Any, threshold: float | None = None) -> tuple[bool | None, float | None]:
    try:
        return verdict(value, None, threshold)
    except VerdictError:
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        return None, number


def inspect_label(value: Any, explanation: str | None = None, metadata: Mapping[str, Any] | None = None) -> dict | None:
    """The Inspect port's `eval_awareness_scorer` (`aware`: 1 = concluded it is an evaluation).

    `aware` = 0 covers both "believed real" and "no statement"; the classifier's own `deliberation_type` (in the
    score's metadata or the `<answer>` of its explanation) tells them apart. Without it there is no label (None).
    """
    aware = value.get("aware") if isinstance(value, Mapping) else value
    detail = (metadata or {}).get("deliberation_type")
    if detail is None and explanation:
        found = _ANSWER.findall(explanation)
        detail = next((a for a in reversed(found) if a.lower() in DELIBERATION), None)
    if detail is not None:
        row = deliberation_label(detail, explanation)
        return row | {"source": AWARENESS_SOURCE, "score": _aware_score(aware)}
    score = _aware_score(aware)
    if score is None:
        raise AwarenessError(f"eval_awareness_scorer value {aware!r} is not 1/0")
    return label_row(AWARENESS_SOURCE, "evaluation", score, None, explanation) if score == 1 else None


def _aware_score(aware: Any) -> float | None:
    if isinstance(aware, bool):
        return float(aware)
    if isinstance(aware, int | float) and aware in (0, 1):
        return float(aware)
    token = str(aware).strip().lower()
    return {"c": 1.0, "i": 0.0, "true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0, "1": 1.0, "0": 0.0}.get(token)


def inspect_labels(scores: Mapping[str, Any], threshold: float | None) -> list[dict]:
    """Labels from an Inspect sample's scores: the port's `eval_awareness_scorer`, and Petri's judge dimension
    `eval_awareness` (only with `--awareness-threshold`)."""
    out = []
    scorer = scores.get("eval_awareness_scorer")
    if scorer is not None:
        try:
            row = inspect_label(scorer.value, scorer.explanation, getattr(scorer, "metadata", None))
            out += [row] if row else []
        except AwarenessError as exc:
            out.append(unrecognised(AWARENESS_SOURCE, exc))
    judge = scores.get("alignment_judge")
    if judge is not None and threshold is not None and isinstance(judge.value, Mapping):
        metadata = getattr(judge, "metadata", None) or {}
        out += petri_labels(
            {"scores": judge.value, "highlights": metadata.get("highlights"), "justification": judge.explanation},
            threshold,
        )
    return out


def _primary(scores: dict[str, Any], options: Options) -> tuple[str | None, str | None]:
    """(scorer, dict key) of the primary verdict, so the other scores become further verdict sources."""
    name, key = _choose(scores, options.scorer)
    value = scores.get(name, {}).get("value") if name else None
    if key is None and isinstance(value, dict):
        key = next((k for k in DICT_KEYS if k in value), None)
    return name, key


def _grade(scores: dict[str, Any], options: Options) -> dict[str, Any] | str:
    """Verdict columns from the chosen scorer, or the reason there is none."""
    if not scores:
        if options.ungraded_ok:
            return {"harmful": None, "grader": None, "error": "not scored", "conditions": {}}
        return "no score: the sample was not scored (pass --ungraded-ok to import it as ungraded)"
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
        content, reasoning = split_parts(msg.content)
        error = getattr(msg, "error", None)
        if error is not None:
            content = f"{content}\n[tool error: {getattr(error, 'message', error)}]".strip()
        out.append(message(msg.role, content, calls, tcid, getattr(msg, "function", None), reasoning))
    return out


class Inspect(Format):
    """An Inspect AI log: `.eval` (a zip) or `.json`."""

    name = "inspect"
    suffixes = (".eval", ".json")

    def by_magic(self, head: Head) -> Claim | None:
        if not head.head.startswith(ZIP_MAGIC):
            return None
        if head.suffix == ".eval" or any(m in head.head for m in (b"header.json", b"samples/", b"_journal/")):
            return Claim(self.name, "Inspect log (.eval zip)")
        return Claim(None, "a zip archive that is not an Inspect .eval log")

    def by_name(self, head: Head) -> Claim | None:
        if head.gzip or head.suffix != ".eval":  # a gzip file named .eval is JSONL when its first line is a record
            return None
        return Claim(self.name, "Inspect log (.eval), though it does not start like a zip")

    def by_content(self, head: Head) -> Claim | None:
        if head.gzip or not head.text.startswith(b"{"):  # Inspect writes no gzip logs; gzip is how JSONL travels
            return None
        if b'"eval"' in head.head and (b'"version"' in head.head or b'"status"' in head.head):
            return Claim(self.name, "Inspect log (.json)")
        return None

    def passed_over(self, folder: Path, files: list[str]) -> set[str]:
        if LISTING in files and any(f.endswith(".eval") or f.endswith(".json") for f in files):
            return {LISTING}
        return set()

    def read(self, path: Path, options: Options) -> Iterator[Item]:
        return read(path, options)
