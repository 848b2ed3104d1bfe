"""A cache of per-file results, keyed by file content, tool and project context.

Lives in ``.tsafe_lint_cache/`` at the project root (git-ignored by a ``.gitignore``
inside it). Entries are JSON written to a temporary file in the same directory and
moved into place with ``os.replace``, so a reader sees a whole entry or none, even when
two runs share the cache. An entry that cannot be read, is not JSON, or has not exactly
the shape its reader expects (checked on every read) is simply a miss, never a crash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tsafe_lint import __version__
from tsafe_lint.reading import read_source

CACHE_DIR_NAME = ".tsafe_lint_cache"


def _tool_fingerprint() -> str:
    """The version plus the package's own source: a changed rule invalidates the cache."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


TOOL = _tool_fingerprint()


def content_key(source: bytes, module: str, evidence: tuple[str, ...] = ()) -> str:
    """The key of one file's result: its content, its module name, the tool's own source
    and the opt-in evidence kinds turned on (the only setting the analysis reads)."""
    digest = hashlib.sha256()
    digest.update(TOOL.encode())
    digest.update(module.encode())
    if evidence:
        digest.update(("\0evidence:" + ",".join(evidence)).encode())
    digest.update(b"\0")
    digest.update(source)
    return digest.hexdigest()


def context_key(base: str, context: dict[str, Any]) -> str:
    payload = json.dumps(context, sort_keys=True).encode()
    return hashlib.sha256(base.encode() + b"\0" + payload).hexdigest()


class Cache:
    """Results by key: per file (content, tool, context) and per run (every file's key)."""

    def __init__(self, root: Path) -> None:
        self.directory = root / CACHE_DIR_NAME
        self._ready = False

    @classmethod
    def at(cls, directory: str) -> Cache:
        """The cache whose directory is ``directory`` (as handed to worker processes)."""
        cache = cls(Path(directory).parent)
        cache.directory = Path(directory)
        return cache

    def _prepare(self) -> None:
        if self._ready:
            return
        (self.directory / "results").mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            self._write(ignore, "# created by tsafe-lint\n*\n")
        self._ready = True

    def get(self, key: str, shape: Callable[[object], bool]) -> dict[str, Any] | None:
        """The entry for ``key`` if there is one of the expected ``shape``, else ``None``."""
        data = self._read(self.directory / "results" / key[:2] / f"{key}.json")
        return data if data is not None and shape(data) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            self._prepare()
            folder = self.directory / "results" / key[:2]
            folder.mkdir(exist_ok=True)
            self._write(folder / f"{key}.json", json.dumps(value))

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(read_source(str(path)))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def _write(path: Path, text: str) -> None:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
