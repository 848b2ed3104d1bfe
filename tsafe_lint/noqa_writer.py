"""``--add-noqa``: write ``# noqa: CODE`` on the line of every current finding.

Existing comments stay: a line with a ``# noqa: X`` gets its codes merged into it
(``# noqa: TS102, X``), any other comment is kept and the noqa follows it. A comment
cannot go at the end of a line that continues a string or ends in a backslash; those
lines are reported, not touched, and a file whose result would not parse is left alone.
Running it twice changes nothing: the findings are silenced by then.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tsafe_lint.suppression import find_noqa, noqa_codes


@dataclass
class NoqaOutcome:
    """The new source (``None``: unchanged), the lines changed and the lines skipped."""

    fixed: bytes | None = None
    changed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    problem: str | None = None


def add_noqa(source: bytes | str, codes_by_line: Mapping[int, Iterable[str]]) -> NoqaOutcome:
    """Add ``# noqa`` comments for ``codes_by_line`` (1-based line -> codes)."""
    encoding, text = _decode(source)
    lines = text.splitlines(keepends=True)
    blocked = _lines_that_cannot_end_in_a_comment(text)
    outcome = NoqaOutcome()
    for number in sorted(codes_by_line):
        if not 0 < number <= len(lines):
            continue
        if number in blocked:
            outcome.skipped.append(number)
            continue
        new = with_noqa(lines[number - 1], codes_by_line[number])
        if new != lines[number - 1]:
            lines[number - 1] = new
            outcome.changed.append(number)
    if not outcome.changed:
        return outcome
    result = "".join(lines)
    if _parses(text) and not _parses(result):
        return NoqaOutcome(skipped=outcome.skipped, problem="a noqa comment broke the syntax")
    if isinstance(source, str):
        outcome.fixed = result.encode("utf-8")
    else:
        bom = b"\xef\xbb\xbf" if source.startswith(b"\xef\xbb\xbf") else b""
        outcome.fixed = bom + result.encode(encoding, "surrogateescape")
    return outcome


def with_noqa(line: str, codes: Iterable[str]) -> str:
    """``line`` with a noqa covering ``codes`` (unchanged when it already has one)."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    wanted = sorted(set(codes))
    present = noqa_codes(body)
    if present is not None:
        if not present:  # a bare noqa already silences everything
            return line
        missing = [c for c in wanted if not any(c.startswith(p) for p in present)]
        if not missing:
            return line
        match = find_noqa(body)
        assert match is not None
        merged = ", ".join(sorted({*present, *missing}))
        return body[: match.start()] + f"# noqa: {merged}" + body[match.end() :] + ending
    return body.rstrip() + f"  # noqa: {', '.join(wanted)}" + ending


def _decode(source: bytes | str) -> tuple[str, str]:
    if isinstance(source, str):
        return "utf-8", source
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError:
        encoding = "utf-8"
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    data = source[3:] if source.startswith(b"\xef\xbb\xbf") else source
    return encoding, data.decode(encoding, "surrogateescape")


def _lines_that_cannot_end_in_a_comment(text: str) -> set[int]:
    """Lines inside a multi-line token (a string) or continued by a backslash."""
    blocked: set[int] = set()
    commented: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] < token.end[0]:
                blocked.update(range(token.start[0], token.end[0]))
            if token.type == tokenize.COMMENT:
                commented.add(token.start[0])
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if line.rstrip().endswith("\\") and number not in commented:
            blocked.add(number)
    return blocked


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
