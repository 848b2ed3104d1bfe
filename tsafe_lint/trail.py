"""The why-trail of a finding as data: the other places its message points to.

Messages name the places that explain a finding ("submitted to a thread pool at
pkg/main.py:29", "the write at line 20", "in the opposite order at line 40"). Editors
(``relatedInformation``) and SARIF (``relatedLocations``) want those places as
locations, so they are read back from the message here, in one place, rather than
recorded a second time by every rule: the message stays the single source of truth, and
a test checks every location-bearing message of the fixtures is understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tsafe_lint.diagnostics import Diagnostic

#: ``at pkg/main.py:29`` (another file, or this one named by path) or ``line 20``.
_REFERENCE = re.compile(r"\bat (?P<path>[^\s'()]+\.pyi?):(?P<pline>\d+)\b|\bline (?P<line>\d+)\b")
#: Where the clause that introduces a reference starts.
_BOUNDARY = re.compile(r"[(;,:]|\band\b|\bbut\b")
_QUOTED = re.compile(r"'[^']*'")


@dataclass(frozen=True)
class TrailStep:
    """One other place a finding's message points to (1-based line)."""

    path: str
    line: int
    label: str


def why_trail(diagnostic: Diagnostic) -> list[TrailStep]:
    """The places ``diagnostic``'s message refers to, in the order it mentions them."""
    message = diagnostic.message
    # Quoted source (``'print("line 3")'``) is code, not a reference: mask it.
    masked = _QUOTED.sub(lambda match: "'" + "x" * (len(match.group()) - 2) + "'", message)
    steps: list[TrailStep] = []
    for match in _REFERENCE.finditer(masked):
        if match.group("path"):
            path, line = match.group("path"), int(match.group("pline"))
        else:
            path, line = diagnostic.path, int(match.group("line"))
        if line <= 0:
            continue
        label = _label(message, masked, match.start()) or diagnostic.code
        step = TrailStep(path, line, label)
        if step not in steps:
            steps.append(step)
    return steps


def _label(message: str, masked: str, end: int) -> str:
    """The words that introduce the reference ending at ``end``: "the write",
    "submitted to a thread pool"; the clause before a bracket when the bracket holds
    only the reference (``again (line 12)``)."""
    label = _clause_before(message, masked, end)
    if not label:
        bracket = masked.rfind("(", 0, end)
        if bracket > 0:
            label = _clause_before(message, masked, bracket)
    return label


def _clause_before(message: str, masked: str, end: int) -> str:
    start = 0
    for boundary in _BOUNDARY.finditer(masked, 0, end):
        start = boundary.end()
    words = message[start:end].strip().split()
    while words and words[-1] in ("at", "(at"):
        words.pop()
    return " ".join(words)
