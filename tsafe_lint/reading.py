"""Reading a file to lint, without ever hanging on it.

Only regular files are read. A FIFO named ``x.py`` blocks a reader until some other
process writes to it, forever in a CI job; a device may never end, and opening some
devices acts on them. Such a path is reported (TS001) and the run goes on. Kept apart
from ``source`` so that a warm run, served by the cache, never loads LibCST.
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


def read_source(path: str) -> bytes:
    """The bytes of the regular file ``path``; ``NotRegularFile`` (never opened) else."""
    kind = _not_regular(os.stat(path).st_mode)
    if kind is None:
        # Non-blocking in case it became a FIFO since the stat; checked again once open.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(path, flags), "rb") as handle:
            kind = _not_regular(os.fstat(handle.fileno()).st_mode)
            if kind is None:
                return handle.read()
    raise NotRegularFile(errno.EINVAL, f"it is {kind}, not a regular file")
