import threading

lock = threading.Lock()
cache = {}


def lookup(key):
    lock.acquire()
    if key in cache:
        return cache[key]  # returns with the lock held: with-block changes that
    cache[key] = object()
    lock.release()
    return cache[key]
