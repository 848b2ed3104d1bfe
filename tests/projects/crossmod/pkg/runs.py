"""A method of the package's own class is not a container's mutation: ``self.state =
FleetState()`` holds an object of runstate.py, and ``self.state.update(...)`` runs that
class's method, under its own lock (marshal-agents, sixty-eighth set: two false TS103).
The dict beside it is a container: its update after the test races (TS103)."""

from concurrent.futures import ThreadPoolExecutor

from pkg.runstate import FleetState


class Runs:
    def __init__(self):
        self.state = FleetState()
        self.errors = {}
        self.pool = ThreadPoolExecutor(4)

    def run_many(self, run_ids):
        return list(self.pool.map(self.execute, run_ids))

    def execute(self, run_id):
        record = self.state.get(run_id)
        if record is not None:
            self.state.update(run_id, error="stopped")
        last = self.errors.get(run_id)
        if last is not None:  # error: TS103
            self.errors.update({run_id: None})
