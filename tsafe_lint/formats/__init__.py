"""Output formats: ``text`` (flake8 style, one finding a line), ``json``, ``sarif`` and
``github`` (workflow-command annotations)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from tsafe_lint.codes import code_name
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.formats.github import render_github

FORMATS = ("text", "json", "sarif", "github")


def render_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(d.as_text() + "\n" for d in diagnostics)


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """A stable list of objects, one per finding (documented in the README)."""
    records = [
        {
            "path": d.path,
            "line": d.line,
            "column": d.col,
            "end_line": d.end_line,
            "end_column": d.end_col,
            "code": d.code,
            "name": d.name,
            "message": d.message,
            "severity": "error",
            "fix_available": d.fixable,
        }
        for d in diagnostics
    ]
    return json.dumps(records, indent=2) + "\n"


def render(
    diagnostics: Sequence[Diagnostic], fmt: str, sources: dict[str, bytes] | None = None
) -> str:
    """``sources``: files not on disk (standard input), for SARIF's fingerprints."""
    if fmt == "json":
        return render_json(diagnostics)
    if fmt == "sarif":
        from tsafe_lint.formats.sarif import render_sarif  # needs the rule documentation

        return render_sarif(diagnostics, sources)
    if fmt == "github":
        return render_github(diagnostics)
    return render_text(diagnostics)


def render_statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """Counts per code, most frequent first, like ``flake8 --statistics``."""
    counts = Counter(d.code for d in diagnostics)
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"{count:<5} {code} {code_name(code)}")
    return "".join(line + "\n" for line in lines)
