"""A lock class of the package that only ever wraps a plain lock (used by journal.py)."""
from threading import Lock as _Lock


class Lock:
    def __init__(self):
        self._lock = _Lock()

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()
