from .locks import audit_lock, registry_lock

seen = []
calls = 0


def normalise(item):
    global calls
    calls += 1  # error: TS102
    return str(item).strip()


def register(item):
    with registry_lock:
        seen.append(item)


def audit(item):
    with audit_lock:
        with registry_lock:  # error: TS205
            seen.remove(item)


def rebuild_unlocked(item):
    """Entered holding registry_lock: lets other threads in while it normalises."""
    registry_lock.release()
    text = normalise(item)
    registry_lock.acquire()
    return text
