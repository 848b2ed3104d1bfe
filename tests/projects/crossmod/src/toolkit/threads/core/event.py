"""``toolkit.threads.core.lock.Lock`` wraps an RLock: the nested acquisition below is no
self-deadlock, which only a module name that matches the import can tell."""
from toolkit.threads.core.lock import Lock


class Event:
    def __init__(self):
        self.__lock = Lock()
        self.__set = False
        self.__waiters = []

    def signal(self):
        with self.__lock:
            self.__set = True
            self.__notify()

    def __notify(self):
        with self.__lock:
            for waiter in self.__waiters:
                waiter()
