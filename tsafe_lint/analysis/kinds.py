"""What kind of concurrency object a factory makes, keyed by its qualified name."""

from __future__ import annotations

from enum import Enum


class Kind(Enum):
    """The kinds of objects the rules care about."""

    LOCK = "Lock"
    RLOCK = "RLock"
    CONDITION = "Condition"
    SEMAPHORE = "Semaphore"
    BOUNDED_SEMAPHORE = "BoundedSemaphore"
    EVENT = "Event"
    BARRIER = "Barrier"
    THREAD_POOL = "ThreadPoolExecutor"
    PROCESS_POOL = "ProcessPoolExecutor"
    THREAD_LOCAL = "threading.local"
    QUEUE = "Queue"
    THREAD = "Thread"
    FUTURE = "Future"
    ACQUIRABLE = "lock or semaphore"  # known only by its acquire() and release()


#: Kinds that can be held: ``with x:`` / ``x.acquire()`` excludes other threads.
LOCKLIKE = frozenset(
    {
        Kind.LOCK,
        Kind.RLOCK,
        Kind.CONDITION,
        Kind.SEMAPHORE,
        Kind.BOUNDED_SEMAPHORE,
        Kind.ACQUIRABLE,
    }
)
#: Kinds with an owner: their ``acquire()`` must be paired with ``release()`` in the same
#: function, and they take part in deadlock analysis (semaphores count permits, not owners).
MUTEXES = frozenset({Kind.LOCK, Kind.RLOCK, Kind.CONDITION, Kind.ACQUIRABLE})
SEMAPHORES = frozenset({Kind.SEMAPHORE, Kind.BOUNDED_SEMAPHORE})

FACTORIES: dict[str, Kind] = {
    "threading.Lock": Kind.LOCK,
    "threading._allocate_lock": Kind.LOCK,
    "_thread.allocate_lock": Kind.LOCK,
    "_thread.allocate": Kind.LOCK,
    "_thread.LockType": Kind.LOCK,
    "multiprocessing.Lock": Kind.LOCK,
    "multiprocessing.synchronize.Lock": Kind.LOCK,
    "threading.RLock": Kind.RLOCK,
    "threading._RLock": Kind.RLOCK,
    "threading._PyRLock": Kind.RLOCK,
    "threading._CRLock": Kind.RLOCK,
    "_thread.RLock": Kind.RLOCK,
    "multiprocessing.RLock": Kind.RLOCK,
    "multiprocessing.synchronize.RLock": Kind.RLOCK,
    "threading.Condition": Kind.CONDITION,
    "multiprocessing.Condition": Kind.CONDITION,
    "multiprocessing.synchronize.Condition": Kind.CONDITION,
    "threading.Semaphore": Kind.SEMAPHORE,
    "multiprocessing.Semaphore": Kind.SEMAPHORE,
    "multiprocessing.synchronize.Semaphore": Kind.SEMAPHORE,
    "threading.BoundedSemaphore": Kind.BOUNDED_SEMAPHORE,
    "multiprocessing.BoundedSemaphore": Kind.BOUNDED_SEMAPHORE,
    "multiprocessing.synchronize.BoundedSemaphore": Kind.BOUNDED_SEMAPHORE,
    "threading.Event": Kind.EVENT,
    "multiprocessing.Event": Kind.EVENT,
    "multiprocessing.synchronize.Event": Kind.EVENT,
    "threading.Barrier": Kind.BARRIER,
    "multiprocessing.Barrier": Kind.BARRIER,
    "multiprocessing.synchronize.Barrier": Kind.BARRIER,
    "concurrent.futures.ThreadPoolExecutor": Kind.THREAD_POOL,
    "concurrent.futures.thread.ThreadPoolExecutor": Kind.THREAD_POOL,
    "multiprocessing.pool.ThreadPool": Kind.THREAD_POOL,
    "multiprocessing.dummy.Pool": Kind.THREAD_POOL,
    "concurrent.futures.ProcessPoolExecutor": Kind.PROCESS_POOL,
    "concurrent.futures.process.ProcessPoolExecutor": Kind.PROCESS_POOL,
    "multiprocessing.Pool": Kind.PROCESS_POOL,
    "multiprocessing.pool.Pool": Kind.PROCESS_POOL,
    "threading.local": Kind.THREAD_LOCAL,
    "_threading_local.local": Kind.THREAD_LOCAL,
    "_thread._local": Kind.THREAD_LOCAL,
    "queue.Queue": Kind.QUEUE,
    "queue.LifoQueue": Kind.QUEUE,
    "queue.PriorityQueue": Kind.QUEUE,
    "queue.SimpleQueue": Kind.QUEUE,
    "multiprocessing.Queue": Kind.QUEUE,
    "multiprocessing.JoinableQueue": Kind.QUEUE,
    "multiprocessing.SimpleQueue": Kind.QUEUE,
    "threading.Thread": Kind.THREAD,
    "threading.Timer": Kind.THREAD,
}

#: Objects a web framework keeps per request (or per application context) behind a
#: module-level name: ``from flask import session`` is a proxy to the current request's
#: session, so each request thread sees its own; like ``threading.local``, not shared.
CONTEXT_LOCALS: dict[str, Kind] = {
    name: Kind.THREAD_LOCAL
    for name in (
        "flask.session",
        "flask.request",
        "flask.g",
        "flask.globals.session",
        "flask.globals.request",
        "flask.globals.g",
        "flask_login.current_user",
        "bottle.request",
        "bottle.response",
    )
}

#: ``executor.submit(...)`` and friends return futures.
FUTURE_METHODS = frozenset({"submit"})


#: Factories known by their last name on any object: ``ctx.Lock()``, ``manager.RLock()``,
#: ``handler.createLock()`` is not one. Asynchronous libraries' primitives are not
#: thread locks, whatever their name.
FINAL_NAMES: dict[str, Kind] = {
    "Lock": Kind.LOCK,
    "RLock": Kind.RLOCK,
    "Condition": Kind.CONDITION,
    "Semaphore": Kind.SEMAPHORE,
    "BoundedSemaphore": Kind.BOUNDED_SEMAPHORE,
    "Event": Kind.EVENT,
}
#: (tornado.locks: a ``Condition`` with no lock of its own, waited on by coroutines,
#: rejected's consumer, fortieth set: a TS302 judged false)
_ASYNC_LIBRARIES = ("asyncio", "trio", "anyio", "curio", "tornado")


def kind_of_final_name(qualified_name: str | None, attribute: str | None) -> Kind | None:
    """``multiprocessing.get_context().Lock()``, ``ctx.Condition()``, ``compat.RLock()``:
    a factory call on any object (``attribute`` is the called attribute's name) or an
    imported name whose final name says its kind."""
    if attribute is not None:
        final = attribute
    elif qualified_name is not None and "." in qualified_name:
        final = qualified_name.rsplit(".", 1)[-1]
    else:
        return None  # a bare name of the module itself: its own class, not a factory
    if qualified_name is not None and qualified_name.split(".", 1)[0] in _ASYNC_LIBRARIES:
        return None
    return FINAL_NAMES.get(final)


def kind_of_factory(qualified_name: str | None) -> Kind | None:
    """The kind a call to ``qualified_name`` creates, if it is a known factory."""
    if qualified_name is None:
        return None
    return FACTORIES.get(qualified_name)
