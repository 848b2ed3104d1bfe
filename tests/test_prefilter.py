"""Which files get a full analysis: every form of the threading vocabulary, and nothing
for a file without it (``pipeline.py``'s pre-filter, with its fast word check)."""

from __future__ import annotations

import pytest

from tsafe_lint.pipeline import VOCABULARY, _may_matter

SAMPLES = [
    "import threading",
    "import _thread",
    "from concurrent import futures",
    "import multiprocessing",
    "await asyncio.to_thread(f)",
    "loop.run_in_executor(None, f)",
    "ThreadPoolExecutor()",
    "ThreadPool(4)",
    "start_new_thread(f, ())",
    "x.acquire()",
    "c.notify()",
    "c.notify_all()",
    "c.notifyAll ()",
    "queue.task_done()",
    "Lock()",
    "RLock()",
    "Condition()",
    "Semaphore(2)",
    "BoundedSemaphore(2)",
    "# tsafe: shared",
    "gc.callbacks.append(_cb)",
    "signal.signal(signal.SIGTERM, on_term)",
    "weakref.ref(obj, gone)",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_every_form_of_the_vocabulary_gets_a_full_analysis(text: str) -> None:
    source = f"x = 1\n{text}\n".encode()
    assert VOCABULARY.search(source)  # a form the pattern knows
    assert _may_matter(source, frozenset())


def test_a_file_without_the_vocabulary_is_only_syntax_checked() -> None:
    assert not _may_matter(b"import os\n\ndef f(x):\n    return x.lock\n", frozenset())
    assert not _may_matter(b"'''threads are mentioned in prose'''\n", frozenset())
    assert not _may_matter(b"import signal\n\nprint(signal.SIGTERM)\n", frozenset())
    # a finalizer alone: with no lock of its own it could only reach another module's
    assert not _may_matter(b"class C:\n    def __del__(self):\n        close()\n", frozenset())
