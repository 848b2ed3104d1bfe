"""What one file's analysis produced, in a form that crosses processes and the cache."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.project.file_summary import FileSummary
from tsafe_lint.project_context import EMPTY_CONTEXT, ExternalEntry, ProjectContext


@dataclass
class FileResult:
    """What phase 1 (or a re-analysis) learned of one file."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    summary: FileSummary | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "diagnostics": [asdict(d) for d in self.diagnostics],
            "summary": self.summary.as_json() if self.summary is not None else None,
        }

    @classmethod
    def from_json(cls, path: str, data: dict[str, Any]) -> FileResult:
        """``data`` as cached (or computed) for ``path``; the same content may have been
        cached under another spelling of its path, so the path is always this one."""
        diagnostics = [Diagnostic(**{**d, "path": path}) for d in data["diagnostics"]]
        summary = FileSummary.from_json(data["summary"]) if data.get("summary") else None
        if summary is not None:
            summary.path = path
        return cls(path, diagnostics, summary)


def engine_diagnostic(code: str, path: str, line: int, col: int, message: str) -> Diagnostic:
    name = "parse-error" if code == "TS001" else "internal-error"
    return Diagnostic(path, line, col, code, message, line, col, name)


def context_from_json(data: dict[str, Any] | None) -> ProjectContext:
    if not data:
        return EMPTY_CONTEXT
    return ProjectContext(
        tuple((name, kind) for name, kind in data["imported_kinds"]),
        tuple(ExternalEntry(*entry) for entry in data["entries"]),
    )
