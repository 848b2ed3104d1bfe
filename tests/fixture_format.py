"""Reading expectations from fixtures: a line ending in ``# error: TS201, TS301``."""

from __future__ import annotations

import re
from pathlib import Path

ERROR_COMMENT = re.compile(r"#\s*error:\s*(?P<codes>TS\d{3}(?:\s*,\s*TS\d{3})*)\s*$")
XFAIL_MARKER = re.compile(r"^#\s*fixture:\s*xfail:\s*(?P<reason>.+)$")


def expected_findings(source: str) -> set[tuple[int, str]]:
    """The (line, code) pairs a fixture's ``# error:`` comments announce."""
    expected = set()
    for number, line in enumerate(source.splitlines(), start=1):
        match = ERROR_COMMENT.search(line)
        if match:
            for code in match.group("codes").split(","):
                expected.add((number, code.strip()))
    return expected


def xfail_reason(path: Path) -> str | None:
    """The reason given by a ``# fixture: xfail: ...`` first line, if any."""
    first = path.read_text(encoding="utf-8").splitlines()[:1]
    match = XFAIL_MARKER.match(first[0]) if first else None
    return match.group("reason") if match else None
