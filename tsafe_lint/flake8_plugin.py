"""tsafe-lint as a flake8 plugin: the same engine, behind flake8's AST-plugin protocol.

flake8 hands us the file's lines (it has already read and decoded them); we lint that
text with the configuration ``tsafe-lint`` would use from the same working directory,
so ``flake8 --select TS`` and ``tsafe-lint`` report the same findings. flake8 applies
its own ``# noqa`` handling (so ``--disable-noqa`` works) and select/ignore on top.

A broken ``[tool.tsafe-lint]`` stops flake8 at start-up with flake8's own
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
from tsafe_lint.config import ConfigError, load_config
from tsafe_lint.engine import Linter


@lru_cache(maxsize=1)
def _linter(cwd: str) -> Linter:
    """The linter for flake8's working directory; flake8's ``ExecutionError`` when its
    configuration cannot be used."""
    from flake8.exceptions import ExecutionError  # flake8 is there: it loaded us

    try:
        config = load_config(start=Path(cwd))
    except ConfigError as exc:
        raise ExecutionError(
            f"tsafe-lint: {exc}\nThe TS checks cannot run with this configuration; fix it "
            "(tsafe-lint reports the same error with exit status 2)."
        ) from exc
    return Linter(config)


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
        """Called once by flake8 after reading its own options: read ours, and stop
        flake8 here, before any file is checked, if they are broken."""
        _linter(str(Path.cwd()))

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        source = "".join(self.lines)  # decoded by flake8: columns count characters
        linter = _linter(str(Path.cwd()))
        # flake8 runs AST plugins only on files CPython parses (else it reports E999), so
        # a TS001 here is one flake8 cannot report: a file over max-file-size, or valid
        # Python that LibCST cannot parse.
        for d in linter.lint_source(source, self.filename, noqa=False):
            yield d.line, d.col - 1, f"{d.code} {d.message}", type(self)
