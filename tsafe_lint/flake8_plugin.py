"""tsafe-lint as a flake8 plugin: the same engine, behind flake8's AST-plugin protocol.

flake8 hands us the file's lines (it has already read and decoded them); we lint that
text as part of its project (``flake8_project.py``: the whole project once per flake8
process, through the cache) with the configuration ``tsafe-lint`` would use from the
same working directory, so ``flake8 --select TS`` and ``tsafe-lint`` report the same
findings, cross-module ones included. flake8 applies
its own ``# noqa`` handling and select/ignore on top. A ``baseline`` in that
configuration is honoured too (an unreadable one is ignored: flake8 has no way to stop
with a configuration error from a plugin).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from tsafe_lint import __version__
from tsafe_lint.baseline import Baseline
from tsafe_lint.config import Config, ConfigError, load_config
from tsafe_lint.flake8_project import ProjectFindings, project_linter


@lru_cache(maxsize=1)
def _project(cwd: str) -> ProjectFindings:
    try:
        config = load_config(start=Path(cwd))
    except ConfigError:
        config = Config()
    return ProjectFindings(project_linter(config))


@lru_cache(maxsize=1)
def _baseline(path: Path | None) -> Baseline | None:
    if path is None:
        return None
    try:
        return Baseline.read(path)
    except ConfigError:
        return None


class TsafeLintChecker:
    """flake8 entry point (code prefix ``TS``)."""

    name = "tsafe-lint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        source = "".join(self.lines)  # decoded by flake8: columns count characters
        project = _project(str(Path.cwd()))
        linter = project.linter
        found = project.of(self.filename, source)
        baseline = _baseline(linter.config.baseline)
        if baseline is not None:
            sources = {self.filename: source.encode("utf-8")}
            found = baseline.new_findings(found, linter.config.root, sources)
        for d in found:
            if d.code == "TS001":
                continue  # flake8 reports syntax errors itself (E999)
            yield d.line, d.col - 1, f"{d.code} {d.message}", type(self)
