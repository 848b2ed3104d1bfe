"""Rebinds a flag re-exported through the package: the defining module's loop misses it."""

from pkg import PAUSED


def pause():
    global PAUSED
    PAUSED = True  # error: TS406
