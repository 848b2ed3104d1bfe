"""tsafe-lint as a flake8 plugin: the same engine, behind flake8's AST-plugin protocol.

flake8 hands us the file's lines (it has already read and decoded them); we lint that
text as part of its project (``flake8_project.py``: the whole project once per flake8
process, through the cache) with the configuration ``tsafe-lint`` would use from the
same working directory, so ``flake8 --select TS`` and ``tsafe-lint`` report the same
findings, cross-module ones included. A ``baseline`` in that configuration is honoured
too. flake8 applies its own ``# noqa`` handling (so ``--disable-noqa`` works) and
select/ignore on top.

A broken ``[tool.tsafe-lint]`` (or baseline) stops flake8 at start-up with flake8's own
``ExecutionError`` (a message, no traceback, exit status 1), as flake8 does for its own
configuration: running with other settings than the ones written would report findings
the user has not chosen, or hide the ones they have.
"""

from __future__ import annotations

import argparse
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
def _settings(cwd: str) -> tuple[Config, Baseline | None]:
    """The configuration of flake8's working directory and its baseline; flake8's
    ``ExecutionError`` when they cannot be used."""
    from flake8.exceptions import ExecutionError  # flake8 is there: it loaded us

    try:
        config = load_config(start=Path(cwd))
        baseline = Baseline.read(config.baseline) if config.baseline is not None else None
    except ConfigError as exc:
        raise ExecutionError(
            f"tsafe-lint: {exc}\nThe TS checks cannot run with this configuration; fix it "
            "(tsafe-lint reports the same error with exit status 2)."
        ) from exc
    return config, baseline


#: The paths flake8 was given (its ``filenames`` option): they choose the project root
#: when the working directory is no project, as the command line's paths do.
_named: list[str] = []


@lru_cache(maxsize=1)
def _project(cwd: str) -> ProjectFindings:
    """Made on first use in each flake8 process (its workers may not start a pool)."""
    return ProjectFindings(project_linter(_settings(cwd)[0], _named or ["."]))


class TsafeLintChecker:
    """flake8 entry point (code prefix ``TS``)."""

    name = "tsafe-lint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def parse_options(
        cls, option_manager: object, options: argparse.Namespace, args: list[str]
    ) -> None:
        """Called once by flake8 (in each of its processes) after reading its own
        options: read ours, and stop flake8 here, before any file is checked, if they
        are broken."""
        _settings(str(Path.cwd()))
        filenames = getattr(options, "filenames", None)
        if isinstance(filenames, list) and all(isinstance(f, str) for f in filenames):
            _named[:] = [f for f in filenames if f != "-"]

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        source = "".join(self.lines)  # decoded by flake8: columns count characters
        cwd = str(Path.cwd())
        baseline = _settings(cwd)[1]
        project = _project(cwd)
        linter = project.linter
        found = project.of(self.filename, source)
        if baseline is not None:
            sources = {self.filename: source.encode("utf-8")}
            found = baseline.new_findings(found, linter.config.root, sources)
        # flake8 runs AST plugins only on files CPython parses (else it reports E999), so
        # a TS001 here is one flake8 cannot report: a file over max-file-size, or valid
        # Python that LibCST cannot parse.
        for d in found:
            yield d.line, d.col - 1, f"{d.code} {d.message}", type(self)
