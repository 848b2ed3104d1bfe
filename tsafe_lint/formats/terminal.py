"""Text for humans at a terminal: colour, the offending source line, a summary.

The plain flake8-style line stays the same whatever the options, so editors and
problem matchers can always parse it; colour is only added for a TTY (never in pipes,
never with ``NO_COLOR`` set).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import click

from tsafe_lint.diagnostics import Diagnostic


def use_colour(mode: str, stream_isatty: bool) -> bool:
    """``--color auto|always|never``; auto means a TTY and no ``NO_COLOR``."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return stream_isatty and not os.environ.get("NO_COLOR")


def format_line(d: Diagnostic, colour: bool) -> str:
    if not colour:
        return d.as_text()
    where = click.style(f"{d.path}:{d.line}:{d.col}:", bold=True)
    code = click.style(d.code, fg="red", bold=True)
    return f"{where} {code} {d.message}"


def source_excerpt(d: Diagnostic, line_text: str | None, colour: bool) -> str:
    """The offending line and a caret under the reported column."""
    if line_text is None:
        return ""
    line_text = line_text.rstrip("\r\n")
    expanded = line_text.expandtabs(8)
    caret = " " * len(line_text[: max(d.col - 1, 0)].expandtabs(8)) + "^"
    if colour:
        caret = click.style(caret, fg="red", bold=True)
    return f"    {expanded}\n    {caret}\n"


def render_human(
    diagnostics: Sequence[Diagnostic],
    colour: bool,
    show_source: bool,
    read_line: Callable[[str, int], str | None],
) -> str:
    parts = []
    for d in diagnostics:
        parts.append(format_line(d, colour) + "\n")
        if show_source:
            parts.append(source_excerpt(d, read_line(d.path, d.line), colour))
    return "".join(parts)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    """``Found 12 findings in 4 files (3 fixable).`` or ``All clear: no findings.``"""
    if not diagnostics:
        return "All clear: no findings."
    files = len({d.path for d in diagnostics})
    fixable = sum(1 for d in diagnostics if d.fixable)
    noun = "finding" if len(diagnostics) == 1 else "findings"
    file_noun = "file" if files == 1 else "files"
    text = f"Found {len(diagnostics)} {noun} in {files} {file_noun}"
    return text + (f" ({fixable} fixable)." if fixable else ".")
