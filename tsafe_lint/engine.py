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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from typing import Any

from tsafe_lint.cache import Cache, content_key, context_key
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.module_names import module_name
from tsafe_lint.project.file_summary import FileSummary
from tsafe_lint.project.join import ProjectIndex, contexts
from tsafe_lint.results import FileResult, context_from_json, engine_diagnostic
from tsafe_lint.suppression import is_suppressed

Progress = Callable[[int], None]


Task = tuple[str, str, "dict[str, Any] | None", "str | None", "bytes | None"]


def _work(task: Task) -> tuple[str, str, dict[str, Any]]:
    """Worker: analyse one file (phase 1, or phase 2 with a context); consult the cache.
    The file's content comes with the task when it is not on disk (an editor buffer)."""
    path, module, context_json, cache_dir, unsaved = task
    try:
        if unsaved is not None:
            source = unsaved
        else:
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
    from tsafe_lint.pipeline import analyse_source  # LibCST: loaded on a cache miss only

    result = analyse_source(source, path, module, context_from_json(context_json), prefilter=True)
    data = result.as_json()
    if cache is not None:
        cache.put(key, data)
    return path, key, data


def project_findings(index: ProjectIndex, linted: Sequence[str]) -> list[Diagnostic]:
    """Every rule's whole-project step (chains across modules), in the ``linted`` files;
    a rule that breaks there is a TS002 (on the first linted file), as in the per-file
    pipeline."""
    from tsafe_lint.rules import ALL_RULES  # LibCST: loaded only when the project changed

    wanted = set(linted)
    found: list[Diagnostic] = []
    for rule in ALL_RULES:
        try:
            found.extend(
                    Diagnostic(
                        finding.path,
                        finding.line,
                        finding.col,
                        rule.code,
                        finding.message,
                        finding.line,
                        finding.col,
                        rule.name,
                        False,
                    )
                    for finding in rule().check_project(index)
                    if finding.path in wanted
                )
        except Exception as exc:
            message = f"internal error in rule {rule.code} ({rule.name}): {exc!r}"
            found.append(engine_diagnostic("TS002", linted[0], 1, 1, message))
    return found


