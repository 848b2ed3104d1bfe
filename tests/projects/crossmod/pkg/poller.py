"""Worker threads poll their own copies of the flags (imported by value)."""

import threading

from pkg.flags import RUNNING


def _work():
    while RUNNING:
        pass


def start():
    threading.Thread(target=_work).start()
