"""No threading here: the threads that reach these objects start in client.py, through
the connection's '_protocol' attribute (``analysis/attribute_classes.py``)."""


class Protocol:
    def __init__(self):
        self.pending = []

    def queue(self, data):
        self.pending.append(data)

    def take(self):
        data = b"".join(self.pending)
        self.pending = []  # error: TS102
        return data


class Buffer:
    def __init__(self):
        self.pending = []

    def queue(self, data):
        self.pending.append(data)

    def take(self):
        data = b"".join(self.pending)
        self.pending = []  # each worker has a Buffer of its own: clean
        return data
