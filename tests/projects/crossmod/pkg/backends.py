"""Storage backends whose abstract keys() promises a list (used by statecache.py): a loop
over it walks a fresh list whatever the backend is."""
import threading
from abc import ABC, abstractmethod


class StateBackend(ABC):
    @abstractmethod
    def keys(self) -> list[str]: ...

    @abstractmethod
    def set(self, key, value): ...

    def __setitem__(self, key, value):
        self.set(key, value)

    def __iter__(self):
        return iter(self.keys())


class MemoryState(StateBackend):
    def __init__(self):
        self._data = {}
        self._lock = threading.RLock()

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._data)

    def set(self, key, value):
        with self._lock:
            self._data[key] = value


class LooseBackend(ABC):
    @abstractmethod
    def keys(self): ...

    def __setitem__(self, key, value):
        raise NotImplementedError
