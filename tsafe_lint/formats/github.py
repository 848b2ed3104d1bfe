"""GitHub Actions workflow commands: each finding becomes an annotation on the PR diff."""

from __future__ import annotations

from collections.abc import Sequence

from tsafe_lint.diagnostics import Diagnostic


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """``::error file=...,line=...,col=...,endLine=...,endColumn=...,title=TS101::msg``."""
    lines = []
    for d in diagnostics:
        props = [
            f"file={_escape_property(d.path)}",
            f"line={d.line}",
            f"col={d.col}",
        ]
        if d.end_line >= d.line and d.end_col > 0:
            props += [f"endLine={d.end_line}", f"endColumn={d.end_col}"]
        props.append(f"title={_escape_property(d.code + ' ' + d.name)}")
        lines.append(f"::error {','.join(props)}::{_escape_data(d.code + ' ' + d.message)}")
    return "".join(line + "\n" for line in lines)
