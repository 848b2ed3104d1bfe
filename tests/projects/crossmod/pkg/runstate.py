"""The run records of runs.py, kept under the object's own lock."""

import threading


class FleetState:
    def __init__(self):
        self._lock = threading.Lock()
        self._records = {}

    def get(self, run_id):
        with self._lock:
            return self._records.get(run_id)

    def update(self, run_id, **fields):
        with self._lock:
            self._records.setdefault(run_id, {}).update(fields)
