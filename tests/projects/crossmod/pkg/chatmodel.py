"""Pool tasks on subclasses of ratelimit.py's bases: ``self._wait()`` runs the base's
method, which another module defines; ``QuietChat`` overrides it, so its tasks never
reach the base's bucket."""

from concurrent.futures import ThreadPoolExecutor

from pkg.ratelimit import BaseModel, QuietBase


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
