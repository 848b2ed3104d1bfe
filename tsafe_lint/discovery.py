"""From the paths a user gives to the Python files to lint.

Directories are searched for ``*.py``, skipping version-control folders, virtual
environments, caches and build output, and configured excludes. A file named
explicitly is always linted: skipping what the user asked for, silently, is the worst
thing a linter can do (unless ``force_exclude`` asks for it, as pre-commit hooks do).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from tsafe_lint.config import Config, ConfigError

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "build",
        "dist",
        "node_modules",
        ".eggs",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tsafe_lint_cache",
        "__pypackages__",
    }
)


def _display(path: str) -> str:
    """Paths relative to the working directory when below it, as given otherwise."""
    if os.path.isabs(path):
        try:
            relative = os.path.relpath(path)
        except ValueError:
            return path
        return path if relative.startswith("..") else relative
    return os.path.normpath(path)


def _is_virtualenv(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def discover(paths: Sequence[str], config: Config, force_exclude: bool = False) -> Iterator[str]:
    """Yield the files to lint, in a stable order, each once."""
    seen: set[str] = set()
    for given in paths:
        if given == "-":
            continue
        if not os.path.exists(given):
            raise ConfigError(f"path does not exist: {given}")
        if os.path.isdir(given):
            found = _walk(given, config)
        else:
            found = iter([] if force_exclude and config.is_excluded(given) else [given])
        for path in found:
            shown = _display(path)
            key = os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                yield shown


def _walk(root: str, config: Config) -> Iterator[str]:
    files: list[str] = []
    for directory, dirnames, filenames in os.walk(root):
        kept = []
        for name in sorted(dirnames):
            full = os.path.join(directory, name)
            if name in SKIPPED_DIRS or name.endswith(".egg-info") or _is_virtualenv(full):
                continue
            if config.is_excluded(full):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.endswith(".py"):
                full = os.path.join(directory, name)
                if not config.is_excluded(full):
                    files.append(full)
    yield from sorted(files, key=lambda p: Path(p).parts)
