import threading

lock = threading.Lock()
cache = {}


def lookup(key):
    with lock:
        if key in cache:
            return cache[key]  # returns with the lock held: with-block changes that
        cache[key] = object()
    return cache[key]
