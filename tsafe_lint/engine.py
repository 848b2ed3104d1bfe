"""The engine: lint files as part of their project, in two phases, in parallel, cached.

Phase 1 analyses every file of the project on its own (in worker processes, cached by
content) and produces its findings and a summary. Phase 2 joins the summaries: threads
started in one module on another's functions, locks imported from other modules. Files
that learn something from the join are analysed again with that context (cached too),
and the lock rules are followed across modules. Only the named files' findings are
reported, and they pass ``# noqa`` and the configuration (select, ignore, per-file
ignores) last, so cached results never depend on either (the flake8 plugin leaves
``# noqa`` to flake8: ``Linter(noqa=False)``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tsafe_lint.cache import Cache, content_key, context_key
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.module_names import module_name
from tsafe_lint.project.join import ProjectIndex, contexts
from tsafe_lint.project_files import project_files
from tsafe_lint.project_scope import analysed_files, is_files_json
from tsafe_lint.reading import FileTooLarge, check_size, read_source
from tsafe_lint.results import (
    FileResult,
    context_from_json,
    engine_diagnostic,
    is_findings_json,
    is_result_json,
)
from tsafe_lint.suppression import is_suppressed

if TYPE_CHECKING:  # the process pool is imported when a run needs it (a warm run does not)
    from concurrent.futures import ProcessPoolExecutor

#: Called with (files done, files in this pass) as phase 1 goes.
Progress = Callable[[int, int], None]


#: One file to analyse: path, module, project context, cache directory, its content when
#: it is not on disk (an editor buffer), and max-file-size.
Task = tuple[
    str, str, "dict[str, Any] | None", "str | None", "bytes | None", int, "tuple[str, ...]"
]


def _unread(path: str, message: str) -> tuple[str, str, dict[str, Any]]:
    """The result of a file that was not read: one TS001 (never cached)."""
    return path, "", FileResult(path, [engine_diagnostic("TS001", path, 1, 1, message)]).as_json()


def _work(task: Task) -> tuple[str, str, dict[str, Any]]:
    """Worker: analyse one file (phase 1, or phase 2 with a context); consult the cache.
    The file's content comes with the task when it is not on disk (an editor buffer).
    Its findings are cached with ``# noqa`` not applied: the engine applies it."""
    path, module, context_json, cache_dir, unsaved, limit, evidence = task
    try:
        if unsaved is not None:
            check_size(len(unsaved), limit)
            source = unsaved
        else:
            source = read_source(path, limit)
    except FileTooLarge as exc:
        return _unread(path, exc.reason())
    except OSError as exc:
        return _unread(path, f"could not read file: {exc.strerror or exc.__class__.__name__}")
    key = content_key(source, module, evidence)
    if context_json is not None:
        key = context_key(key, context_json)
    cache = Cache.at(cache_dir) if cache_dir else None
    if cache is not None:
        cached = cache.get(key, is_result_json)
        if cached is not None:
            return path, key, cached
    from tsafe_lint.pipeline import analyse_source  # LibCST: loaded on a cache miss only

    context = context_from_json(context_json)
    result = analyse_source(
        source, path, module, context, prefilter=True, noqa=False, evidence=frozenset(evidence)
    )
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
    #: Editor buffers not saved yet (path -> content): linted instead of the file on disk.
    unsaved: Mapping[str, bytes] = field(default_factory=dict)
    #: The project the linted files belong to: every Python file below it is analysed
    #: too, for what it tells the linted files, so that a file's findings never depend
    #: on which other files were named. ``None``: the linted files are the whole project.
    project_root: Path | None = None
    #: Leave out the findings that noqa comments silence. The flake8 plugin sets it
    #: false: flake8 applies them itself (and not with ``--disable-noqa``).
    noqa: bool = True
    _content_keys: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    #: Each file's ``_file_part`` in the current run: read once for the import graph and
    #: the run's key.
    _reads: dict[str, tuple[str, str, bool]] = field(default_factory=dict, init=False, repr=False)
    #: Results of the latest run by key: a long-lived Linter (the language server, the
    #: flake8 plugin) re-reads nothing that did not change.
    _memo: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    #: The worker processes of the current run, started on first need and kept for its
    #: re-analyses: workers that have loaded LibCST need not load it again.
    _pool: ProcessPoolExecutor | None = field(default=None, init=False, repr=False)

    def _read(self, path: str) -> bytes:
        """The content to lint: the editor's buffer, else the file (a regular file of at
        most max-file-size: ``NotRegularFile``, ``FileTooLarge`` otherwise)."""
        if path in self.unsaved:
            check_size(len(self.unsaved[path]), self.config.max_file_size)
            return self.unsaved[path]
        return read_source(path, self.config.max_file_size)

    def accepts(self, diagnostic: Diagnostic) -> bool:
        extra = self.config.ignores_for(diagnostic.path)
        return self.config.is_enabled(diagnostic.code, extra)

    def lint_source(self, source: bytes | str, path: str) -> list[Diagnostic]:
        """One file on its own (standard input without a name): module-local analysis."""
        from tsafe_lint.pipeline import analyse_source

        size = len(source if isinstance(source, bytes) else source.encode("utf-8", "replace"))
        try:
            check_size(size, self.config.max_file_size)
        except FileTooLarge as exc:
            too_large = engine_diagnostic("TS001", path, 1, 1, exc.reason())
            return [too_large] if self.accepts(too_large) else []
        evidence = frozenset(self.config.analysis_options())
        result = analyse_source(
            source, path, self.module_of(path), noqa=self.noqa, evidence=evidence
        )
        return sorted(d for d in result.diagnostics if self.accepts(d))

    def module_of(self, path: str) -> str:
        """The module ``path`` is, namespace packages below the project's ``src`` too (the
        configuration's root when no project root is given)."""
        root = self.project_root if self.project_root is not None else self.config.root
        return module_name(path, str(root))

    def lint_file(self, path: str) -> list[Diagnostic]:
        return self.lint_paths([path])

    def lint_paths(
        self, paths: Iterable[str], progress: Progress | None = None
    ) -> list[Diagnostic]:
        """The findings of ``paths``, analysed as part of their project (``project_root``)."""
        named = list(dict.fromkeys(paths))
        files = project_files(named, self.project_root, self.config)
        try:
            if len(files) > len(named):  # other files of the project: only related ones count
                files = self._related(files, named)
            found = self._lint_project(files, named, progress)
        finally:
            self._reads.clear()
        return [d for d in found if self.accepts(d)]

    def _related(self, files: list[str], named: list[str]) -> list[str]:
        """The files connected to ``named`` by imports (``project_scope.py``): the only
        ones whose facts can reach them. Remembered in the cache for the project's
        content (every file's key) and the named files."""
        modules = {path: self.module_of(path) for path in files}
        parts, _ = self._file_parts(files, named, modules)
        key = context_key("related", {"files": parts, "named": sorted(named)})
        if self.cache is not None:
            remembered = self.cache.get(key, is_files_json)
            if remembered is not None and set(remembered["files"]) <= set(files):
                return list(remembered["files"])
        sources: dict[str, bytes | None] = {}
        for path in files:
            try:
                sources[path] = self._read(path) if self._content_keys.get(path) else None
            except (OSError, FileTooLarge):  # changed since: it links nothing now
                sources[path] = None
        related = analysed_files(files, named, modules, sources, self._content_keys, self.cache)
        if self.cache is not None:
            self.cache.put(key, {"files": related})
        return related

    def project_files(self) -> list[str]:
        """Every Python file of ``project_root`` (none without one)."""
        return project_files([], self.project_root, self.config)

    def lint_project(self, progress: Progress | None = None) -> list[Diagnostic]:
        """The findings of every file of ``project_root`` (the flake8 plugin's one run)."""
        files = self.project_files()
        try:
            found = self._lint_project(files, files, progress)
        finally:
            self._reads.clear()
        return [d for d in found if self.accepts(d)]

    def _lint_project(
        self, files: list[str], named: list[str], progress: Progress | None
    ) -> list[Diagnostic]:
        """Phase 1 on every file without context, the join, a re-analysis of each file
        the join gives a context, and the cross-module rules; the findings of ``named``.

        The join reads only context-free summaries and the final index only summaries
        made with the joined context, so the result is a function of the project's files
        alone: the same with a cold cache, a warm one, no cache, and whatever is named."""
        modules = {path: self.module_of(path) for path in files}
        run_key = self._run_key(files, named, modules)
        if run_key is not None and self.cache is not None:
            remembered = self.cache.get(run_key, is_findings_json)
            if remembered is not None:
                return sorted(Diagnostic(**d) for d in remembered["diagnostics"])
        memo: dict[str, dict[str, Any]] = {}
        try:
            results = self._run([(p, modules[p], None) for p in files], progress, memo)
            alone = [r.summary for r in results.values() if r.summary is not None]
            joined = contexts(ProjectIndex(alone))
            redo = sorted(p for p in results if p in joined)
            if redo:
                tasks = [(p, modules[p], joined[p].as_json()) for p in redo]
                results.update(self._run(tasks, None, memo))
        finally:
            self._close_pool()
        self._memo = memo
        index = ProjectIndex([r.summary for r in results.values() if r.summary is not None])
        linted = [p for p in named if p in results]
        diagnostics = [d for p in linted for d in results[p].diagnostics]
        diagnostics += project_findings(index, linted) if linted else []
        if self.noqa:
            diagnostics = self._suppressed(diagnostics)
        everything = sorted(set(diagnostics))
        if run_key is not None and self.cache is not None:
            self.cache.put(run_key, {"diagnostics": [asdict(d) for d in everything]})
        return everything

    def _run_key(self, files: list[str], named: list[str], modules: dict[str, str]) -> str | None:
        """A key for the whole run: the content of every file of the project, and which
        are reported. Nothing changed: the findings come back in one read."""
        parts, complete = self._file_parts(files, named, modules)
        if self.cache is None or not complete:
            return None
        settings = {
            "max-file-size": self.config.max_file_size,
            "noqa": self.noqa,
            "extend-evidence": self.config.extend_evidence,
            "shared": self.config.shared,
            "single-thread": self.config.single_thread,
        }
        return context_key("run", {"files": parts, "named": sorted(named), **settings})

    def _file_parts(
        self, files: list[str], named: list[str], modules: dict[str, str]
    ) -> tuple[list[str], bool]:
        """Each file's path and content key (also kept in ``_content_keys``), and whether
        every named file could be read. A file is read once per run (``_reads``)."""
        self._content_keys.clear()  # a Linter may live long (the language server)
        parts = []
        complete = True
        for path in files:
            if path not in self._reads:
                self._reads[path] = self._file_part(path, modules[path])
            part, key, readable = self._reads[path]
            parts.append(part)
            complete = complete and (readable or path not in named)
            self._content_keys[path] = key
        return parts, complete

    def _file_part(self, path: str, module: str) -> tuple[str, str, bool]:
        """(what keys the run, the content key, whether the file could be read)."""
        try:
            key = content_key(self._read(path), module, self.config.analysis_options())
            return f"{path}\0{key}", key, True
        except FileTooLarge as exc:  # a TS001 that only its size decides
            return f"{path}\0too large: {exc.size}", "", True
        except OSError:
            return f"{path}\0", "", False

    # -- running ---------------------------------------------------------------------
    def _run(
        self,
        tasks: Sequence[tuple[str, str, dict[str, Any] | None]],
        progress: Progress | None,
        memo: dict[str, dict[str, Any]],
    ) -> dict[str, FileResult]:
        """Analyse each task's file (or find its result in memory or the cache); what
        was used is recorded in ``memo`` for the next run of a long-lived Linter."""
        cache_dir = str(self.cache.directory) if self.cache is not None else None
        results: dict[str, FileResult] = {}

        def collect(item: tuple[str, str, dict[str, Any]]) -> None:
            path, key, data = item
            results[path] = FileResult.from_json(path, data)
            if key:
                memo[key] = data
            if progress is not None:
                progress(len(results), len(tasks))

        work = []
        for path, module, context in tasks:
            hit = self._cached(path, context)
            if hit is not None:
                collect(hit)
            else:
                unsaved = self.unsaved.get(path)
                limit = self.config.max_file_size
                evidence = self.config.analysis_options()
                work.append((path, module, context, cache_dir, unsaved, limit, evidence))
        if self.jobs <= 1 or len(work) < 2:
            for task in work:
                collect(_work(task))
        else:
            self._run_parallel(work, collect)
        return results

    def _cached(
        self, path: str, context: dict[str, Any] | None
    ) -> tuple[str, str, dict[str, Any]] | None:
        """A result already known (from the previous run, or the cache), looked up here:
        workers only start for what must be analysed."""
        key = self._content_keys.get(path, "")
        if not key:
            return None
        if context is not None:
            key = context_key(key, context)
        data = self._memo.get(key)
        if data is None and self.cache is not None:
            data = self.cache.get(key, is_result_json)
        return (path, key, data) if data is not None else None

    def _run_parallel(
        self,
        work: list[Task],
        collect: Callable[[tuple[str, str, dict[str, Any]]], None],
    ) -> None:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        done: set[str] = set()
        try:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.jobs)
            chunks = max(1, len(work) // (self.jobs * 8))
            for item in self._pool.map(_work, work, chunksize=chunks):
                done.add(item[0])
                collect(item)
        except BrokenProcessPool:
            self._close_pool()
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

    def _close_pool(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown()

    def _suppressed(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """Apply ``# noqa`` (each file with findings is read again). A TS001 stays: the
        file could not be read or parsed, so its comments say nothing reliable."""
        kept = []
        lines: dict[str, list[str]] = {}
        for d in diagnostics:
            if d.code == "TS001":
                kept.append(d)
                continue
            if d.path not in lines:
                try:
                    lines[d.path] = self._read(d.path).decode("utf-8", "replace").splitlines()
                except (OSError, FileTooLarge):
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