@dataclass
class Linter:
    """Lints sources with the rules a configuration enables."""

    config: Config
    jobs: int = 1
    cache: Cache | None = None
    #: Editor buffers not saved yet (path -> content): linted instead of the file on disk,
    #: and never recorded in the cache's index of files (which describes the disk).
    unsaved: Mapping[str, bytes] = field(default_factory=dict)
    _content_keys: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def _read(self, path: str) -> bytes:
        if path in self.unsaved:
            return self.unsaved[path]
        with open(path, "rb") as handle:
            return handle.read()

    def accepts(self, diagnostic: Diagnostic) -> bool:
        extra = self.config.ignores_for(diagnostic.path)
        return self.config.is_enabled(diagnostic.code, extra)

    def lint_source(self, source: bytes | str, path: str) -> list[Diagnostic]:
        """One file on its own (standard input, the flake8 plugin): module-local analysis."""
        from tsafe_lint.pipeline import analyse_source

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
        # Files of the project the cache knows, unchanged, and not linted in this run.
        absolute = {os.path.abspath(p) for p in files}
        others = self.cache.known_files(absolute) if self.cache is not None else []
        run_key = self._run_key(files, modules, others)
        if run_key is not None and self.cache is not None:
            remembered = self.cache.get(run_key)
            if remembered is not None and "diagnostics" in remembered:
                found = [Diagnostic(**d) for d in remembered["diagnostics"]]
                return sorted(d for d in found if self.accepts(d))
        # Phase 1 guesses each file's project context: the one it had last time, if any.
        # The guess is checked after the join; only a wrong guess costs a re-analysis.
        used = {p: self.cache.last_context(p) if self.cache else None for p in files}
        results = self._run([(p, modules[p], used[p]) for p in files], progress)

        elsewhere = self._summaries_of(others)  # the rest of the project, if cached
        summaries = [r.summary for r in results.values() if r.summary is not None]
        index = ProjectIndex(summaries + elsewhere)
        joined = contexts(index)
        wanted = {p: joined[p].as_json() if p in joined else None for p in results}
        redo = sorted(p for p in results if wanted[p] != used[p])
        if redo:
            again = self._run([(p, modules[p], wanted[p]) for p in redo], None)
            results.update(again)
            summaries = [r.summary for r in results.values() if r.summary is not None]
            index = ProjectIndex(summaries + elsewhere)

        if self.cache is not None:
            self.cache.save()
        diagnostics = [d for r in results.values() for d in r.diagnostics]
        diagnostics += self._suppressed(
            project_findings(index, sorted(results)) if results else []
        )
        everything = sorted(set(diagnostics))
        if run_key is not None and self.cache is not None:
            self.cache.put(run_key, {"diagnostics": [asdict(d) for d in everything]})
        return [d for d in everything if self.accepts(d)]

    def _run_key(
        self, files: list[str], modules: dict[str, str], others: list[tuple[str, str]]
    ) -> str | None:
        """A key for the whole run: every file's content, and the cached knowledge of the
        rest of the project. Nothing changed: the findings come back in one read."""
        if self.cache is None:
            return None
        self._content_keys.clear()  # a Linter may live long (the language server)
        parts = []
        for path in sorted(files):
            try:
                key = content_key(self._read(path), modules[path])
            except OSError:
                return None
            self._content_keys[path] = key
            parts.append(f"{path}\0{key}")
        parts += [f"{path}\0{key}" for path, key in others]
        return context_key("run", {"files": parts})

    # -- running ---------------------------------------------------------------------
    def _run(
        self,
        tasks: Sequence[tuple[str, str, dict[str, Any] | None]],
        progress: Progress | None,
    ) -> dict[str, FileResult]:
        cache_dir = str(self.cache.directory) if self.cache is not None else None
        results: dict[str, FileResult] = {}
        keys: dict[str, str] = {}

        def collect(item: tuple[str, str, dict[str, Any]]) -> None:
            path, key, data = item
            results[path] = FileResult.from_json(path, data)
            keys[path] = key
            if progress is not None:
                progress(len(results))

        work = []
        for path, module, context in tasks:
            hit = self._cached(path, module, context)
            if hit is not None:
                collect(hit)
            else:
                work.append((path, module, context, cache_dir, self.unsaved.get(path)))
        if self.jobs <= 1 or len(work) < 2:
            for task in work:
                collect(_work(task))
        else:
            self._run_parallel(work, collect)
        if self.cache is not None:  # the latest result of each file, for partial runs
            contexts_used = {path: context for path, _, context in tasks}
            for path, key in keys.items():
                if key and path not in self.unsaved:
                    self.cache.remember_file(path, key, contexts_used[path])
        return results

    def _cached(
        self, path: str, module: str, context: dict[str, Any] | None
    ) -> tuple[str, str, dict[str, Any]] | None:
        """A cache hit, looked up here: workers only start for what must be analysed."""
        if self.cache is None:
            return None
        key = self._content_keys.get(path, "")
        if not key:
            try:
                key = content_key(self._read(path), module)
            except OSError:
                return None
        if context is not None:
            key = context_key(key, context)
        data = self.cache.get(key)
        return (path, key, data) if data is not None else None

    def _run_parallel(
        self,
        work: list[Task],
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

    def _summaries_of(self, others: list[tuple[str, str]]) -> list[FileSummary]:
        """Cached summaries of project files not linted in this run (when a pre-commit
        hook or an editor lints a few files of a cached project)."""
        if self.cache is None:
            return []
        found = []
        for _, key in others:
            data = self.cache.get(key)
            if data is not None and data.get("summary"):
                found.append(FileSummary.from_json(data["summary"]))
        return found

    def _suppressed(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """Apply ``# noqa`` to findings made from summaries (the file is read again)."""
        kept = []
        lines: dict[str, list[str]] = {}
        for d in diagnostics:
            if d.path not in lines:
                try:
                    lines[d.path] = self._read(d.path).decode("utf-8", "replace").splitlines()
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


__all__ = ["Linter", "lint_text"]
