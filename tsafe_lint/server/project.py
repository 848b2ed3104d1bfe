"""The project as the language server sees it: configuration, cache, open buffers.

Each lint goes through the engine's project entry point, ``Linter.lint_paths``, with the
open documents as the files of the run and their unsaved text as ``unsaved``; the rest
of the project is analysed too, as when the command line or a pre-commit hook lints a
few files, and the session's Linter keeps it in memory between edits. A warm-up run of
the command line over the whole project fills the cache first, in a child process that
can use every CPU (the engine's worker pool must not be forked from the server's
threads). Nothing here knows about the protocol."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tsafe_lint.baseline import Baseline
from tsafe_lint.cache import Cache
from tsafe_lint.config import Config, ConfigError, load_config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.engine import Linter


@dataclass
class Project:
    """Lints the open documents of one workspace with its configuration."""

    root: Path
    config: Config = field(default_factory=Config)
    config_problem: str | None = None
    _baseline: tuple[float, Baseline | None] | None = None
    _linter: Linter | None = None

    @classmethod
    def at(cls, root: Path) -> Project:
        try:
            config = load_config(start=root)
            if config.source is None:
                config.root = root  # no configuration file: the workspace is the project
            return cls(root, config)
        except ConfigError as exc:  # report it, and lint with the defaults meanwhile
            return cls(root, Config(root=root), str(exc))

    def wants(self, path: str) -> bool:
        """Is ``path`` a Python file this configuration lints (excludes apply)?"""
        return path.endswith((".py", ".pyi")) and not self.config.is_excluded(path)

    def lint(self, documents: dict[str, bytes]) -> dict[str, list[Diagnostic]]:
        """The findings of each open document (``path -> text``), as the CLI would report
        them if the documents were saved: the same engine, cache and project facts."""
        paths = sorted(p for p in documents if self.wants(p))
        unsaved = {p: documents[p] for p in paths if _differs_from_disk(p, documents[p])}
        linter = self.linter()
        linter.unsaved = unsaved
        found = linter.lint_paths(paths)
        baseline = self.baseline()
        if baseline is not None:
            found = baseline.new_findings(found, self.config.root, dict(documents))
        result: dict[str, list[Diagnostic]] = {p: [] for p in documents}
        for d in found:
            if d.path in result:
                result[d.path].append(d)
        return result

    def linter(self) -> Linter:
        """One Linter for the session: it keeps the project's results of its last run in
        memory, so an edit re-analyses the edited text, not the project."""
        if self._linter is None:
            root = self.config.root
            self._linter = Linter(self.config, jobs=1, cache=Cache(root), project_root=root)
        return self._linter

    def baseline(self) -> Baseline | None:
        """The configured baseline, read again when the file changes."""
        path = self.config.baseline
        if path is None:
            return None
        try:
            stamp = path.stat().st_mtime
        except OSError:
            return None
        if self._baseline is None or self._baseline[0] != stamp:
            try:
                self._baseline = (stamp, Baseline.read(path))
            except ConfigError:
                self._baseline = (stamp, None)
        return self._baseline[1]

    def warm_up_command(self) -> list[str]:
        """The command line that analyses the whole project into the cache."""
        output = ["--format", "json", "--output-file", os.devnull, "--exit-zero"]
        config = ["--config", str(self.config.source)] if self.config.source else []
        return [sys.executable, "-m", "tsafe_lint", *config, *output, str(self.root)]

    def warm_up(self) -> str | None:
        """Fill the cache with the whole project; a problem, if any, for the log."""
        try:
            done = subprocess.run(
                self.warm_up_command(),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
        except OSError as exc:
            return f"could not analyse the project: {exc}"
        if done.returncode != 0:
            return f"analysing the project failed ({done.returncode}): {done.stderr.strip()}"
        return None


def _differs_from_disk(path: str, text: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read() != text
    except OSError:
        return True
