"""A cache of per-file results, keyed by file content, tool and project context.

Lives in ``.tsafe_lint_cache/`` at the project root (git-ignored by a ``.gitignore``
inside it). Entries are JSON written to a temporary file in the same directory and
moved into place with ``os.replace``, so a reader sees a whole entry or none, even when
two runs share the cache; an entry that cannot be read is simply a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tsafe_lint import __version__

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


def content_key(source: bytes, module: str) -> str:
    digest = hashlib.sha256()
    digest.update(TOOL.encode())
    digest.update(module.encode())
    digest.update(b"\0")
    digest.update(source)
    return digest.hexdigest()


def context_key(base: str, context: dict[str, Any]) -> str:
    payload = json.dumps(context, sort_keys=True).encode()
    return hashlib.sha256(base.encode() + b"\0" + payload).hexdigest()


class Cache:
    """Results by key, and the latest key of each file (for runs on a few files)."""

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
        (self.directory / "files").mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            self._write(ignore, "# created by tsafe-lint\n*\n")
        self._ready = True

    def get(self, key: str) -> dict[str, Any] | None:
        return self._read(self.directory / "results" / key[:2] / f"{key}.json")

    def put(self, key: str, value: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            self._prepare()
            folder = self.directory / "results" / key[:2]
            folder.mkdir(exist_ok=True)
            self._write(folder / f"{key}.json", json.dumps(value))

    def remember_file(self, path: str, key: str) -> None:
        """Which result belongs to ``path`` as it is now (size and mtime)."""
        with contextlib.suppress(OSError):
            self._prepare()
            stat = os.stat(path)
            absolute = os.path.abspath(path)
            record = {
                "path": absolute,
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "key": key,
            }
            name = hashlib.sha256(absolute.encode()).hexdigest()
            self._write(self.directory / "files" / f"{name}.json", json.dumps(record))

    def known_files(self, exclude: set[str]) -> list[tuple[str, str]]:
        """``(path, key)`` of files cached earlier, unchanged since, not in ``exclude``."""
        found: list[tuple[str, str]] = []
        folder = self.directory / "files"
        if not folder.is_dir():
            return found
        for entry in folder.iterdir():
            record = self._read(entry)
            if record is None or record.get("path") in exclude:
                continue
            try:
                stat = os.stat(record["path"])
            except (OSError, KeyError, TypeError):
                continue
            if stat.st_size == record.get("size") and stat.st_mtime_ns == record.get("mtime_ns"):
                found.append((record["path"], record["key"]))
        return sorted(found)

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            with path.open("rb") as handle:
                data = json.load(handle)
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
