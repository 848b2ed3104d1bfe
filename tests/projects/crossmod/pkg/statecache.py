"""An attribute annotated with a backend class of another module of the package: one whose
keys() promises a list is iterated as a copy (not TS105); one that promises nothing is
still a dict-like object whose keys change while the loop runs."""
import threading
from typing import Optional

from .backends import LooseBackend, MemoryState, StateBackend


class StateCache:
    def __init__(self, state: Optional[StateBackend] = None, loose: LooseBackend = None):
        self._state: StateBackend = state if state is not None else MemoryState()
        self._loose: LooseBackend = loose
        threading.Thread(target=self._feed, daemon=True).start()

    def _feed(self):
        for n in range(100):
            self._state[str(n)] = n
            self._loose[str(n)] = n

    def names(self):
        found = [key for key in self._state.keys()]
        found += [key for key in self._state]
        found += [key for key in self._loose.keys()]  # error: TS105
        return found
