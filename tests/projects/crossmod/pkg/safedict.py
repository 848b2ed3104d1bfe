"""A dict wrapper whose iteration returns a copy taken under its own lock (used by rooms.py)."""
import threading


class ThreadSafeDict:
    def __init__(self):
        self._dict = {}
        self._lock = threading.RLock()

    def __setitem__(self, key, value):
        with self._lock:
            self._dict[key] = value

    def __delitem__(self, key):
        with self._lock:
            del self._dict[key]

    def items(self):
        with self._lock:
            return list(self._dict.items())
