"""What one file's analysis produced, in a form that crosses processes and the cache.

The ``is_*_json`` checks say whether a value read back from the cache has exactly the
shape these forms are written in (see ``shapes``): what does not is a cache miss.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.project.file_summary import FileSummary
from tsafe_lint.project_context import EMPTY_CONTEXT, ExternalEntry, ProjectContext
from tsafe_lint.shapes import Refinements, conforms

#: FileSummary fields annotated loosely (lists of mixed items): their exact JSON shape.
_SUMMARY_JSON: Refinements = {
    FileSummary: {
        # name -> [verb, line, many, the coroutine that awaits it in turn or ""]
        "thread_functions": dict[str, tuple[str, int, bool, str]],
        # [target, verb, line, many, the coroutine that awaits it in turn or ""]
        "external_starts": list[tuple[str, str, int, bool, str]],
    }
}


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


def is_result_json(data: object) -> bool:
    """Is ``data`` a file result as ``FileResult.as_json`` writes it (through JSON)?"""
    return (
        isinstance(data, dict)
        and set(data) == {"diagnostics", "summary"}
        and conforms(data["diagnostics"], list[Diagnostic])
        and conforms(data["summary"], Optional[FileSummary], _SUMMARY_JSON)
    )


def is_findings_json(data: object) -> bool:
    """Is ``data`` the findings of a whole run: ``{"diagnostics": [...]}``?"""
    return (
        isinstance(data, dict)
        and set(data) == {"diagnostics"}
        and conforms(data["diagnostics"], list[Diagnostic])
    )


def engine_diagnostic(code: str, path: str, line: int, col: int, message: str) -> Diagnostic:
    name = "parse-error" if code == "TS001" else "internal-error"
    return Diagnostic(path, line, col, code, message, line, col, name)


def context_from_json(data: dict[str, Any] | None) -> ProjectContext:
    if not data:
        return EMPTY_CONTEXT
    return ProjectContext(
        tuple((name, kind) for name, kind in data["imported_kinds"]),
        tuple(ExternalEntry(*entry) for entry in data["entries"]),
        tuple(data["copying_classes"]),
        tuple((name, kind) for name, kind in data["made_kinds"]),
        tuple((cls, attr, kind) for cls, attr, kind in data.get("inherited_kinds", ())),
        tuple(data.get("safe_imports", ())),
    )
