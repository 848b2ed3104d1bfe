"""Reading a file to lint, without ever hanging on it or drowning in it.

Only regular files are read. A FIFO named ``x.py`` blocks a reader until some other
process writes to it, forever in a CI job; a device may never end, and opening some
devices acts on them. Nor is a file larger than the configured ``max-file-size`` read:
analysing it would take minutes and gigabytes. Either is reported (TS001) and the run
goes on. Kept apart from ``source`` so that a warm run, served by the cache, never
loads LibCST.
"""

from __future__ import annotations

import errno
import os
import stat


class NotRegularFile(OSError):
    """A path to lint that is a FIFO, a device, a socket...: it is never read."""


def _not_regular(mode: int) -> str | None:
    """What a non-regular file is, for the message; ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


class FileTooLarge(Exception):
    """A file over the size limit: not read, not analysed."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size, limit)
        self.size, self.limit = size, limit

    def reason(self) -> str:
        return (
            f"not analysed: {self.size:,} bytes is over the max-file-size limit of "
            f"{self.limit:,} (a file that large, usually generated, can take minutes and "
            "gigabytes to analyse); exclude it, or raise max-file-size in [tool.tsafe-lint]"
        )


def check_size(size: int, limit: int | None) -> None:
    """``FileTooLarge`` when ``size`` bytes are over ``limit`` (``None``: no limit)."""
    if limit is not None and size > limit:
        raise FileTooLarge(size, limit)


def read_source(path: str, limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path``: ``NotRegularFile`` (never opened) for
    anything else, ``FileTooLarge`` (never read) when it has more than ``limit`` bytes."""
    status = os.stat(path)
    kind = _not_regular(status.st_mode)
    if kind is None:
        check_size(status.st_size, limit)
        # Non-blocking in case it became a FIFO since the stat; checked again once open.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(path, flags), "rb") as handle:
            kind = _not_regular(os.fstat(handle.fileno()).st_mode)
            if kind is None:
                data = handle.read() if limit is None else handle.read(limit + 1)
                check_size(len(data), limit)  # it grew since the stat
                return data
    raise NotRegularFile(errno.EINVAL, f"it is {kind}, not a regular file")
