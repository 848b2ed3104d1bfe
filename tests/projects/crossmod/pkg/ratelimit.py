"""A rate limiter a model base class builds once in ``__init__``; the pool's tasks run in
chatmodel.py, on a subclass, and reach it through the inherited ``self._wait()``
(lagent's token bucket, fifty-fourth set's misses)."""

import threading


class TokenBucket:
    def __init__(self, rate):
        self.rate = rate
        self.tokens = threading.Semaphore(0)
        self.started = False

    def _refill(self):
        while True:
            self.tokens.release()

    def get_token(self):
        if not self.started:  # error: TS103
            self.started = True
            threading.Thread(target=self._refill, daemon=True).start()
        self.tokens.acquire()


class BaseModel:
    def __init__(self, rate):
        self.token_bucket = TokenBucket(rate)

    def _wait(self):
        return self.token_bucket.get_token()


class QuietBucket:
    """The same bucket, reached only through a ``_wait`` the subclass overrides."""

    def __init__(self):
        self.tokens = threading.Semaphore(0)
        self.started = False

    def get_token(self):
        if not self.started:
            self.started = True
            threading.Thread(target=self.tokens.release, daemon=True).start()
        self.tokens.acquire()


class QuietBase:
    def __init__(self):
        self.bucket = QuietBucket()

    def _wait(self):
        return self.bucket.get_token()


class BaseWorker:
    """A worker loop that chatmodel.py's subclass starts on several threads by its
    inherited name (``Thread(target=self._run)``)."""

    def __init__(self):
        self.rounds = 0

    def _run(self):
        self.rounds += 1  # error: TS102


class QuietBaseWorker:
    """The same loop, which the subclass overrides: its own ``_run`` runs instead."""

    def __init__(self):
        self.rounds = 0

    def _run(self):
        self.rounds += 1
