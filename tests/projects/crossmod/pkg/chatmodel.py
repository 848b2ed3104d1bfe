"""Pool tasks and threads on subclasses of ratelimit.py's bases: ``self._wait()`` and
``Thread(target=self._run)`` run the base's method, which another module defines;
``QuietChat`` and ``QuietWorker`` override it, so their threads never reach the base's."""

import threading
from concurrent.futures import ThreadPoolExecutor

from pkg.ratelimit import BaseModel, BaseWorker, QuietBase, QuietBaseWorker


class Chat(BaseModel):
    def _chat(self, message):
        self._wait()
        return message

    def chat(self, messages):
        with ThreadPoolExecutor(max_workers=20) as pool:
            return [f.result() for f in [pool.submit(self._chat, m) for m in messages]]


class QuietChat(QuietBase):
    def _wait(self):
        return None

    def _chat(self, message):
        self._wait()
        return message

    def chat(self, messages):
        with ThreadPoolExecutor(max_workers=20) as pool:
            return [f.result() for f in [pool.submit(self._chat, m) for m in messages]]


class Worker(BaseWorker):
    def start(self, count):
        for _ in range(count):
            threading.Thread(target=self._run).start()


class QuietWorker(QuietBaseWorker):
    def _run(self):
        return None

    def start(self, count):
        for _ in range(count):
            threading.Thread(target=self._run).start()

