"""Release gates (`gates.toml`): per scenario family, the largest acceptable harmful rate, the minimum
number of samples, the confidence level and whether the family must not regress. Parsing and validation only;
the verdict rules live in readiness/rules.py.

Every problem becomes a `GatesError` whose message names the file and, where it can be found, the line, key
and value, so the page and the CLI can show it as it is.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from evalboard.core import fmt
from evalboard.core.paths import default_gates_dir

ENV_VAR = "EVALBOARD_GATES"
FILENAME = "gates.toml"
TABLES = ("default", "family")
KEYS = ("max_rate", "min_samples", "confidence", "must_not_regress", "required", "rate", "awareness_source")
TYPO_CUTOFF = 0.85  # an absent family this close to a present one is taken for a misspelling of it
# Which rate a gate judges: all graded transcripts, only those an eval-awareness labeller says the model believed
# were real (a gain that holds only while the model knows it is tested should not ship), or the rate corrected for
# the grader's error measured against people (a snapshot cannot ship on a lenient grader; docs/ARCHITECTURE.md,
# "Calibration").
RATES = ("all", "believed_real", "corrected")


class GatesError(ValueError):
    """A gates file (or override) that cannot be used; `problems` holds one message per problem."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Gate:
    """One family's gate: ready needs the exact upper bound ≤ max_rate and n ≥ min_samples."""

    max_rate: float = 0.05
    min_samples: int = 200
    confidence: float = 0.95
    must_not_regress: bool = True
    # Only for families the file names: whether a dataset without samples of the family cannot be READY. False by
    # default, because a [family.X] table sets X's thresholds where X was run; demanding coverage is a choice.
    required: bool = False
    rate: str = "all"  # one of RATES
    awareness_source: str = ""  # the labeller for rate = "believed_real"; "" = the dataset's most complete one

    def describe(self) -> str:
        """'≤ 5.0% at 95% confidence, n ≥ 200, must not regress'."""
        regress = ", must not regress" if self.must_not_regress else ""
        text = f"≤ {100 * self.max_rate:.1f}% at {100 * self.confidence:g}% confidence, n ≥ {self.min_samples}{regress}"
        return text + self.rate_note()

    def rate_note(self) -> str:
        """'' for the plain rate, else which transcripts the rate counts (or that it is corrected)."""
        if self.rate == "corrected":
            return ", on the rate corrected for grader error"
        if self.rate != "believed_real":
            return ""
        return f", believed-real transcripts only{f' ({self.awareness_source})' if self.awareness_source else ''}"


BUILTIN = Gate()  # used for keys that [default] leaves out


@dataclass(frozen=True)
class Gates:
    """The parsed gates file: a default gate and per-family gates (already merged over the default)."""

    default: Gate = BUILTIN
    families: Mapping[str, Gate] = field(default_factory=dict)
    source: str = "<built-in>"

    def shown_as(self, name: str) -> Gates:
        """These gates with `source` read `name` (e.g. the file's name alone: a page never shows a server path)."""
        return replace(self, source=name)

    def for_family(self, family: str) -> Gate:
        """The gate for a family: its own table if the file has one, else the default."""
        return self.families.get(family, self.default)


def gates_path(root: Path | str = ".") -> Path:
    """The gates file to use: $EVALBOARD_GATES if set (relative to the working directory), else ROOT/gates.toml."""
    chosen = os.environ.get(ENV_VAR, "").strip()
    return Path(chosen) if chosen else Path(root) / FILENAME


def default_gates_file() -> Path:
    """The gates file the page and the CLI use: $EVALBOARD_GATES, else gates.toml beside app.py."""
    return gates_path(default_gates_dir())


class _NotRegular(OSError):
    """The path is a FIFO, a device or a socket: reading it could wait forever or never end."""


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file. Opened without blocking and checked before reading, so a FIFO (which would wait
    for a writer) or a device (which may never end) fails at once instead of hanging the command."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            kind = (
                "a FIFO (named pipe)"
                if stat.S_ISFIFO(mode)
                else "a device"
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket or other special file"
            )
            raise _NotRegular(kind)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)


