"""``# noqa`` comments, with flake8's semantics.

``# noqa`` alone silences every finding on its line; ``# noqa: TS201,TS301`` only those
codes (or prefixes, ``# noqa: TS2``). A malformed code list after the colon is treated as
a bare ``# noqa``, as flake8 does.
"""

from __future__ import annotations

import re

_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def find_noqa(line: str) -> re.Match[str] | None:
    """The ``# noqa`` comment of ``line`` (its span and codes), if it has one."""
    return _NOQA.search(line)


def noqa_codes(line: str) -> frozenset[str] | None:
    """``None`` when the line has no noqa; an empty set for a bare noqa; else the codes."""
    match = find_noqa(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return frozenset()
    return frozenset(code.upper() for code in _CODE.findall(codes))


def is_suppressed(code: str, line: str) -> bool:
    """Does the physical ``line`` carry a noqa that covers ``code``?"""
    codes = noqa_codes(line)
    if codes is None:
        return False
    return not codes or any(code.startswith(prefix) for prefix in codes)
