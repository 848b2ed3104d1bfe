"""Objects of the package's own lock classes: ownlocks.py's ``Lock`` wraps an RLock, so
taking it again in a helper is no self-deadlock; plainlocks.py's wraps a plain lock, so
taking that one again is (TS203)."""
from pkg import plainlocks
from pkg.ownlocks import Lock


class Journal:
    def __init__(self):
        self._lock = Lock()
        self._entries = []

    def append(self, entry):
        with self._lock:
            self._entries.append(entry)
            self._trim()

    def _trim(self):
        with self._lock:
            del self._entries[:-100]


class Ledger:
    def __init__(self):
        self._lock = plainlocks.Lock()
        self._rows = []

    def append(self, row):
        with self._lock:
            self._rows.append(row)
            self._trim()  # error: TS203

    def _trim(self):
        with self._lock:
            del self._rows[:-100]
