import threading

lock = threading.Lock()
ledger = []


def book(seat):
    # take the lock
    lock.acquire()  # keep this comment
    ledger.append(seat)
    print("booked",   seat)   # odd spacing stays
    # about to release
    lock.release()
    return seat


class Account:
    def __init__(self):
        self._lock = threading.RLock()
        self.balance = 0

    def deposit(self, amount):
        self._lock.acquire()
        self.balance = self.balance + int(amount)
        self._lock.release()
