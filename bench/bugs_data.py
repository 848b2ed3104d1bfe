"""The real-bug list (bench/bugs/bugs.toml) and the kept miss reasons (bench/bugs/misses.toml).

Loading checks every entry up front, so a typo in the list stops the benchmark with the
entry and field named instead of turning into a wrong score later.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus import tomllib
from dists import canonical

HERE = Path(__file__).resolve().parent
BUGS = HERE / "bugs" / "bugs.toml"
MISSES = HERE / "bugs" / "misses.toml"

KINDS = (
    "lock-leak",
    "self-deadlock",
    "lock-order",
    "blocking-under-lock",
    "wait-not-in-loop",
    "notify-not-held",
    "read-modify-write",
    "check-then-act",
    "lazy-init",
    "iteration-during-mutation",
    "check-then-use",
    "take-and-reset",
    "late-binding",
    "other",
)
DISTS = ("sdist", "wheel")
MAX_PER_PACKAGE = 3

# field -> type; all required
FIELDS: dict[str, type] = {
    "id": str,
    "package": str,
    "buggy": str,
    "fixed": str,
    "dist": str,
    "file": str,
    "function": str,
    "line": int,
    "kind": str,
    "link": str,
    "what": str,
}
# optional: where the function lives in the fixed release when the fix moved or renamed it
OPTIONAL: dict[str, type] = {"fixed_file": str, "fixed_function": str}


class DataError(Exception):
    """bugs.toml or misses.toml is malformed; the message lists every problem."""


@dataclass(frozen=True)
class Bug:
    id: str
    package: str
    buggy: str
    fixed: str
    dist: str
    file: str
    function: str
    line: int
    kind: str
    link: str
    what: str
    fixed_file: str = ""
    fixed_function: str = ""

    @property
    def wheel(self) -> bool:
        return self.dist == "wheel"

    def file_in_fixed(self) -> str:
        return self.fixed_file or self.file

    def function_in_fixed(self) -> str:
        return self.fixed_function or self.function


def entry_problems(index: int, entry: dict[str, Any]) -> list[str]:
    """What is wrong with one ``[[bug]]`` table (nothing: an empty list)."""
    where = f"bug #{index + 1} ({entry.get('id', 'no id')})"
    problems: list[str] = []
    for field, kind in {**FIELDS, **OPTIONAL}.items():
        if field not in entry:
            if field in FIELDS:
                problems.append(f"{where}: missing field '{field}'")
            continue
        value = entry[field]
        if not isinstance(value, kind) or isinstance(value, bool):
            expected = "an integer" if kind is int else "a string"
            problems.append(f"{where}: '{field}' must be {expected}, not {value!r}")
        elif isinstance(value, str) and not value.strip():
            problems.append(f"{where}: '{field}' is empty")
    for field in sorted(set(entry) - set(FIELDS) - set(OPTIONAL)):
        problems.append(f"{where}: unknown field '{field}'")
    if isinstance(entry.get("kind"), str) and entry["kind"] not in KINDS:
        problems.append(f"{where}: unknown kind {entry['kind']!r}; one of {', '.join(KINDS)}")
    if isinstance(entry.get("dist"), str) and entry["dist"] not in DISTS:
        problems.append(f"{where}: dist must be one of {DISTS}, not {entry['dist']!r}")
    line = entry.get("line")
    if isinstance(line, int) and not isinstance(line, bool) and line < 1:
        problems.append(f"{where}: line must be 1 or more, not {line}")
    for field in ("file", "fixed_file"):
        path = entry.get(field)
        if isinstance(path, str) and (path.startswith("/") or ".." in Path(path).parts):
            problems.append(f"{where}: '{field}' must be relative to the unpacked top directory")
    return problems


def parse_bugs(data: dict[str, Any]) -> list[Bug]:
    """The bugs of a parsed bugs.toml, or DataError listing every problem."""
    entries = data.get("bug", [])
    if not isinstance(entries, list):
        raise DataError("bugs.toml: expected [[bug]] tables")
    problems: list[str] = []
    for index, entry in enumerate(entries):
        problems += entry_problems(index, entry)
    ids = Counter(e.get("id") for e in entries)
    problems += [f"duplicate id {i!r} ({n} times)" for i, n in ids.items() if n > 1]
    packages = Counter(canonical(str(e.get("package", ""))) for e in entries)
    problems += [
        f"package {p!r} has {n} bugs; at most {MAX_PER_PACKAGE} from one package"
        for p, n in packages.items()
        if n > MAX_PER_PACKAGE
    ]
    if problems:
        raise DataError("\n".join(problems))
    return [Bug(**entry) for entry in entries]


def load_bugs(path: Path = BUGS) -> list[Bug]:
    with path.open("rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise DataError(f"{path.name}: {exc}") from exc
    return parse_bugs(data)


def parse_reasons(data: dict[str, Any]) -> dict[str, str]:
    reasons = data.get("reasons", {})
    if not isinstance(reasons, dict):
        raise DataError("misses.toml: expected a [reasons] table")
    bad = [key for key, value in reasons.items() if not isinstance(value, str) or not value]
    if bad:
        raise DataError(f"misses.toml: reasons must be non-empty strings: {', '.join(bad)}")
    return dict(reasons)


def load_reasons(path: Path = MISSES) -> dict[str, str]:
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise DataError(f"{path.name}: {exc}") from exc
    return parse_reasons(data)


def stale_reasons(reasons: dict[str, str], known_ids: set[str], found_ids: set[str]) -> list[str]:
    """Warnings for reasons kept for a bug that is not in the list or that is now found."""
    warnings: list[str] = []
    for bug_id in sorted(reasons):
        if bug_id not in known_ids:
            warnings.append(f"misses.toml: reason kept for {bug_id!r}, which is not in bugs.toml")
        elif bug_id in found_ids:
            warnings.append(
                f"misses.toml: reason kept for {bug_id!r}, which is now found: remove it"
            )
    return warnings
