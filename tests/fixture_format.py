"""Reading expectations from fixtures: a line ending in ``# error: TS201, TS301``.

A code may name the column where it matters (``# error: TS201:5``, 1-based, as
reported): several findings on one line, or a finding that must point at one
expression of the line.
"""

from __future__ import annotations

import re
from pathlib import Path

_CODE = r"TS\d{3}(?::\d+)?"
ERROR_COMMENT = re.compile(rf"#\s*error:\s*(?P<codes>{_CODE}(?:\s*,\s*{_CODE})*)\s*$")
XFAIL_MARKER = re.compile(r"^#\s*fixture:\s*xfail:\s*(?P<reason>.+)$")
EVIDENCE_MARKER = re.compile(r"^#\s*fixture:\s*extend-evidence:\s*(?P<kinds>.+)$", re.M)


def _announced(source: str) -> list[tuple[int, str, int | None]]:
    """(line, code, column or None) for every code of every ``# error:`` comment."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = ERROR_COMMENT.search(line)
        if match:
            for item in match.group("codes").split(","):
                code, _, column = item.strip().partition(":")
                found.append((number, code, int(column) if column else None))
    return found


def expected_findings(source: str) -> set[tuple[int, str]]:
    """The (line, code) pairs a fixture's ``# error:`` comments announce."""
    return {(line, code) for line, code, _ in _announced(source)}


def expected_columns(source: str) -> set[tuple[int, str, int]]:
    """The (line, code, column) triples of the comments that name a column."""
    return {(line, code, col) for line, code, col in _announced(source) if col is not None}


def xfail_reason(path: Path) -> str | None:
    """The reason given by a ``# fixture: xfail: ...`` first line, if any."""
    first = path.read_text(encoding="utf-8").splitlines()[:1]
    match = XFAIL_MARKER.match(first[0]) if first else None
    return match.group("reason") if match else None


def extend_evidence(source: str) -> list[str]:
    """The opt-in evidence kinds a ``# fixture: extend-evidence: own-thread, ...`` line
    turns on for the fixture (as ``extend-evidence`` in ``[tool.tsafe-lint]`` would)."""
    match = EVIDENCE_MARKER.search(source)
    return sorted(k.strip() for k in match.group("kinds").split(",")) if match else []


def imported_siblings(path: Path) -> list[Path]:
    """The fixtures of the same directory that ``path`` imports by their module name
    (``from stop_flag_defs import RUNNING``): linted with it, as one project, they show
    what only two modules together show (TS406)."""
    names = re.findall(r"^(?:from|import) (\w+)", path.read_text("utf-8"), re.MULTILINE)
    siblings = (path.with_name(f"{name}.py") for name in names)
    return [sibling for sibling in siblings if sibling.exists()]
