"""A robot arm whose motions share a busy token and a plain lock (used by fleet.py): a
subclass in another module inherits what these attributes are."""
import threading


class Arm:
    def __init__(self):
        self._busy = threading.Semaphore(1)
        self._state_lock = threading.Lock()
        self._log_lock = threading.RLock()
        self._io_lock = threading.Lock()

    def stop(self):
        self._busy = threading.Semaphore(1)  # a stop hands out a fresh token
