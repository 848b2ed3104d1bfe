"""tsafe-lint as a flake8 plugin: the same engine, behind flake8's AST-plugin protocol.

flake8 hands us the file's lines (it has already read and decoded them); we lint that
text with the configuration ``tsafe-lint`` would use from the same working directory,
so ``flake8 --select TS`` and ``tsafe-lint`` report the same findings. flake8 applies
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
from tsafe_lint.engine import Linter


@lru_cache(maxsize=1)
def _linter(cwd: str) -> Linter:
    try:
        config = load_config(start=Path(cwd))
    except ConfigError:
        config = Config()
    return Linter(config)


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
        linter = _linter(str(Path.cwd()))
        found = linter.lint_source(source, self.filename)
        baseline = _baseline(linter.config.baseline)
        if baseline is not None:
            sources = {self.filename: source.encode("utf-8")}
            found = baseline.new_findings(found, linter.config.root, sources)
        for d in found:
            if d.code == "TS001":
                continue  # flake8 reports syntax errors itself (E999)
            yield d.line, d.col - 1, f"{d.code} {d.message}", type(self)
