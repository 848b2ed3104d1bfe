"""A watch mode whose run() installs signal handlers; watchui.py runs it on a thread of its
own (claude-cortex's terminal UI, seventy-fifth set's misses)."""
import signal


class WatchMode:
    def __init__(self):
        self.running = False

    def run(self):
        self.running = True
        signal.signal(signal.SIGTERM, self.stop)  # error: TS414

    def stop(self, *args):
        self.running = False