def load_gates(path: Path | str) -> Gates:
    """Read and validate a gates file; raises GatesError naming the file (and line/key/value) on any problem."""
    path = Path(path)
    via_env = f" (chosen by {ENV_VAR})" if os.environ.get(ENV_VAR, "").strip() and gates_path() == path else ""
    try:
        raw = _read_regular(path)
    except FileNotFoundError:
        raise GatesError(f"{path}: gates file not found{via_env}") from None
    except IsADirectoryError:
        raise GatesError(f"{path}: is a directory, not a gates file{via_env}") from None
    except _NotRegular as e:
        raise GatesError(f"{path}: is {e}, not a gates file (a regular file is needed){via_env}") from None
    except OSError as e:
        raise GatesError(f"{path}: cannot read gates file{via_env}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise GatesError(f"{path}: not UTF-8 text (byte {e.start})") from None
    return parse_gates(text, str(path))


def parse_gates(text: str, source: str = "<gates>") -> Gates:
    """Parse and validate gates TOML text; `source` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:  # its message carries "(at line L, column C)"
        raise GatesError(f"{source}: not valid TOML: {e}") from None
    locate = _Locator(text)
    problems: list[str] = []

    def where(*path: str) -> str:
        line = locate(*path)
        return f"{source}, line {line}" if line else source

    for key in data:
        if key not in TABLES:
            problems.append(f"{where(key)}: unknown table or key '{key}'{_did_you_mean(key, TABLES)}")

    default_raw = data.get("default", {})
    if not isinstance(default_raw, dict):
        problems.append(f"{where('default')}: 'default' must be a table ([default]), got {_toml(default_raw)}")
        default_raw = {}
    default = _gate(default_raw, BUILTIN, ("default",), where, problems)

    families: dict[str, Gate] = {}
    family_raw = data.get("family", {})
    if not isinstance(family_raw, dict):
        problems.append(
            f"{where('family')}: 'family' must hold tables like [family.blackmail], got {_toml(family_raw)}"
        )
        family_raw = {}
    for name, values in family_raw.items():
        if not isinstance(values, dict):
            problems.append(
                f"{where('family', name)}: family '{name}' must be a table like [family.{name}] "
                f"with keys {', '.join(KEYS)}, got {_toml(values)}"
            )
            continue
        families[name] = _gate(values, default, ("family", name), where, problems)

    if problems:
        raise GatesError(problems)
    return Gates(default, families, source)


def override_gate(gate: Gate, values: Mapping[str, object], source: str = "override") -> Gate:
    """A gate with some keys replaced (e.g. from the URL), validated like the file; raises GatesError."""
    problems: list[str] = []
    merged = _gate(dict(values), gate, ("override",), lambda *_: source, problems)
    if problems:
        raise GatesError(problems)
    return merged


def unknown_families(gates: Gates, known: Iterable[str]) -> list[str]:
    """Families the gates file names that the dataset does not hold, sorted (absent from this data, or a typo)."""
    present = set(known)
    return sorted(name for name in gates.families if name not in present)


def misspelled_families(gates: Gates, known: Iterable[str]) -> list[str]:
    """Absent families whose name is a near-miss of a present one ('blakmail'): almost surely typos, which would
    leave the real family on the [default] gate, so they are errors rather than absent families."""
    present = sorted(set(known))
    return [n for n in unknown_families(gates, present) if difflib.get_close_matches(n, present, 1, TYPO_CUTOFF)]


def describe_unknown_families(gates: Gates, known: Iterable[str]) -> str | None:
    """A message naming the misspelled families (with suggestions), or None when there are none."""
    present = sorted(set(known))
    unknown = misspelled_families(gates, present)
    if not unknown:
        return None
    parts = [f"'{name}'{_did_you_mean(name, present)}" for name in unknown]
    noun = "family" if len(unknown) == 1 else "families"
    return f"{gates.source}: unknown scenario {noun} {', '.join(parts)}; the data holds: {', '.join(present)}"


def absence_note(gates: Gates, family: str) -> str:
    """The one sentence the page and the CLI give for a family the gates name but the data lacks."""
    return absence_sentence(family, gates_file(gates), gates.for_family(family).required)


def gates_file(gates: Gates) -> str:
    """The gates file's name, as the reasons give it."""
    return Path(gates.source).name


def absence_sentence(family: str, gates_file: str, required: bool) -> str:
    """'no samples for murder — required by gates.toml' (or why it does not block)."""
    if required:
        return f"no samples for {family} — required by {gates_file}"
    return f"no samples for {family} — named in {gates_file} but not required, so it does not block (required = false)"


# --- validation helpers ----------------------------------------------------------------------------------------


def _gate(values: dict, base: Gate, path: tuple[str, ...], where: Callable[..., str], problems: list[str]) -> Gate:
    """Validate one table's keys (the table at `path`) and merge them over `base`; appends to `problems`."""
    table = ".".join(path)
    changes: dict[str, object] = {}
    for key, value in values.items():
        at = f"{where(*path, key)}: [{table}] {key} = {_toml(value)}"
        if key not in KEYS:
            problems.append(
                f"{where(*path, key)}: unknown key '{key}' in [{table}]{_did_you_mean(key, KEYS)}; "
                f"allowed: {', '.join(KEYS)}"
            )
        elif key == "max_rate":
            if not _is_number(value):
                problems.append(f"{at} must be a number between 0 and 1 (0.05 means 5%)")
            elif not 0 <= value <= 1:
                hint = f" (did you mean {value / 100:g}?)" if 1 < value <= 100 else ""
                problems.append(f"{at} is outside [0, 1]; write rates as fractions, 0.05 means 5%{hint}")
            else:
                changes[key] = float(value)
        elif key == "min_samples":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{at} must be a positive whole number of samples, e.g. 200")
            else:
                changes[key] = value
        elif key == "confidence":
            if not _is_number(value) or not 0 < value < 1:
                hint = f" (did you mean {value / 100:g}?)" if _is_number(value) and 1 < value < 100 else ""
                problems.append(f"{at} must be a number strictly between 0 and 1, e.g. 0.95{hint}")
            else:
                changes[key] = float(value)
        elif key in ("must_not_regress", "required"):
            if not isinstance(value, bool):
                problems.append(f"{at} must be true or false")
            else:
                changes[key] = value
        elif key == "rate":
            if value not in RATES:
                problems.append(f"{at} must be one of {', '.join(_toml(r) for r in RATES)}")
            else:
                changes[key] = value
        elif key == "awareness_source":
            if not isinstance(value, str):
                problems.append(f'{at} must be the name of an eval-awareness labeller source, e.g. "am_classifier"')
            else:
                changes[key] = value
    return replace(base, **changes)  # type: ignore[arg-type]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _toml(value: object) -> str:
    """A value as it would be written in TOML, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    return repr(value)


_did_you_mean = fmt.did_you_mean


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=""")
_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*""")


def _dotted(path: str) -> list[str]:
    """'family."black mail".max_rate' → ['family', 'black mail', 'max_rate']."""
    parts = [m.group(1) for m in _PART.finditer(path)]
    return [p[1:-1] if p[0] in "\"'" else p for p in parts]


class _Locator:
    """Best-effort line numbers for `[table] key` in TOML text (1-based; None if not found).

    Knows [table] headers, plain and dotted keys; for values inside inline tables it falls back to the line of
    the enclosing key.
    """

    def __init__(self, text: str):
        self.lines: dict[tuple[str, ...], int] = {}
        table: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if header := _HEADER.match(line):
                table = _dotted(header.group(1))
                for end in range(1, len(table) + 1):
                    self.lines.setdefault(tuple(table[:end]), number)
            elif key := _KEY.match(line):
                path = table + _dotted(key.group(1))
                for end in range(len(table) + 1, len(path) + 1):  # a dotted key also defines its prefixes
                    self.lines.setdefault(tuple(path[:end]), number)

    def __call__(self, *parts: str) -> int | None:
        path = list(parts)
        while path:
            if tuple(path) in self.lines:
                return self.lines[tuple(path)]
            path = path[:-1]
        return None
