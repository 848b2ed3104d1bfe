"""No threading import here: the threads are started in main.py."""

from . import helpers
from .locks import audit_lock, registry_lock

processed = 0
results = {}


def process(item):
    global processed
    processed += 1  # error: TS102, TS104
    if item not in results:  # error: TS103
        results[item] = helpers.normalise(item)


def record(item):
    with registry_lock:
        helpers.register(item)  # error: TS203
        with audit_lock:  # error: TS205
            results[item] = True


def safe_count():
    global processed
    with registry_lock:
        processed += 1


def rebuild(item):
    with registry_lock:
        return helpers.rebuild_unlocked(item)  # releases it before taking it back
