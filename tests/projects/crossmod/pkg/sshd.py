"""Locks a signal handler in cli_signals.py takes through calls into this module.

``_clients_lock`` is held, besides ``close``, only on the client threads ``serve``
starts: the handler, on the main thread, merely waits for them (py-simple-sshd,
twenty-ninth set: TS208 judged false). ``_registry_lock`` is also held by ``add``, which
the main thread runs: a signal arriving there deadlocks the handler's ``flush``."""

import threading

_clients_lock = threading.Lock()
_registry_lock = threading.Lock()
clients = []
registry = []


def handle_client(conn):
    with _clients_lock:
        clients.append(conn)


def serve(conns):
    for conn in conns:
        threading.Thread(target=handle_client, args=(conn,)).start()


def close():
    with _clients_lock:
        clients.clear()


def add(item):
    with _registry_lock:
        registry.append(item)


def flush():
    with _registry_lock:
        registry.clear()
