"""Meters whose children are made under a Lock; a reader holds it while it collects."""

import threading


class Meter:
    def __init__(self, name):
        self.name = name
        self._lock = threading.Lock()
        self._rlock = threading.RLock()
        self._children = {}

    def child(self, label):
        with self._lock:
            if label not in self._children:
                self._children[label] = Meter(f"{self.name}:{label}")
            return self._children[label]

    def gently(self, label):
        with self._rlock:
            return self._children.get(label)

    def collect(self):
        with self._lock:
            return [list(child.name) for child in self._children.values()]

    def relabel(self, label):
        with self._rlock:
            self._children.pop(label, None)


class Histogram(Meter):
    """Inherits child(): a call on a Histogram runs Meter.child."""
