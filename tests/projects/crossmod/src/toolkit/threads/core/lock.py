"""A lock class of the package, in the namespace package ``core`` (no __init__.py)."""
from threading import Lock as PlainLock
from threading import RLock


class Lock:
    def __init__(self, reentrant=True):
        self._lock = RLock() if reentrant else PlainLock()

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()
