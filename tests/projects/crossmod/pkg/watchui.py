"""Starts another module's WatchMode.run on a thread, through an attribute and a local."""
import threading

from pkg.watchmode import WatchMode


class App:
    def __init__(self):
        self.watch = None
        self.thread = None

    def start_watch(self):
        self.watch = WatchMode()
        self.thread = threading.Thread(target=self.watch.run, daemon=True)
        self.thread.start()


def start_once():
    watch = WatchMode()
    threading.Thread(target=watch.run, daemon=True).start()
