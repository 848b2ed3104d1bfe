"""A gc callback in a module that names no lock: the locks are in meters.py."""

import gc

from .meters import Histogram


def install():
    pauses = Histogram("gc_pauses")
    seen = Histogram("gc_seen")

    def _cb(phase, info):
        if phase == "stop":
            pauses.child(str(info["generation"]))  # error: TS208
            seen.gently(str(info["generation"]))  # an RLock: clean

    gc.callbacks.append(_cb)
