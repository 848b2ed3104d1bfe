"""The one record every rule, reporter and integration speaks: a finding at a place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A finding. Ordered by path, line, column, code so output is stable."""

    path: str
    line: int
    col: int
    code: str
    message: str
    end_line: int = 0
    end_col: int = 0
    name: str = ""
    fixable: bool = False

    def as_text(self) -> str:
        """flake8-style: ``path:line:col: CODE message`` (1-based line and column)."""
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"
