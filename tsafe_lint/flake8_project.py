"""The whole project's findings for the flake8 plugin, computed once per flake8 process.

flake8 calls a plugin once per file, in several processes when ``--jobs`` allows. The
first call in a process lints the whole project (as ``tsafe-lint .`` would, through the
cache) and later calls only look their file up: linear in the project, not quadratic.
Processes take turns on a lock file in the cache directory, so with a cold cache one of
them analyses the project and the others read its results from the cache. A file whose
text is not what is on disk (standard input, an editor's buffer) or that is not part of
the project (outside the root, excluded) is linted on its own run, with the project as
context.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import multiprocessing
import os
import tokenize
from collections.abc import Iterator, Sequence
from pathlib import Path

from tsafe_lint.cache import Cache
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.engine import Linter
from tsafe_lint.project_files import project_root

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, each process may analyse
    fcntl = None  # type: ignore[assignment]


def project_linter(config: Config, named: Sequence[str]) -> Linter:
    """A Linter for the project of ``config`` and the paths flake8 was given (they choose
    the root outside any project, as on the command line); worker processes of flake8
    are daemons, which may not start a process pool, so they analyse in-process. ``#
    noqa`` is left to flake8 (``--disable-noqa``)."""
    daemon = multiprocessing.current_process().daemon
    jobs = 1 if daemon else os.cpu_count() or 1
    root = project_root(config, named)
    return Linter(config, jobs=jobs, cache=Cache(config.root), project_root=root, noqa=False)


class ProjectFindings:
    """The findings of every file of one project, by real path, made on first use."""

    def __init__(self, linter: Linter) -> None:
        self.linter = linter
        self._by_file: dict[str, list[Diagnostic]] | None = None

    def of(self, filename: str, text: str) -> list[Diagnostic]:
        """The findings of ``filename`` whose text (as flake8 decoded it) is ``text``."""
        if self._by_file is None:
            self._by_file = self._compute()
        real = os.path.realpath(filename)
        if real in self._by_file and _disk_text(filename) == _without_bom(text):
            found = self._by_file[real]
        else:
            found = self._lint_alone(filename, text)
        return [dataclasses.replace(d, path=filename) for d in found]

    def _compute(self) -> dict[str, list[Diagnostic]]:
        linter = self.linter
        with _exclusive(linter.cache.directory if linter.cache is not None else None):
            found = linter.lint_project()
        by_file: dict[str, list[Diagnostic]] = {
            os.path.realpath(p): [] for p in linter.project_files()
        }
        for d in found:
            by_file.setdefault(os.path.realpath(d.path), []).append(d)
        return by_file

    def _lint_alone(self, filename: str, text: str) -> list[Diagnostic]:
        linter = self.linter
        path = os.path.normpath(filename)  # as the command line spells it: no "./"
        linter.unsaved = {path: _encode(text)}
        try:
            return linter.lint_paths([path])
        finally:
            linter.unsaved = {}


@contextlib.contextmanager
def _exclusive(directory: Path | None) -> Iterator[None]:
    """Hold a lock file in the cache directory (when one can be made) meanwhile."""
    if directory is None or fcntl is None:
        yield
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(directory / "flake8.lock", "a")  # noqa: SIM115 - held across yield
    except OSError:
        yield
        return
    with handle:
        with contextlib.suppress(OSError):  # no locking here: each process may analyse
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _without_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _disk_text(path: str) -> str | None:
    """The file as flake8 reads it (``tokenize.open``: declared encoding, universal
    newlines, latin-1 when that fails), or None if it cannot be read."""
    try:
        try:
            with tokenize.open(path) as handle:
                return _without_bom(handle.read())
        except (SyntaxError, UnicodeError):
            with open(path, encoding="latin-1") as handle:
                return handle.read()
    except OSError:
        return None


def _encode(text: str) -> bytes:
    """``text`` as bytes in the encoding its coding cookie declares (UTF-8 by default),
    so that the analysis decodes it back to the same characters."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(text.encode("utf-8")).readline)
        return text.encode(encoding, errors="surrogateescape")
    except (SyntaxError, LookupError, UnicodeError):
        return text.encode("utf-8", errors="surrogateescape")


__all__ = ["ProjectFindings", "project_linter"]
