"""Which files the project analysis reads: the named files and the rest of their project.

A race in ``work.py`` may exist only because ``runner.py`` submits ``book`` to a thread
pool. So that ``tsafe-lint work.py`` (a pre-commit hook, an editor, a CI job on changed
files) finds what ``tsafe-lint .`` finds, every Python file below the project root (the
directory the cache lives in) is part of the analysis, with the same discovery rules
and excludes as a run on the whole tree; findings are reported for the named files only.

The project root is the directory of the ``pyproject.toml`` that configures tsafe-lint,
else the current directory when it lies in a project (it or a directory above it holds
``.git``, ``.hg``, ``pyproject.toml``, ``setup.py`` or ``setup.cfg``). A current
directory that is no project (a home directory, a folder of downloads) may hold
hundreds of thousands of files that have nothing to do with the named ones: there the
root is the deepest directory that holds every named path, so ``tsafe-lint
downloads/pkg/mod.py`` reads ``downloads/pkg``, not all of ``downloads``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from tsafe_lint.config import Config
from tsafe_lint.discovery import discover

#: Files or directories that say a directory is a project's top (or inside one).
PROJECT_MARKERS = (".git", ".hg", "pyproject.toml", "setup.py", "setup.cfg")


def project_root(config: Config, paths: Sequence[str]) -> Path:
    """The root whose files give the named ``paths`` their context (see the module's
    docstring): the configuration's root when a file configures tsafe-lint or the
    current directory lies in a project, else the deepest directory holding every named
    path, if that lies below the configuration's root."""
    root = config.root
    if config.source is not None or _in_project(root):
        return root
    try:
        places = [
            os.path.realpath(p if os.path.isdir(p) else os.path.dirname(p) or ".") for p in paths
        ]
        common = os.path.commonpath(places) if places else ""
    except ValueError:  # paths on different drives
        return root
    top = os.path.realpath(root)
    if common == top:
        return root  # as the configuration spells it (a symbolic link stays one)
    if common and os.path.isdir(common) and _below(common, top):
        return Path(common)
    return root  # named paths that do not exist (standard input's name) or lie elsewhere


def _in_project(directory: Path) -> bool:
    """Does ``directory`` or one above it hold a project marker?"""
    start = directory.resolve()
    return any(
        (place / marker).exists() for place in (start, *start.parents) for marker in PROJECT_MARKERS
    )


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


__all__ = ["PROJECT_MARKERS", "project_files", "project_root"]
