"""Two threads share one Connection; its Protocol (wire.py) is reached through an
attribute. Each worker of the pool makes a Buffer of its own: no race there."""

import threading

from pkg.wire import Buffer, Protocol


class Connection:
    def __init__(self):
        self._protocol = Protocol()

    def send(self, data):
        self._protocol.queue(data)

    def flush(self):
        return self._protocol.take()


class Client:
    def __init__(self):
        self.conn = Connection()

    def start(self):
        threading.Thread(target=self._heartbeat).start()
        threading.Thread(target=self._sender).start()

    def _heartbeat(self):
        self.conn.send(b"ping")

    def _sender(self):
        self.conn.flush()


class Worker:
    def __init__(self):
        self.buffer = Buffer()

    def run(self):
        self.buffer.queue(b"x")
        self.buffer.take()


def work():
    Worker().run()


for _ in range(4):
    threading.Thread(target=work).start()
