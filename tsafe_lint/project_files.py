"""Which files the project analysis reads: the named files and the rest of their project.

A race in ``work.py`` may exist only because ``runner.py`` submits ``book`` to a thread
pool. So that ``tsafe-lint work.py`` (a pre-commit hook, an editor, a CI job on changed
files) finds what ``tsafe-lint .`` finds, every Python file below the project root (the
directory the cache lives in) is part of the analysis, with the same discovery rules
and excludes as a run on the whole tree; findings are reported for the named files only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from tsafe_lint.config import Config
from tsafe_lint.discovery import discover


def project_files(named: Sequence[str], root: Path | None, config: Config) -> list[str]:
    """``named`` and every other Python file of the project at ``root``, each once (as
    named, when named), sorted. Without a root, or when no named file lies below it
    (the files belong to no project we know), the named files alone. Only regular files
    are read for context: a FIFO or a socket named ``x.py`` is never opened unless named.
    """
    if root is None:
        return sorted(named)
    top = os.path.realpath(root)
    if named and not any(_below(os.path.realpath(p), top) for p in named):
        return sorted(named)
    by_real = {os.path.realpath(p): p for p in discover([str(root)], config) if os.path.isfile(p)}
    by_real.update((os.path.realpath(p), p) for p in named)
    return sorted(by_real.values())


def _below(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


__all__ = ["project_files"]
