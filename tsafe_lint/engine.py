"""The engine: lint files as a project, in two phases, in parallel, with a cache.

Phase 1 analyses every file on its own (in worker processes, cached by content) and
produces its findings and a summary. Phase 2 joins the summaries: threads started in one
module on another's functions, locks imported from other modules. Files that learn
something from the join are analysed again with that context (cached too), and the lock
rules are followed across modules. Findings pass the configuration (select, ignore,
per-file ignores) last, so cached results never depend on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from tsafe_lint.analyse import (
    FileResult,
    analyse_source,
    context_from_json,
    engine_diagnostic,
)
from tsafe_lint.cache import Cache, content_key, context_key
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.project.join import ProjectIndex, contexts
from tsafe_lint.project.locks import cross_module_findings
from tsafe_lint.project.modules import module_name
from tsafe_lint.project.summary import FileSummary
from tsafe_lint.rules import ALL_RULES
from tsafe_lint.suppression import is_suppressed

Progress = Callable[[int], None]


def _work(
    task: tuple[str, str, dict[str, Any] | None, str | None],
) -> tuple[str, str, dict[str, Any]]:
    """Worker: analyse one file (phase 1, or phase 2 with a context); consult the cache."""
    path, module, context_json, cache_dir = task
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        failed = FileResult(
            path, [engine_diagnostic("TS001", path, 1, 1, f"could not read file: {reason}")]
        )
        return path, "", failed.as_json()
    key = content_key(source, module)
    if context_json is not None:
        key = context_key(key, context_json)
    cache = Cache.at(cache_dir) if cache_dir else None
    if cache is not None:
        cached = cache.get(key)
        if cached is not None:
            return path, key, cached
    result = analyse_source(source, path, module, context_from_json(context_json), prefilter=True)
    data = result.as_json()
    if cache is not None:
        cache.put(key, data)
    return path, key, data


@dataclass
class Linter:
    """Lints sources with the rules a configuration enables."""

    config: Config
    jobs: int = 1
    cache: Cache | None = None
    project_files: list[str] = field(default_factory=list)

    def accepts(self, diagnostic: Diagnostic) -> bool:
        extra = self.config.ignores_for(diagnostic.path)
        return self.config.is_enabled(diagnostic.code, extra)

    def lint_source(self, source: bytes | str, path: str) -> list[Diagnostic]:
        """One file on its own (standard input, the flake8 plugin): module-local analysis."""
        result = analyse_source(source, path, module_name(path))
        return sorted(d for d in result.diagnostics if self.accepts(d))

    def lint_file(self, path: str) -> list[Diagnostic]:
        return self.lint_paths([path])

    def lint_paths(
        self, paths: Iterable[str], progress: Progress | None = None
    ) -> list[Diagnostic]:
        """Lint files as one project: phase 1, the join, re-analyses, cross-module rules."""
        files = list(paths)
        modules = {path: module_name(path) for path in files}
        results = self._run([(p, modules[p], None) for p in files], progress)

        summaries = [r.summary for r in results.values() if r.summary is not None]
        summaries += self._known_elsewhere(set(files))
        index = ProjectIndex(summaries)
        extra = {p: c for p, c in contexts(index).items() if p in results}
        if extra:
            tasks = [(p, modules[p], c.as_json()) for p, c in sorted(extra.items())]
            again = self._run(tasks, None)
            results.update(again)
            summaries = [r.summary for r in results.values() if r.summary is not None]
            summaries += self._known_elsewhere(set(files))
            index = ProjectIndex(summaries)

        diagnostics = [d for r in results.values() for d in r.diagnostics]
        diagnostics += self._suppressed(
            [d for d in cross_module_findings(index) if d.path in results]
        )
        return sorted(d for d in set(diagnostics) if self.accepts(d))

    # -- running ---------------------------------------------------------------------
    def _run(
        self,
        tasks: Sequence[tuple[str, str, dict[str, Any] | None]],
        progress: Progress | None,
    ) -> dict[str, FileResult]:
        cache_dir = str(self.cache.directory) if self.cache is not None else None
        work = [(path, module, context, cache_dir) for path, module, context in tasks]
        results: dict[str, FileResult] = {}
        keys: dict[str, str] = {}

        def collect(item: tuple[str, str, dict[str, Any]]) -> None:
            path, key, data = item
            results[path] = FileResult.from_json(path, data)
            keys[path] = key
            if progress is not None:
                progress(len(results))

        if self.jobs <= 1 or len(work) < 2:
            for task in work:
                collect(_work(task))
        else:
            self._run_parallel(work, collect)
        if self.cache is not None:  # the latest result of each file, for partial runs
            for path, key in keys.items():
                if key:
                    self.cache.remember_file(path, key)
        return results

    def _run_parallel(
        self,
        work: list[tuple[str, str, dict[str, Any] | None, str | None]],
        collect: Callable[[tuple[str, str, dict[str, Any]]], None],
    ) -> None:
        done: set[str] = set()
        try:
            with ProcessPoolExecutor(max_workers=self.jobs) as pool:
                for item in pool.map(_work, work, chunksize=max(1, len(work) // (self.jobs * 8))):
                    done.add(item[0])
                    collect(item)
        except BrokenProcessPool:
            # A worker died (a native crash on some input): redo the rest one file per
            # process, so that only the file that kills the parser is lost, as a TS001.
            for task in work:
                if task[0] in done:
                    continue
                try:
                    with ProcessPoolExecutor(max_workers=1) as single:
                        item = single.submit(_work, task).result()
                except BrokenProcessPool:
                    message = "could not parse: the parser crashed on this file"
                    crashed = FileResult(
                        task[0], [engine_diagnostic("TS001", task[0], 1, 1, message)]
                    )
                    item = (task[0], "", crashed.as_json())
                collect(item)

    def _known_elsewhere(self, linted: set[str]) -> list[FileSummary]:
        """Summaries of project files not linted in this run, from the cache (when a
        pre-commit hook or an editor lints a few files of a cached project)."""
        if self.cache is None:
            return []
        absolute = {os.path.abspath(p) for p in linted}
        found = []
        for _, key in self.cache.known_files(absolute):
            data = self.cache.get(key)
            if data is not None and data.get("summary"):
                found.append(FileSummary.from_json(data["summary"]))
        return found

    @staticmethod
    def _suppressed(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """Apply ``# noqa`` to findings made from summaries (the file is read again)."""
        kept = []
        lines: dict[str, list[str]] = {}
        for d in diagnostics:
            if d.path not in lines:
                try:
                    with open(d.path, "rb") as handle:
                        lines[d.path] = handle.read().decode("utf-8", "replace").splitlines()
                except OSError:
                    lines[d.path] = []
            text = lines[d.path]
            if not (0 < d.line <= len(text) and is_suppressed(d.code, text[d.line - 1])):
                kept.append(d)
        return kept


def lint_text(
    source: str, path: str = "<string>", select: Sequence[str] | None = None
) -> list[Diagnostic]:
    """Convenience for tests and embedding: lint a string with the default configuration."""
    config = Config(select=list(select) if select is not None else None)
    return Linter(config).lint_source(source.encode("utf-8"), path)


__all__ = ["ALL_RULES", "Linter", "lint_text"]
