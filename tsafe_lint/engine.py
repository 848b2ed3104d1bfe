"""Parse each file once, analyse it once, run every enabled rule on the shared analysis.

Never crashes and never executes the linted code: unreadable or unparsable files become
one TS001 finding, an exception inside the analysis or a rule becomes TS002 naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tsafe_lint.analysis import ModuleAnalysis
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.rules import ALL_RULES, Finding, Rule
from tsafe_lint.source import ParseFailure, parse_source
from tsafe_lint.suppression import is_suppressed


@dataclass
class Linter:
    """Lints sources with the rules a configuration enables."""

    config: Config

    def rules_for(self, path: str) -> list[Rule]:
        extra = self.config.ignores_for(path)
        return [rule() for rule in ALL_RULES if self.config.is_enabled(rule.code, extra)]

    def _engine_code_enabled(self, code: str, path: str) -> bool:
        return self.config.is_enabled(code, self.config.ignores_for(path))

    def lint_file(self, path: str) -> list[Diagnostic]:
        try:
            with open(path, "rb") as handle:
                source = handle.read()
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            return self._engine("TS001", path, 1, 1, f"could not read file: {reason}")
        return self.lint_source(source, path)

    def lint_source(self, source: bytes | str, path: str) -> list[Diagnostic]:
        """Findings for one file's bytes (or already decoded text), sorted, with ``# noqa``
        applied."""
        parsed = parse_source(source)
        if isinstance(parsed, ParseFailure):
            return self._engine(
                "TS001", path, parsed.line, parsed.col, f"could not parse: {parsed.reason}"
            )
        try:
            analysis = ModuleAnalysis(parsed.module, path)
        except RecursionError:
            return self._engine(
                "TS001", path, 1, 1, "could not parse: code is nested too deeply to analyse"
            )
        except Exception as exc:
            return self._engine("TS002", path, 1, 1, f"internal error in the analysis: {exc!r}")
        diagnostics: list[Diagnostic] = []
        reported: list[tuple[Rule, Finding]] = []
        for rule in self.rules_for(path):
            try:
                reported.extend((rule, finding) for finding in rule.check(analysis))
            except Exception as exc:
                diagnostics.extend(
                    self._engine(
                        "TS002",
                        path,
                        1,
                        1,
                        f"internal error in rule {rule.code} ({rule.name}): {exc!r}",
                    )
                )
        try:
            spans = analysis.spans(finding.node for _, finding in reported)
        except RecursionError:
            return self._engine(
                "TS001", path, 1, 1, "could not parse: code is nested too deeply to analyse"
            )
        for rule, finding in reported:
            span = spans.get(finding.node)
            if span is None:
                continue
            diagnostics.append(
                Diagnostic(
                    path,
                    span.line,
                    span.col,
                    rule.code,
                    analysis.fill_lines(finding.message, spans),
                    span.end_line,
                    span.end_col,
                    rule.name,
                    rule.fixable,
                )
            )
        lines = parsed.lines
        kept = [
            d
            for d in diagnostics
            if not (d.line <= len(lines) and is_suppressed(d.code, lines[d.line - 1]))
        ]
        return sorted(set(kept))

    def _engine(self, code: str, path: str, line: int, col: int, message: str) -> list[Diagnostic]:
        if not self._engine_code_enabled(code, path):
            return []
        name = "parse-error" if code == "TS001" else "internal-error"
        return [Diagnostic(path, line, col, code, message, line, col, name)]

    def lint_paths(
        self, paths: Iterable[str], progress: Callable[[int], None] | None = None
    ) -> list[Diagnostic]:
        diagnostics: list[Diagnostic] = []
        for done, path in enumerate(paths, start=1):
            diagnostics.extend(self.lint_file(path))
            if progress is not None:
                progress(done)
        return sorted(diagnostics)


def lint_text(
    source: str, path: str = "<string>", select: Sequence[str] | None = None
) -> list[Diagnostic]:
    """Convenience for tests and embedding: lint a string with the default configuration."""
    config = Config(select=list(select) if select is not None else None)
    return Linter(config).lint_source(source.encode("utf-8"), path)
