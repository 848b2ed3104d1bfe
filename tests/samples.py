"""Small programs and helpers the CLI, configuration and integration tests share."""

from __future__ import annotations

from pathlib import Path


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8), creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# TS201 at 4:5.
BAD = """\
import threading
lock = threading.Lock()
def f():
    lock.acquire()
    work()
    lock.release()
"""

# TS402 at 9:33 and TS403 at 9:52 (same line), TS201 at 17:5 (handle() may raise with cv
# held; a lone wait() cannot), TS301 at 18:5, TS204 at 23:10.
MIXED = """\
import threading


def greet(name):
    print(name)


def main(user):
    t = threading.Thread(target=greet(user), args=(user))
    t.start()


cv = threading.Condition()


def g():
    cv.acquire()
    cv.wait(); handle()
    cv.release()


def h():
    with threading.Lock():
        pass
"""

CLEAN = """\
import threading
lock = threading.Lock()
def f():
    with lock:
        work()
"""

#: The documented fields of ``--format json``: a stable interface.
JSON_KEYS = {
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "message",
    "severity",
    "fix_available",
}

#: The cross-module scenario of named files (issue 15): a check-then-act in work.py that
#: is only a race because runner.py submits book() to a thread pool.
WORK_RACY = """\
seats = 10


def book(n):
    global seats
    if seats > 0:
        seats -= 1
"""

RUNNER_POOL = """\
from concurrent.futures import ThreadPoolExecutor

from work import book


def main():
    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(book, i) for i in range(20)]
    return [f.result() for f in futures]
"""
