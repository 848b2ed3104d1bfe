"""The package's own lock classes, named like threading's (used by journal.py): what
their bodies make says what their objects are, not their names."""
import threading


class LockBase:
    def __init__(self, lock):
        self._lock = lock

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()


class Lock(LockBase):
    """Reentrant unless told otherwise."""

    def __init__(self, reentrant=True):
        super().__init__(threading.RLock() if reentrant else threading.Lock())


class RLock(LockBase):
    """Reentrant by its own count of the owner's acquisitions, over a plain lock: its
    name is the better guess."""

    def __init__(self):
        super().__init__(threading.Lock())
        self._owner = None
        self._count = 0


class Event:
    """An event of the package's event bus: no threading.Event."""

    def __init__(self, name):
        self.name = name
