"""Subclasses of arms.Arm: the attributes its __init__ makes keep their kinds here."""
import threading

from pkg.arms import Arm


class Fleet(Arm):
    def move(self, target):
        # a busy token (a Semaphore): the motion keeps it, stop() gives out a new one
        if not self._busy.acquire(blocking=False):
            return False
        self.target = target
        return True

    def wait_idle(self):
        self._busy.acquire()
        self._busy.release()

    def report(self):
        with self._state_lock:
            self.describe()  # error: TS203

    def describe(self):
        with self._state_lock:
            return str(self.target)

    def log(self):
        with self._log_lock:
            self.log_line()  # reentrant: fine

    def log_line(self):
        with self._log_lock:
            return self.target


class QuietFleet(Arm):
    def __init__(self):
        super().__init__()
        self._io_lock = threading.RLock()  # its own, reentrant

    def write(self):
        with self._io_lock:
            self.flush()  # reentrant here: fine

    def flush(self):
        with self._io_lock:
            return None
